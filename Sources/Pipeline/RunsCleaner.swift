import Essentials
import Foundation

/// `pipeline gc`: keeps a work folder (`Runs/`) from growing without bound. Per pipeline it keeps
/// the newest `keep` run folders and every cache entry one of them uses (the outputs their
/// run.json lists, cached or not); it removes older run folders, unreferenced cache entries and
/// the scratch folders of killed steps. A run folder is one holding `manifest.yaml` (the runner
/// writes it first), a pipeline folder one holding its lock or a run folder, and a cache entry a
/// folder named by a sha256 key: nothing else below the work folder is ever removed. A kept run
/// without a readable run.json (killed mid-run) keeps every cache entry. The pipeline's
/// work lock (`Runs/<pipeline>/.run.lock`, held by every run) is taken first, so nothing a running
/// pipeline uses is removed.
///
///     let report = try RunsCleaner(work: "Runs", keep: 10).clean()
///     report[0].removedRuns   // ["2026-11-19T023000Z", …]
public struct RunsCleaner: Sendable {
    public var work: String
    public var keep: Int
    public var waitForLock: Bool

    public init(work: String, keep: Int, waitForLock: Bool = false) {
        self.work = work
        self.keep = keep
        self.waitForLock = waitForLock
    }

    public struct Report: Sendable, Equatable {
        public var pipeline: String
        public var keptRuns: Int
        public var removedRuns: [String]
        public var keptEntries: Int
        public var removedEntries: Int
        public var bytesFreed: Int64
    }

    /// The lock every run of `pipeline` holds on its work folder.
    static func lockPath(work: String, pipeline: String) -> String { work + "/" + pipeline + "/.run.lock" }

    /// Cleans `pipelines` (default: every pipeline folder under `work`).
    public func clean(_ pipelines: [String] = []) throws -> [Report] {
        guard keep >= 1 else { throw PipelineError(.badInput, "--keep must be at least 1 (the newest run's cache is what tomorrow's run reuses)") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: work, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw PipelineError(.badInput, "\(work): no work folder here (pass --work, the folder pipeline run used)")
        }
        let names = try pipelines.isEmpty ? list(work).filter { PlainName.problem($0) == nil && isPipeline(work + "/" + $0) } : pipelines
        return try names.map { name in
            if let problem = PlainName.problem(name) { throw PipelineError(.badInput, "pipeline '\(name)' \(problem)") }
            guard isPipeline(work + "/" + name) else { throw PipelineError(.badInput, "\(work)/\(name): no runs of pipeline '\(name)' here") }
            do {
                return try FileLock.withLock(Self.lockPath(work: work, pipeline: name), blocking: waitForLock) { try clean(name) }
            } catch let error as ProjectorFailure where error.kind == .busy {
                throw PipelineError(.busy, "a run of \(name) is going (\(error.message)); try again later, or pass --wait")
            }
        }
    }

    private func clean(_ pipeline: String) throws -> Report {
        let base = work + "/" + pipeline, cache = base + "/cache"
        let runs = try runFolders(base)
        let kept = Array(runs.suffix(keep)), doomed = Array(runs.dropLast(keep))
        // Cache entries the kept runs use: every output path of every step under cache/<key>/.
        var used = Set<String>(), keepAll = kept.isEmpty
        for run in kept {
            guard let data = FileManager.default.contents(atPath: base + "/" + run + "/run.json"),
                  let record = try? JSONDecoder().decode(RunRecord.self, from: data) else { keepAll = true; continue }
            // The entry is the folder after ".../cache/", however the work folder was spelled.
            for step in record.steps {
                for path in step.outputs.values {
                    guard let range = path.range(of: "/cache/", options: .backwards) else { continue }
                    used.insert(String(path[range.upperBound...].prefix { $0 != "/" }))
                }
            }
        }
        var freed: Int64 = 0, removedEntries = 0, keptEntries = 0
        func remove(_ path: String) throws {
            freed += size(path)
            do { try FileManager.default.removeItem(atPath: path) } catch {
                throw PipelineError(.failure, "\(path): cannot remove: \(error.localizedDescription)")
            }
        }
        for run in doomed { try remove(base + "/" + run) }
        if isFolder(cache) {
            for entry in try list(cache) {
                // Only step outputs (`<sha256>`, `<sha256>.tmp-<pid>`); published-<name>-<sha> markers
                // are a few bytes and say what is already in the store.
                guard Self.isCacheEntry(entry) else { continue }
                if keepAll || used.contains(entry) { keptEntries += 1; continue }
                try remove(cache + "/" + entry)
                removedEntries += 1
            }
        }
        return Report(pipeline: pipeline, keptRuns: kept.count, removedRuns: doomed, keptEntries: keptEntries,
                      removedEntries: removedEntries, bytesFreed: freed)
    }

    /// `<64 hex digits>` or `<64 hex digits>.tmp-<digits>` (a killed step's scratch folder).
    static func isCacheEntry(_ name: String) -> Bool {
        let key = name.prefix(64), rest = name.dropFirst(64)
        guard key.count == 64, key.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return false }
        return rest.isEmpty || (rest.hasPrefix(".tmp-") && rest.count > 5 && rest.dropFirst(5).allSatisfy(\.isNumber))
    }

    private func runFolders(_ base: String) throws -> [String] {
        try list(base).filter {
            $0 != "cache" && !$0.hasPrefix(".") && FileManager.default.fileExists(atPath: base + "/" + $0 + "/manifest.yaml")
        }.sorted()
    }

    /// A pipeline's folder: it holds the run lock or a run folder.
    private func isPipeline(_ path: String) -> Bool {
        isFolder(path) && (FileManager.default.fileExists(atPath: path + "/.run.lock") || !((try? runFolders(path)) ?? []).isEmpty)
    }

    private func list(_ path: String) throws -> [String] {
        do { return try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw PipelineError(.failure, "\(path): cannot list: \(error.localizedDescription)")
        }
    }

    private func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    private func size(_ path: String) -> Int64 {
        guard let walker = FileManager.default.enumerator(atPath: path) else { return 0 }
        var total: Int64 = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0
        while let entry = walker.nextObject() as? String {
            total += (try? FileManager.default.attributesOfItem(atPath: path + "/" + entry)[.size] as? Int64) ?? 0
        }
        return total
    }
}
