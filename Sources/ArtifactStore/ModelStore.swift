import Evaluation
import Foundation
import Models

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
/// - **Contained names.** Model and alias names are plain names (letters, digits, `.`, `_`, `-`,
///   not starting with `.`), so nothing a caller passes reaches outside the store.
///
///     let store = ModelStore(root: "Artifacts")
///     let result = try store.publish(model: "model.h5", name: "movielens-1m", gate: QualityGate())
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

    public static let aliases = ["latest", "production"]

    /// Refuses anything but a plain name.
    public static func checkName(_ name: String, what: String = "model name") throws {
        let allowed = name.unicodeScalars.allSatisfy { ($0.isASCII && CharacterSet.alphanumerics.contains($0)) || "._-".unicodeScalars.contains($0) }
        guard !name.isEmpty, name.count <= 100, allowed, !name.hasPrefix(".") else {
            throw StoreError(.badInput, "\(what) '\(name)' is not a plain name: use letters, digits, '.', '_' and '-', not starting with '.'")
        }
    }

    func folder(_ name: String) -> String { root + "/" + name }
    func versionFolder(_ name: String, _ version: Int) -> String { folder(name) + "/\(version)" }
    public func modelPath(_ name: String, _ version: Int) -> String { versionFolder(name, version) + "/model.h5" }
    func aliasPath(_ name: String, _ alias: String) -> String { folder(name) + "/aliases/\(alias).json" }

    /// Model names in the store.
    public func names() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .filter { (try? Self.checkName($0)) != nil && FileManager.default.fileExists(atPath: folder($0) + "/aliases") }
            .sorted()
    }

    /// Complete versions of `name`, ascending (folders named by an integer with a manifest).
    public func versions(_ name: String) throws -> [Int] {
        try Self.checkName(name)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder(name))) ?? []
        return entries.compactMap { entry in
            guard let version = Int(entry), version > 0, String(version) == entry,
                  FileManager.default.fileExists(atPath: versionFolder(name, version) + "/manifest.json") else { return nil }
            return version
        }.sorted()
    }

    public func manifest(_ name: String, _ version: Int) throws -> Manifest {
        let path = versionFolder(name, version) + "/manifest.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StoreError(.badInput, "\(name)@\(version): no such version in \(root)")
        }
        do { return try JSONDecoder().decode(Manifest.self, from: data) } catch {
            throw StoreError(.badInput, "\(path): unreadable manifest (\(error))")
        }
    }

    public func alias(_ name: String, _ alias: String) throws -> Alias? {
        try Self.checkName(alias, what: "alias")
        guard let data = FileManager.default.contents(atPath: aliasPath(name, alias)) else { return nil }
        do { return try JSONDecoder().decode(Alias.self, from: data) } catch {
            throw StoreError(.badInput, "\(aliasPath(name, alias)): unreadable alias (\(error))")
        }
    }

    /// `NAME`, `NAME@VERSION` or `NAME@ALIAS` (default alias: production) → (name, version).
    public func resolve(_ reference: String) throws -> (name: String, version: Int) {
        let parts = reference.split(separator: "@", maxSplits: 1).map(String.init)
        let name = parts[0]
        try Self.checkName(name)
        guard FileManager.default.fileExists(atPath: folder(name)) else {
            let known = names()
            throw StoreError(.badInput, "no model named '\(name)' in \(root)" + (known.isEmpty ? " (the store is empty)" : "; models: \(known.joined(separator: ", "))"))
        }
        let selector = parts.count > 1 ? parts[1] : "production"
        if let version = Int(selector) {
            guard try versions(name).contains(version) else {
                throw StoreError(.badInput, "\(name) has no version \(version); versions: \(try versions(name).map(String.init).joined(separator: ", "))")
            }
            return (name, version)
        }
        guard let target = try alias(name, selector) else {
            throw StoreError(.badInput, "\(name) has no '\(selector)' alias" + (selector == "production" ? " (nothing promoted yet: use \(name)@latest, or publish with --promote or --gate)" : ""))
        }
        return (name, target.version)
    }

    public struct PublishResult: Sendable {
        public var version: Int
        public var manifest: Manifest
        public var promoted: Bool
    }

    /// Publishes a model file as the next version of `name`; see the type's guarantees.
    /// With `gate`, the model's metrics are compared to the production version's first and a
    /// regression refuses the publish (nothing is written); a passing model becomes production.
    public func publish(model path: String, name: String, gate: QualityGate? = nil, promote: Bool = false,
                        codeVersion: String) throws -> PublishResult {
        try Self.checkName(name)
        let file = try ModelFile.read(path)
        let metrics: [String: Double?] = file.metrics.mapValues { $0.isFinite ? $0 : nil }
        try FileManager.default.createDirectory(atPath: folder(name) + "/aliases", withIntermediateDirectories: true)
        return try FileSystem.withLock(folder(name) + "/.lock") {
            if let gate, let production = try alias(name, "production") {
                guard !file.metrics.isEmpty else {
                    throw StoreError(.badInput, "\(path): has no metrics to gate on: run evaluate on it first")
                }
                let reference = try manifest(name, production.version)
                let regressions = gate.regressions(current: metrics, reference: reference.metrics)
                if !regressions.isEmpty {
                    throw StoreError(.qualityGate, "quality gate refused \(path) against \(name)@\(production.version) (production): "
                                     + regressions.map(\.description).joined(separator: "; "))
                }
            }
            let version = (try versions(name).last ?? 0) + 1
            let temporary = folder(name) + "/.tmp-\(version)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: false)
            do {
                try FileSystem.copy(path, to: temporary + "/model.h5")
                let (sha, size) = try FileSystem.sha256(temporary + "/model.h5")
                let manifest = Manifest(
                    version: version, sha256: sha, size: size, createdAt: FileSystem.now(), modelCreatedAt: file.createdAt,
                    algorithm: file.algorithm, params: file.parametersJSON, seed: file.seed, metrics: metrics,
                    dataFingerprint: file.metadata.fingerprint, split: file.metadata.split,
                    splitParams: file.metadata.splitParameters, previousVersion: try alias(name, "latest")?.version,
                    codeVersion: codeVersion)
                try FileSystem.writeAtomically(manifest.json, to: temporary + "/manifest.json")
                try FileSystem.fsync(temporary)
                guard rename(temporary, versionFolder(name, version)) == 0 else {
                    throw StoreError(.failure, "\(versionFolder(name, version)): cannot rename into place: \(String(cString: strerror(errno)))")
                }
                try FileSystem.fsync(folder(name))
                try setAlias(name, "latest", to: version)
                let promoted = promote || gate != nil
                if promoted { try setAlias(name, "production", to: version) }
                return PublishResult(version: version, manifest: manifest, promoted: promoted)
            } catch {
                try? FileManager.default.removeItem(atPath: temporary)
                throw error
            }
        }
    }

    func setAlias(_ name: String, _ alias: String, to version: Int) throws {
        try Self.checkName(alias, what: "alias")
        var history = try self.alias(name, alias).map { $0.history + [$0.version] } ?? []
        if history.last == version { history.removeLast() }
        try writeAlias(name, alias, Alias(version: version, history: Array(history.suffix(50)), updatedAt: FileSystem.now()))
    }

    func writeAlias(_ name: String, _ alias: String, _ record: Alias) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileSystem.writeAtomically(try encoder.encode(record), to: aliasPath(name, alias))
    }

    /// Points `alias` at `version` after checking the version's checksum.
    public func promote(_ name: String, version: Int, alias: String = "production") throws {
        try FileSystem.withLock(folder(name) + "/.lock") {
            let manifest = try self.manifest(name, version)
            let (sha, _) = try FileSystem.sha256(modelPath(name, version))
            guard sha == manifest.sha256 else {
                throw StoreError(.badInput, "\(name)@\(version): model.h5 fails its checksum (sha256 \(sha.prefix(12))…, manifest \(manifest.sha256.prefix(12))…): not promoting a corrupt version")
            }
            try setAlias(name, alias, to: version)
        }
    }

    /// Points `alias` back at the version it pointed to before; returns it.
    @discardableResult
    public func rollback(_ name: String, alias: String = "production") throws -> Int {
        try FileSystem.withLock(folder(name) + "/.lock") {
            guard var current = try self.alias(name, alias) else { throw StoreError(.badInput, "\(name) has no '\(alias)' alias to roll back") }
            let existing = Set(try versions(name))
            while let previous = current.history.popLast() {
                if existing.contains(previous) && previous != current.version {
                    try writeAlias(name, alias, Alias(version: previous, history: current.history, updatedAt: FileSystem.now()))
                    return previous
                }
            }
            throw StoreError(.badInput, "\(name)@\(alias) (version \(current.version)) has no earlier version to roll back to")
        }
    }

    /// Removes all but the newest `keep` versions, never one an alias points to, and leftover
    /// temporary folders of killed publishes. Returns the versions removed.
    public func gc(_ name: String, keep: Int) throws -> [Int] {
        guard keep >= 1 else { throw StoreError(.badInput, "--keep must be at least 1") }
        return try FileSystem.withLock(folder(name) + "/.lock") {
            let pinned = Set(try Self.aliases.compactMap { try alias(name, $0)?.version })
            let all = try versions(name)
            let doomed = all.dropLast(keep).filter { !pinned.contains($0) }
            for version in doomed {
                // Rename first, so a half-deleted version never looks like a version.
                let trash = folder(name) + "/.tmp-gc-\(version)-\(getpid())"
                guard rename(versionFolder(name, version), trash) == 0 else {
                    throw StoreError(.failure, "\(versionFolder(name, version)): cannot remove: \(String(cString: strerror(errno)))")
                }
                try FileManager.default.removeItem(atPath: trash)
            }
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: folder(name))) ?? [] where entry.hasPrefix(".tmp-") {
                try? FileManager.default.removeItem(atPath: folder(name) + "/" + entry)
            }
            return Array(doomed)
        }
    }

    /// sha256 (hex) and size of a file, for readers that verify what they load.
    public static func sha256(_ path: String) throws -> (hex: String, size: Int) { try FileSystem.sha256(path) }

    /// Re-hashes every version and checks every alias. Returns the problems found (empty: valid).
    /// Leftover `.tmp-` folders of killed publishes are not problems: no reader sees them.
    public func verify(_ only: String? = nil) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw StoreError(.badInput, "\(root): no model store here (pass --store DIR or set PROJECTOR_STORE)")
        }
        if let only, !FileManager.default.fileExists(atPath: folder(only)) {
            throw StoreError(.badInput, "no model named '\(only)' in \(root)")
        }
        var problems: [String] = []
        for name in try only.map({ [$0] }) ?? names() {
            let versions = try self.versions(name)
            for version in versions {
                do {
                    let manifest = try self.manifest(name, version)
                    if manifest.version != version { problems.append("\(name)@\(version): manifest says version \(manifest.version)") }
                    let (sha, size) = try FileSystem.sha256(modelPath(name, version))
                    if sha != manifest.sha256 || size != manifest.size {
                        problems.append("\(name)@\(version): model.h5 is corrupt (sha256 \(sha.prefix(12))…, \(size) bytes; manifest \(manifest.sha256.prefix(12))…, \(manifest.size) bytes)")
                    }
                } catch {
                    problems.append("\(name)@\(version): \(error)")
                }
            }
            for alias in Self.aliases {
                do {
                    if let target = try self.alias(name, alias), !versions.contains(target.version) {
                        problems.append("\(name)@\(alias) points to version \(target.version), which does not exist")
                    }
                } catch {
                    problems.append("\(error)")
                }
            }
        }
        return problems
    }
}
