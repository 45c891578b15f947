import ArtifactStore
import Dispatch
import Essentials
import Foundation
import Logging
import ProjectorClient
import Synchronization

/// The models a server answers from, following the store's aliases without a restart.
///
/// `refresh()` (run four times per reload interval by `serve`) reads every model's aliases; a
/// version an alias newly points to is opened — its sha256 checked against the manifest, the
/// HDF5 file read and validated — *outside* the lock, and only then swapped in, in one step. A
/// request holds the `StoredModel` it resolved, so requests in flight finish on the old version.
/// A version that fails to open is refused and logged; the alias keeps serving what it served
/// before, and `readiness()` reports the refusal. A refused version is tried again after
/// `retryAfter` (a repaired file is served without a restart); a failure that is not about the
/// file's content (out of file descriptors, say) is not a refusal and is retried at once.
///
///     let registry = ModelRegistry(store: "Artifacts")
///     registry.refresh()
///     let model = try await registry.resolve("movielens-1m")   // production, else latest
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
        /// Refused versions: why, and when (tried again after `retryAfter`).
        var refused: [Key: (error: String, at: Date)] = [:]
        /// Versions opened for a NAME@VERSION request, newest last (a few are kept).
        var onDemand: [Key] = []
        /// NAME@VERSION loads in progress: one per version, shared by the requests that wait.
        var loading: [Key: Task<StoredModel, any Error>] = [:]
        var refreshed = false
    }

    public let store: ModelStore
    let state = Mutex(State())
    let log: Logger
    /// Versions opened on demand (NAME@VERSION of an unaliased version) kept in memory.
    static let onDemandKept = 4
    public static let retryAfter: TimeInterval = 30
    /// The longest a refresh computes its new versions' answers before swapping them in (ML-1M's
    /// 6,040 users take about a second); the rest are computed on their first request.
    public static let warmBudget: Duration = .seconds(10)

    public init(store root: String, logger: Logger = Logger(label: "serve")) {
        store = ModelStore(root: root)
        log = logger
    }

    /// Opens a version; a refusal (bad content) or a transient failure.
    enum Outcome { case opened(StoredModel), refused(String), failed(String) }

    func open(_ key: Key) -> Outcome {
        do {
            return .opened(try StoredModel.open(store: store.root, reference: "\(key.name)@\(key.version)"))
        } catch let error as any ProjectorError where error.exitCode == .badInput {
            return .refused("\(error)")
        } catch {
            return .failed("\(error)")
        }
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
        // Open what is new, outside the lock (holding the models already open, so none is dropped meanwhile).
        let now = Date()
        let (known, refused) = state.withLock { state in
            (state.models, Set(state.refused.filter { now.timeIntervalSince($0.value.at) < Self.retryAfter }.keys))
        }
        var opened: [Key: StoredModel] = [:], refusals: [Key: String] = [:]
        // One warm-up budget for the whole refresh (a start opens every aliased version at once).
        let warmDeadline = ContinuousClock.now + Self.warmBudget
        for (name, aliases) in wanted {
            for version in Set(aliases.values).sorted() {
                let key = Key(name: name, version: version)
                guard known[key] == nil, !refused.contains(key), opened[key] == nil, refusals[key] == nil else { continue }
                switch open(key) {
                case .opened(let model):
                    // Its answers computed before it serves (see `StoredModel.warm`).
                    let start = ContinuousClock.now
                    let warmed = model.warm(until: warmDeadline)
                    opened[key] = model
                    log.info("loaded and verified \(name)@\(version); \(warmed) users' answers ready in \(ContinuousClock.now - start)")
                case .refused(let error):
                    refusals[key] = error
                    log.error("refused \(name)@\(version): \(error); its aliases keep their previous version")
                    events.append(.refused(name: name, version: version, error: error))
                case .failed(let error):
                    log.error("could not open \(name)@\(version) (tried again next time): \(error)")
                }
            }
        }
        // Swap, in one step.
        state.withLock { state in
            for (key, model) in known where state.models[key] == nil { state.models[key] = model }
            for (key, model) in opened {
                state.models[key] = model
                state.refused[key] = nil
            }
            for (key, error) in refusals { state.refused[key] = (error, now) }
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
            // Keep what an alias serves, and the few versions opened on demand that still exist.
            let live = Set(served.flatMap { name, aliases in aliases.values.map { Key(name: name, version: $0) } })
            state.onDemand.removeAll { wanted[$0.name] == nil }
            state.models = state.models.filter { live.contains($0.key) || state.onDemand.contains($0.key) }
            state.refused = state.refused.filter { wanted[$0.key.name] != nil }
            state.refreshed = true
        }
        return events.sorted { "\($0)" < "\($1)" }
    }

    // MARK: Resolving

    /// The model for `NAME`, `NAME@VERSION` or `NAME@ALIAS` (a bare name: production, else
    /// latest; when the store has a production alias, only production). The reference may be
    /// percent-encoded (`%40` for `@`). 400 for a malformed reference, 404 for an unknown model,
    /// version or alias, 503 before the first refresh or for a version that cannot be opened.
    public func resolve(_ text: String) async throws(ServingError) -> StoredModel {
        let reference: ModelReference
        reference = try ModelReference.read(text)
        let name = reference.name
        // Alias → version → model in one step: a swap cannot fall between them (nor between the
        // model and the production version it is checked against).
        let looked: (model: StoredModel?, production: Int?)? = state.withLock { state in
            guard state.refreshed else { return nil }
            let aliases = state.served[name] ?? [:]
            let production = aliases[ModelReference.production]
            switch reference.selector {
            case nil: return ((production ?? aliases[ModelReference.latest]).flatMap { state.models[Key(name: name, version: $0)] }, production)
            case .alias(let alias): return (aliases[alias].flatMap { state.models[Key(name: name, version: $0)] }, production)
            case .version(let version): return (state.models[Key(name: name, version: version)], production)
            }
        }
        guard let looked else { throw .notReady("the server is still loading its models") }
        let found = looked.model
        switch reference.selector {
        case nil:
            // Production is what a bare name means; latest only where there is no production.
            if let model = found, model.version == looked.production || !hasAlias(name, ModelReference.production) {
                return model
            }
            throw missing(name, alias: hasAlias(name, ModelReference.production) ? ModelReference.production : ModelReference.latest)
        case .alias(let alias):
            if let model = found { return model }
            throw missing(name, alias: alias)
        case .version(let version):
            if let model = found { return model }
            return try await openOnDemand(Key(name: name, version: version))
        }
    }

    func hasAlias(_ name: String, _ alias: String) -> Bool { ((try? store.alias(name, alias)) ?? nil) != nil }

    /// 404 when the model or the alias does not exist; 503 when it exists but serves nothing.
    func missing(_ name: String, alias: String) -> ServingError {
        guard let versions = try? store.versions(name), !versions.isEmpty else { return .notFound("no model named '\(name)' in the store") }
        let aliases = (try? store.aliases(name)) ?? [:]
        guard let target = aliases[alias] else {
            return .notFound("\(name) has no alias '\(alias)' (aliases: \(aliases.keys.sorted().joined(separator: ", ")))")
        }
        let refusal = state.withLock { $0.refused[Key(name: name, version: target.version)]?.error }
        return .notReady("\(name)@\(alias) names version \(target.version), which is not loaded\(refusal.map { ": refused: \($0)" } ?? " yet") (see /readyz)")
    }

    /// NAME@VERSION of a version no alias serves: opened off the request threads, once however
    /// many requests wait for it; the newest few are kept.
    func openOnDemand(_ key: Key) async throws(ServingError) -> StoredModel {
        let versions = (try? store.versions(key.name)) ?? []
        guard versions.contains(key.version) else {
            throw .notFound(versions.isEmpty ? "no model named '\(key.name)' in the store" : "\(key.name) has no version \(key.version)")
        }
        let task: Task<StoredModel, any Error> = state.withLock { state in
            if let running = state.loading[key] { return running }
            if let refusal = state.refused[key], Date().timeIntervalSince(refusal.at) < Self.retryAfter {
                return Task { throw ServingError.notReady("\(key.name)@\(key.version) was refused: \(refusal.error)") }
            }
            let log = self.log
            log.info("loading \(key.name)@\(key.version) on demand")
            let task = Task<StoredModel, any Error> {
                let outcome = await withCheckedContinuation { continuation in
                    DispatchQueue.global().async { continuation.resume(returning: self.open(key)) }
                }
                switch outcome {
                case .opened(let model):
                    log.info("loaded \(key.name)@\(key.version) on demand")
                    self.keepOnDemand(key, model)
                    return model
                case .refused(let error):
                    log.error("refused \(key.name)@\(key.version): \(error)")
                    self.state.withLock { $0.refused[key] = (error, Date()); $0.loading[key] = nil }
                    throw ServingError.notReady("\(key.name)@\(key.version) cannot be served: \(error)")
                case .failed(let error):
                    self.state.withLock { $0.loading[key] = nil }
                    throw ServingError.failure("\(key.name)@\(key.version) could not be opened: \(error)")
                }
            }
            state.loading[key] = task
            return task
        }
        do { return try await task.value } catch { throw ServingError.from(error) }
    }

    func keepOnDemand(_ key: Key, _ model: StoredModel) {
        state.withLock { state in
            state.loading[key] = nil
            state.models[key] = model
            state.onDemand.removeAll { $0 == key }
            state.onDemand.append(key)
            if state.onDemand.count > Self.onDemandKept {
                let dropped = state.onDemand.removeFirst()
                let live = state.served[dropped.name]?.values.contains(dropped.version) ?? false
                if !live { state.models[dropped] = nil }
            }
        }
    }

    // MARK: Status

    /// `ready` once the first refresh is done and a model is served; `up_to_date` when every alias
    /// serves the version it names (false while a refused or new version waits); `refused` lists
    /// the versions refused.
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
                                            error: state.refused[Key(name: name, version: version)]!.error))
                }
            }
            let current = wanted.allSatisfy { name, aliases in
                aliases.allSatisfy { alias, version in state.served[name]?[alias] == version }
            }
            let serving = state.served.values.contains { !$0.isEmpty }
            return Readiness(ready: state.refreshed && serving, upToDate: state.refreshed && current, served: state.served,
                             refused: refusals.sorted { ($0.model, $0.version) < ($1.model, $1.version) })
        }
    }

    /// name → alias → version being served.
    public var served: [String: [String: Int]] { state.withLock { $0.served } }
}

extension ModelReference {
    /// A reference as the HTTP API receives it (`HTTPAPI.ref`): percent-decoded (`%40` for `@`),
    /// then parsed; malformed is a 400 naming what is wrong.
    static func read(_ text: String) throws(ServingError) -> ModelReference {
        do { return try ModelReference.parse(text.removingPercentEncoding ?? text) } catch { throw .badRequest("\(error)") }
    }
}
