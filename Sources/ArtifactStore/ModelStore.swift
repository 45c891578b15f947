import Essentials
import Foundation

/// The versioned model store: `<store>/<name>/<version>/{model.h5, manifest.json}` plus alias
/// files `<store>/<name>/aliases/{latest,production}.json`.
///
/// Guarantees:
/// - **Atomic versions.** A publish copies the model into `<name>/.tmp-…/`, fsyncs it, re-hashes
///   the copy, writes and fsyncs the manifest, then renames the folder to its version number.
///   A version folder therefore either does not exist or is complete; a `kill -9` at any moment
///   leaves at worst a `.tmp-…` folder that every reader ignores and `gc` removes.
/// - **No lost versions.** Publishers of one model name hold an exclusive `flock` on
///   `<name>/.lock` while they pick the next version number and rename into place, so two cron
///   jobs at once get two versions, never one overwriting the other.
/// - **Atomic aliases.** Aliases are rewritten through a temporary file and `rename`.
/// - **Contained names.** Every entry point checks model and alias names (`PlainName`) and parses
///   references (`ModelReference`) before it touches the file system, so nothing a caller passes
///   reaches outside the store.
/// - **No version lost.** `gc` keeps the newest N versions and every version any alias points to.
/// - **Errors are never swallowed.** An unreadable store, folder or manifest is an error.
///
///     let store = ModelStore(root: "Artifacts")
///     let result = try store.publish(model: "model.h5", name: "movielens-1m", card: card, gate: ChampionChallengerGate(), codeVersion: BuildInfo.codeVersion)
///     try store.resolve("movielens-1m@production")   // (name, version)
public struct ModelStore: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    /// `--store`, else `PROJECTOR_STORE`, else `Artifacts`.
    public static func root(option: String?) -> String {
        if let option, !option.isEmpty { return option }
        if let value = ProcessInfo.processInfo.environment["PROJECTOR_STORE"], !value.isEmpty { return value }
        return "Artifacts"
    }

    /// Refuses anything but a plain name (`PlainName`); an alias must also not be all digits,
    /// which `NAME@…` would read as a version.
    public static func checkName(_ name: String, what: String = "model name") throws {
        try PlainName.check(name, what: what)
        if what == "alias", name.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            throw StoreError(.badInput, "alias '\(name)' is all digits, which NAME@\(name) would read as a version: use a name")
        }
    }

    func folder(_ name: String) -> String { root + "/" + name }
    func versionFolder(_ name: String, _ version: Int) -> String { folder(name) + "/\(version)" }
    public func modelPath(_ name: String, _ version: Int) -> String { versionFolder(name, version) + "/model.h5" }
    public func manifestPath(_ name: String, _ version: Int) -> String { versionFolder(name, version) + "/manifest.json" }
    func aliasPath(_ name: String, _ alias: String) -> String { folder(name) + "/aliases/\(alias).json" }

    /// The entries of a folder; a missing or unreadable folder is an error naming it.
    func entries(_ path: String, missing: @autoclosure () -> String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw StoreError(.badInput, missing())
        }
        do { return try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw StoreError(.failure, "\(path): cannot list: \(error.localizedDescription)")
        }
    }

    /// Model names in the store (folders with an `aliases` folder). A missing store is an error.
    public func names() throws -> [String] {
        try entries(root, missing: "\(root): no model store here (pass --store DIR or set PROJECTOR_STORE)")
            .filter { PlainName.problem($0) == nil && FileManager.default.fileExists(atPath: folder($0) + "/aliases") }
            .sorted()
    }

    /// Complete versions of `name`, ascending (folders named by an integer with a manifest).
    public func versions(_ name: String) throws -> [Int] {
        try Self.checkName(name)
        return try entries(folder(name), missing: missingModel(name)).compactMap { entry in
            guard let version = Int(entry), version > 0, String(version) == entry,
                  FileManager.default.fileExists(atPath: manifestPath(name, version)) else { return nil }
            return version
        }.sorted()
    }

    func missingModel(_ name: String) -> String {
        let known = (try? names()) ?? []
        return "no model named '\(name)' in \(root)" + (known.isEmpty ? " (the store is empty)" : "; models: \(known.joined(separator: ", "))")
    }

    public func manifest(_ name: String, _ version: Int) throws -> Manifest {
        try Self.checkName(name)
        let path = manifestPath(name, version)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StoreError(.badInput, "\(name)@\(version): no such version in \(root)")
        }
        return try JSON.decode(Manifest.self, from: data, source: path)
    }

    public func alias(_ name: String, _ alias: String) throws -> Alias? {
        try Self.checkName(name)
        try Self.checkName(alias, what: "alias")
        guard let data = FileManager.default.contents(atPath: aliasPath(name, alias)) else { return nil }
        return try JSON.decode(Alias.self, from: data, source: aliasPath(name, alias))
    }

    /// Every alias of `name` (`latest`, `production`, and any other `promote --alias` made).
    public func aliases(_ name: String) throws -> [String: Alias] {
        try Self.checkName(name)
        var result: [String: Alias] = [:]
        for entry in try entries(folder(name) + "/aliases", missing: missingModel(name)) where entry.hasSuffix(".json") {
            let alias = String(entry.dropLast(5))
            guard PlainName.problem(alias) == nil, let record = try self.alias(name, alias) else { continue }
            result[alias] = record
        }
        return result
    }

    /// A reference (`NAME`, `NAME@VERSION`, `NAME@ALIAS`; a bare name means `defaultAlias`)
    /// → (name, version), the version checked to exist.
    public func resolve(_ text: String, defaultAlias: String = ModelReference.production) throws -> (name: String, version: Int) {
        let reference = try ModelReference.parse(text)
        let name = reference.name
        let versions = try self.versions(name)
        switch reference.selector ?? .alias(defaultAlias) {
        case .version(let version):
            guard versions.contains(version) else {
                throw StoreError(.badInput, "\(name) has no version \(version); versions: \(versions.map(String.init).joined(separator: ", "))")
            }
            return (name, version)
        case .alias(let selector):
            guard let target = try alias(name, selector) else {
                throw StoreError(.badInput, "\(name) has no '\(selector)' alias" + (selector == ModelReference.production ? " (nothing promoted yet: use \(name)@latest, or publish with --promote or --gate)" : ""))
            }
            guard versions.contains(target.version) else {
                throw StoreError(.badInput, "\(name)@\(selector) points to version \(target.version), which does not exist")
            }
            return (name, target.version)
        }
    }

    public struct PublishResult: Sendable {
        public var version: Int
        public var manifest: Manifest
        public var promoted: Bool
        /// What the gate decided (nil without a gate).
        public var gate: GateDecision?
    }

    /// Publishes a model file, described by `card`, as the next version of `name`; see the type's
    /// guarantees. With `gate`, the model is compared with the production version (under the
    /// store's lock, so production cannot move meanwhile); a refusal throws `GateRefusal` (exit 3)
    /// and writes nothing; a passing model becomes production, and the gate's record is kept in its
    /// manifest. `run` records which pipeline run published it.
    public func publish(model path: String, name: String, card: ModelCard, gate: (any PublishGate)? = nil, promote: Bool = false,
                        codeVersion: String, run: Lineage? = nil) throws -> PublishResult {
        try Self.checkName(name)
        // The folder holds the lock; `aliases/` (which makes the name a model, see `names`) is made
        // under the lock once the gate has passed, so a refused first publish leaves no model behind.
        try FileManager.default.createDirectory(atPath: folder(name), withIntermediateDirectories: true)
        return try FileLock.withLock(folder(name) + "/.lock") {
            var decision: GateDecision? = nil
            if let gate {
                let champion = try alias(name, ModelReference.production).map { production in
                    let manifest = try self.manifest(name, production.version)
                    return Champion(name: name, version: production.version, modelPath: modelPath(name, production.version),
                                    recordedMetrics: manifest.model.metrics, dataFingerprint: manifest.model.dataFingerprint)
                }
                let decided = try gate.decide(candidate: path, champion: champion)
                guard decided.passed else {
                    throw GateRefusal(candidate: path, against: champion.map { "\(name)@\($0.version)" }, decision: decided)
                }
                decision = decided
            }
            try FileManager.default.createDirectory(atPath: folder(name) + "/aliases", withIntermediateDirectories: true)
            let version = (try versions(name).last ?? 0) + 1
            let temporary = folder(name) + "/.tmp-\(version)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: false)
            do {
                try FileSystem.copy(path, to: temporary + "/model.h5")
                let (sha, size) = try Digest.sha256(file: temporary + "/model.h5")
                let manifest = Manifest(
                    version: version, sha256: sha, size: size, createdAt: Timestamp.now(), model: card,
                    previousVersion: try alias(name, ModelReference.latest)?.version, codeVersion: codeVersion, run: run, gate: decision?.record)
                try AtomicFile.write(manifest.json, to: temporary + "/manifest.json")
                try AtomicFile.fsync(temporary)
                guard rename(temporary, versionFolder(name, version)) == 0 else {
                    throw StoreError(.failure, "\(versionFolder(name, version)): cannot rename into place: \(systemError())")
                }
                try AtomicFile.fsync(folder(name))
                try setAlias(name, ModelReference.latest, to: version)
                let promoted = promote || gate != nil
                if promoted { try setAlias(name, ModelReference.production, to: version) }
                return PublishResult(version: version, manifest: manifest, promoted: promoted, gate: decision)
            } catch {
                try? FileManager.default.removeItem(atPath: temporary)
                throw error
            }
        }
    }

    func setAlias(_ name: String, _ alias: String, to version: Int) throws {
        var history = try self.alias(name, alias).map { $0.history + [$0.version] } ?? []
        if history.last == version { history.removeLast() }
        try writeAlias(name, alias, Alias(version: version, history: Array(history.suffix(50)), updatedAt: Timestamp.now()))
    }

    func writeAlias(_ name: String, _ alias: String, _ record: Alias) throws {
        try AtomicFile.write(JSON.data(record, pretty: true), to: aliasPath(name, alias))
    }

    /// Points `alias` at `version` after checking the version's checksum.
    public func promote(_ name: String, version: Int, alias: String = ModelReference.production) throws {
        try Self.checkName(name)
        try Self.checkName(alias, what: "alias")
        _ = try versions(name)
        try FileLock.withLock(folder(name) + "/.lock") {
            let manifest = try self.manifest(name, version)
            let (sha, _) = try Digest.sha256(file: modelPath(name, version))
            guard sha == manifest.sha256 else {
                throw StoreError(.badInput, "\(name)@\(version): model.h5 fails its checksum (sha256 \(sha.prefix(12))…, manifest \(manifest.sha256.prefix(12))…): not promoting a corrupt version")
            }
            try setAlias(name, alias, to: version)
        }
    }

    /// Points `alias` back at the version it pointed to before; returns it.
    @discardableResult
    public func rollback(_ name: String, alias: String = ModelReference.production) throws -> Int {
        try Self.checkName(name)
        try Self.checkName(alias, what: "alias")
        _ = try versions(name)
        return try FileLock.withLock(folder(name) + "/.lock") {
            guard var current = try self.alias(name, alias) else { throw StoreError(.badInput, "\(name) has no '\(alias)' alias to roll back") }
            let existing = Set(try versions(name))
            while let previous = current.history.popLast() {
                if existing.contains(previous) && previous != current.version {
                    try writeAlias(name, alias, Alias(version: previous, history: current.history, updatedAt: Timestamp.now()))
                    return previous
                }
            }
            throw StoreError(.badInput, "\(name)@\(alias) (version \(current.version)) has no earlier version to roll back to")
        }
    }

    /// Removes all but the newest `keep` versions, never one that any alias points to, and
    /// leftover temporary folders of killed publishes. Returns the versions removed.
    public func gc(_ name: String, keep: Int) throws -> [Int] {
        try Self.checkName(name)
        guard keep >= 1 else { throw StoreError(.badInput, "--keep must be at least 1") }
        _ = try versions(name)
        return try FileLock.withLock(folder(name) + "/.lock") {
            let pinned = Set(try aliases(name).values.map(\.version))
            let all = try versions(name)
            let doomed = all.dropLast(keep).filter { !pinned.contains($0) }
            for version in doomed {
                // Rename first, so a half-deleted version never looks like a version.
                let trash = folder(name) + "/.tmp-gc-\(version)-\(getpid())"
                guard rename(versionFolder(name, version), trash) == 0 else {
                    throw StoreError(.failure, "\(versionFolder(name, version)): cannot remove: \(systemError())")
                }
                try FileManager.default.removeItem(atPath: trash)
            }
            for entry in try entries(folder(name), missing: "\(folder(name)) vanished") where entry.hasPrefix(".tmp-") {
                do { try FileManager.default.removeItem(atPath: folder(name) + "/" + entry) } catch {
                    throw StoreError(.failure, "\(folder(name))/\(entry): cannot remove a leftover: \(error.localizedDescription)")
                }
            }
            return Array(doomed)
        }
    }

    /// Re-hashes every version and checks every alias. Returns the problems found (empty: valid).
    /// Leftover `.tmp-` folders of killed publishes are not problems: no reader sees them. A
    /// missing or unreadable store is an error, never "valid".
    public func verify(_ only: String? = nil) throws -> [String] {
        let all = try names()
        if let only {
            try Self.checkName(only)
            guard all.contains(only) else { throw StoreError(.badInput, missingModel(only)) }
        }
        var problems: [String] = []
        for name in only.map({ [$0] }) ?? all {
            let versions = try self.versions(name)
            for version in versions {
                do {
                    let manifest = try self.manifest(name, version)
                    if manifest.version != version { problems.append("\(name)@\(version): manifest says version \(manifest.version)") }
                    let (sha, size) = try Digest.sha256(file: modelPath(name, version))
                    if sha != manifest.sha256 || size != manifest.size {
                        problems.append("\(name)@\(version): model.h5 is corrupt (sha256 \(sha.prefix(12))…, \(size) bytes; manifest \(manifest.sha256.prefix(12))…, \(manifest.size) bytes)")
                    }
                } catch {
                    problems.append("\(name)@\(version): \(error)")
                }
            }
            do {
                for (alias, target) in try aliases(name).sorted(by: { $0.key < $1.key }) where !versions.contains(target.version) {
                    problems.append("\(name)@\(alias) points to version \(target.version), which does not exist")
                }
            } catch {
                problems.append("\(name): \(error)")
            }
        }
        return problems
    }
}

/// The gate refused a publish (exit 3): its decision says why, with the numbers compared.
public struct GateRefusal: ProjectorError {
    public var candidate: String
    /// `NAME@VERSION` of production, when there is one.
    public var against: String?
    public var decision: GateDecision
    public var exitCode: StageExitCode { .qualityGateRefused }
    public var description: String {
        let same = decision.heldOut.map { ", both scored on the same \($0) held-out ratings" } ?? ""
        return "quality gate refused \(candidate)" + (against.map { " against \($0) (production)\(same)" } ?? "") + ": "
            + decision.reasons.joined(separator: "; ")
    }
}
