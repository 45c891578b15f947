import ArtifactStore
import Essentials
import Foundation
import Logging
import ProjectorClient
import Synchronization

/// The models a server answers from, following the store's aliases without a restart.
///
/// `refresh()` (run every reload interval by `serve`) reads every model's aliases; a version an
/// alias newly points to is opened — its sha256 checked against the manifest, the HDF5 file
/// read and validated — *outside* the lock, and only then swapped in, in one step. A request
/// holds the `StoredModel` it resolved, so requests in flight finish on the old version. A
/// version that fails to open is refused and logged; the alias keeps serving what it served
/// before, and `readiness()` reports the refusal.
///
///     let registry = ModelRegistry(store: "Artifacts")
///     registry.refresh()
///     let model = try registry.resolve("movielens-1m")   // production, else latest
public final class ModelRegistry: Sendable {
    public struct Key: Hashable, Sendable, Comparable {
        public var name: String
        public var version: Int
        public static func < (a: Key, b: Key) -> Bool { (a.name, a.version) < (b.name, b.version) }
    }

    /// A version an alias points to that could not be served.
    public struct Refusal: Sendable, Equatable, Encodable {
        public var model: String
        public var version: Int
        public var aliases: [String]
        public var error: String
    }

    /// What changed in a refresh (for logs, metrics and tests).
    public enum Event: Sendable, Equatable {
        case served(name: String, alias: String, version: Int, previous: Int?)
        case refused(name: String, version: Int, error: String)
        case removed(name: String, alias: String)
    }

    struct State {
        /// alias → version, per model name: only versions that opened.
        var served: [String: [String: Int]] = [:]
        var models: [Key: StoredModel] = [:]
        var refused: [Key: String] = [:]
        /// Versions opened for a NAME@VERSION request, newest last (a few are kept).
        var onDemand: [Key] = []
        var refreshed = false
    }

    public let store: ModelStore
    let state = Mutex(State())
    let log: Logger
    /// Versions opened on demand (NAME@VERSION of an unaliased version) kept in memory.
    static let onDemandKept = 4

    public init(store root: String, logger: Logger = Logger(label: "serve")) {
        store = ModelStore(root: root)
        log = logger
    }

    // MARK: Refresh

    /// Reads every alias and swaps in the versions they now point to. Never throws: a store that
    /// cannot be read is logged and the current models keep serving.
    @discardableResult
    public func refresh() -> [Event] {
        var events: [Event] = []
        let names: [String]
        do { names = try store.names() } catch {
            log.error("cannot list the store \(store.root): \(error)")
            return []
        }
        var wanted: [String: [String: Int]] = [:]
        for name in names {
            do {
                wanted[name] = try store.aliases(name).mapValues(\.version)
            } catch {
                log.error("\(name): cannot read its aliases: \(error); serving what was served")
                wanted[name] = state.withLock { $0.served[name] } ?? [:]
            }
        }
        // Open what is new, outside the lock.
        let (known, refused) = state.withLock { (Set($0.models.keys), Set($0.refused.keys)) }
        var opened: [Key: StoredModel] = [:], failures: [Key: String] = [:]
        for (name, aliases) in wanted {
            for version in Set(aliases.values) {
                let key = Key(name: name, version: version)
                guard !known.contains(key), !refused.contains(key), opened[key] == nil, failures[key] == nil else { continue }
                do {
                    opened[key] = try StoredModel.open(store: store.root, reference: "\(name)@\(version)")
                    log.info("loaded and verified \(name)@\(version)")
                } catch {
                    failures[key] = "\(error)"
                    log.error("refused \(name)@\(version): \(error); the alias keeps its previous version")
                    events.append(.refused(name: name, version: version, error: "\(error)"))
                }
            }
        }
        // Swap, in one step.
        state.withLock { state in
            for (key, model) in opened { state.models[key] = model }
            for (key, error) in failures { state.refused[key] = error }
            var served: [String: [String: Int]] = [:]
            for (name, aliases) in wanted {
                for (alias, version) in aliases {
                    let previous = state.served[name]?[alias]
                    if state.models[Key(name: name, version: version)] != nil {
                        served[name, default: [:]][alias] = version
                        if previous != version { events.append(.served(name: name, alias: alias, version: version, previous: previous)) }
                    } else if let previous {
                        served[name, default: [:]][alias] = previous  // refused: keep serving the old one
                    }
                }
            }
            for (name, aliases) in state.served {
                for alias in aliases.keys where wanted[name]?[alias] == nil { events.append(.removed(name: name, alias: alias)) }
            }
            state.served = served
            // Keep what an alias serves, and the few versions opened on demand.
            let live = Set(served.flatMap { name, aliases in aliases.values.map { Key(name: name, version: $0) } })
            state.models = state.models.filter { live.contains($0.key) || state.onDemand.contains($0.key) }
            state.refreshed = true
        }
        return events.sorted { "\($0)" < "\($1)" }
    }

    // MARK: Resolving

    /// The model for `NAME`, `NAME@VERSION` or `NAME@ALIAS` (a bare name: production, else
    /// latest). 400 for a malformed reference, 404 for an unknown model, version or alias, 503
    /// before the first refresh or when an alias's version could not be opened yet.
    public func resolve(_ text: String) throws(ServingError) -> StoredModel {
        let reference: ModelReference
        do { reference = try ModelReference.parse(text) } catch { throw .badRequest("\(error)") }
        let name = reference.name
        let (ready, aliases, cached) = state.withLock { state in
            (state.refreshed, state.served[name], reference.selector.flatMap { selector -> StoredModel? in
                if case .version(let version) = selector { return state.models[Key(name: name, version: version)] }
                return nil
            })
        }
        guard ready else { throw .notReady("the server is still loading its models") }
        if let cached { return cached }
        switch reference.selector {
        case nil:
            guard let aliases, let version = aliases["production"] ?? aliases["latest"] else {
                throw missing(name, alias: nil)
            }
            return try model(name, version)
        case .alias(let alias):
            guard let version = aliases?[alias] else { throw missing(name, alias: alias) }
            return try model(name, version)
        case .version(let version):
            return try openOnDemand(name, version)
        }
    }

    func model(_ name: String, _ version: Int) throws(ServingError) -> StoredModel {
        guard let model = state.withLock({ $0.models[Key(name: name, version: version)] }) else {
            throw .notReady("\(name)@\(version) is not loaded yet")
        }
        return model
    }

    /// 404 when the model or the alias does not exist; 503 when it exists but serves nothing yet.
    func missing(_ name: String, alias: String?) -> ServingError {
        guard let versions = try? store.versions(name), !versions.isEmpty else { return .notFound("no model named '\(name)' in the store") }
        let aliases = (try? store.aliases(name)) ?? [:]
        if let alias {
            guard aliases[alias] != nil else { return .notFound("\(name) has no alias '\(alias)' (aliases: \(aliases.keys.sorted().joined(separator: ", ")))") }
        } else if aliases["production"] == nil && aliases["latest"] == nil {
            return .notFound("\(name) has neither a production nor a latest alias")
        }
        return .notReady("\(name)@\(alias ?? "production") names a version that is not loaded (see /readyz)")
    }

    /// NAME@VERSION of a version no alias serves: opened on request (sha256 checked), a few kept.
    func openOnDemand(_ name: String, _ version: Int) throws(ServingError) -> StoredModel {
        let key = Key(name: name, version: version)
        guard (try? store.versions(name).contains(version)) == true else {
            let exists = ((try? store.versions(name)) ?? []).isEmpty == false
            throw .notFound(exists ? "\(name) has no version \(version)" : "no model named '\(name)' in the store")
        }
        if let refusal = state.withLock({ $0.refused[key] }) { throw .notReady("\(name)@\(version) was refused: \(refusal)") }
        log.info("loading \(name)@\(version) on demand")
        let model: StoredModel
        do { model = try StoredModel.open(store: store.root, reference: "\(name)@\(version)") } catch {
            state.withLock { _ = $0.refused[key] = "\(error)" }
            log.error("refused \(name)@\(version): \(error)")
            throw .notReady("\(name)@\(version) cannot be served: \(error)")
        }
        state.withLock { state in
            state.models[key] = model
            state.onDemand.removeAll { $0 == key }
            state.onDemand.append(key)
            if state.onDemand.count > Self.onDemandKept {
                let dropped = state.onDemand.removeFirst()
                let live = state.served[dropped.name]?.values.contains(dropped.version) ?? false
                if !live { state.models[dropped] = nil }
            }
        }
        return model
    }

    // MARK: Status

    /// Ready when the first refresh is done and every alias serves a verified version;
    /// `up_to_date` when each serves the version it names (false while a refused version waits).
    public struct Readiness: Sendable, Encodable {
        public var ready: Bool
        public var upToDate: Bool
        /// name → alias → version served.
        public var served: [String: [String: Int]]
        public var refused: [Refusal]
        enum CodingKeys: String, CodingKey { case ready, upToDate = "up_to_date", served, refused }
    }

    public func readiness() -> Readiness {
        let wanted: [String: [String: Int]] = ((try? store.names()) ?? []).reduce(into: [:]) { result, name in
            result[name] = (try? store.aliases(name).mapValues(\.version)) ?? [:]
        }
        return state.withLock { state in
            var refusals: [Refusal] = []
            for (name, aliases) in wanted {
                var byVersion: [Int: [String]] = [:]
                for (alias, version) in aliases where state.refused[Key(name: name, version: version)] != nil {
                    byVersion[version, default: []].append(alias)
                }
                for (version, names) in byVersion {
                    refusals.append(Refusal(model: name, version: version, aliases: names.sorted(),
                                            error: state.refused[Key(name: name, version: version)]!))
                }
            }
            let covered = wanted.allSatisfy { name, aliases in aliases.keys.allSatisfy { state.served[name]?[$0] != nil } }
            let current = wanted.allSatisfy { name, aliases in
                aliases.allSatisfy { alias, version in state.served[name]?[alias] == version }
            }
            return Readiness(ready: state.refreshed && covered, upToDate: state.refreshed && current, served: state.served,
                             refused: refusals.sorted { ($0.model, $0.version) < ($1.model, $1.version) })
        }
    }

    /// name → alias → version being served.
    public var served: [String: [String: Int]] { state.withLock { $0.served } }
}
