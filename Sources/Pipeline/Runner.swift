import Crypto
import Foundation

/// Runs a pipeline manifest: each stage as its own executable (a subprocess with its own exit
/// code), outputs content-addressed in a cache, one log per stage, timings, and a lock so that
/// one run at a time uses a store.
///
/// Layout under the work folder (default `Runs/`):
///
///     Runs/<pipeline>/cache/<sha256>/…          a stage's outputs, keyed by its program, parameters and inputs
///     Runs/<pipeline>/<UTC time>/manifest.yaml  the manifest as run (variables expanded)
///     Runs/<pipeline>/<UTC time>/<step>.log     each stage's stdout and stderr
///     Runs/<pipeline>/<UTC time>/run.json       steps, cached or run, seconds, exit codes, outputs
///
/// Caching works like DVC: a step whose program (sha256 of its executable), parameters and input
/// files (sha256) are unchanged is skipped and its cached outputs reused. A failed run therefore
/// resumes from the failed step on the next run. `force` re-runs every step, or the named ones.
public struct Runner: Sendable {
    public var manifest: PipelineManifest
    /// Folder holding the stage executables.
    public var binaries: String
    public var workFolder: String
    public var store: String
    public var force: Set<String>
    public var forceAll: Bool
    public var waitForLock: Bool
    public var progress: Progress

    public init(manifest: PipelineManifest, binaries: String, workFolder: String, store: String,
                force: Set<String> = [], forceAll: Bool = false, waitForLock: Bool = false, progress: Progress) {
        self.manifest = manifest
        self.binaries = binaries
        self.workFolder = workFolder
        self.store = store
        self.force = force
        self.forceAll = forceAll
        self.waitForLock = waitForLock
        self.progress = progress
    }

    /// One executed (or cached) step of a run.
    public struct StepRecord: Codable, Sendable {
        public var step: String
        public var cached: Bool
        public var seconds: Double
        public var exitCode: Int32
        public var outputs: [String: String]
    }

    /// The step names a manifest produces, in order (what `--force` accepts).
    public static func stepNames(_ manifest: PipelineManifest) -> [String] {
        ["ingest"] + manifest.models.flatMap { ["normalise:\($0.name)", "factorise:\($0.name)", "evaluate:\($0.name)"] }
            + (manifest.publish == nil ? [] : ["publish"])
    }

    /// Runs the pipeline; returns the run folder and its steps. Throws `PipelineError` with the
    /// documented exit code on failure.
    public func run() throws -> (folder: String, steps: [StepRecord], metrics: [String: String]) {
        let unknown = force.subtracting(Self.stepNames(manifest))
        guard unknown.isEmpty else {
            throw PipelineError(exitCode: 2, "--force \(unknown.sorted().joined(separator: ", ")): no such step (steps: \(Self.stepNames(manifest).joined(separator: ", ")))")
        }
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
        return try Lock.hold(store + "/.pipeline.lock", wait: waitForLock) {
            try runLocked()
        }
    }

    private func runLocked() throws -> (folder: String, steps: [StepRecord], metrics: [String: String]) {
        let base = workFolder + "/" + manifest.name
        let cache = base + "/cache"
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        var folder = base + "/" + stamp
        var suffix = 1
        while FileManager.default.fileExists(atPath: folder) { folder = base + "/\(stamp)-\(suffix)"; suffix += 1 }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        try manifest.text.write(toFile: folder + "/manifest.yaml", atomically: true, encoding: .utf8)

        var records: [StepRecord] = []
        var metricsFiles: [String: String] = [:]
        func save() {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try? encoder.encode(records).write(to: URL(fileURLWithPath: folder + "/run.json"))
        }
        defer { save() }

        let dataFolder = try DataSource.ensure(folder: manifest.dataFolder, url: manifest.dataURL, progress: progress)
        var splitArguments: [String] = []
        for (key, value) in manifest.split.sorted(by: { $0.key < $1.key }) {
            splitArguments += ["--" + (key == "strategy" ? "split" : key == "name" ? "split-name" : key.replacingOccurrences(of: "_", with: "-")), value]
        }
        if manifest.split["fraction"] != nil {
            splitArguments = splitArguments.map { $0 == "--fraction" ? "--test-fraction" : $0 }
        }
        let ingest = try step(
            "ingest", program: "ingest", cache: cache, run: folder,
            arguments: ["--input", dataFolder] + (manifest.dataFormat == "csv" ? ["--format", "csv"] : []) + splitArguments,
            inputs: [dataFolder], outputs: ["output": "ratings.h5"], records: &records)
        let ratings = ingest["output"]!

        var evaluated: [String: String] = [:]
        for model in manifest.models {
            let normalise = try step(
                "normalise:\(model.name)", program: "normalise", cache: cache, run: folder,
                arguments: ["--input", ratings] + options(model.normalise), inputs: [ratings],
                outputs: ["output": "train.h5"], records: &records)
            let factorise = try step(
                "factorise:\(model.name)", program: "factorise", cache: cache, run: folder,
                arguments: ["--input", normalise["output"]!] + options(model.factorise),
                inputs: [normalise["output"]!], outputs: ["output": "model.h5"], records: &records, progressPattern: true)
            var evaluateOptions = options(manifest.evaluate)
            let gated = manifest.reference != nil && model.name == (manifest.publish?["model"] ?? manifest.models[0].name)
            var inputs = [factorise["output"]!, ratings]
            if gated, let reference = manifest.reference {
                guard FileManager.default.fileExists(atPath: reference) else {
                    throw PipelineError(exitCode: 2, "evaluate.reference \(reference) does not exist (create it once with evaluate --output)")
                }
                evaluateOptions += ["--reference", reference]
                inputs.append(reference)
            }
            let evaluate = try step(
                "evaluate:\(model.name)", program: "evaluate", cache: cache, run: folder,
                arguments: ["--model", factorise["output"]!, "--data", ratings] + evaluateOptions,
                inputs: inputs, outputs: ["output": "metrics.json", "report": "report.html", "model-output": "model.h5"],
                records: &records)
            evaluated[model.name] = evaluate["model-output"]!
            metricsFiles[model.name] = evaluate["output"]!
        }

        if let publish = manifest.publish {
            let model = evaluated[publish["model"]!]!
            var arguments = ["--input", model, "--name", publish["name"]!, "--store", store]
            for flag in ["gate", "promote"] where publish[flag] == "true" { arguments.append("--" + flag) }
            for key in ["max_rmse_increase", "max_precision_drop", "gate_k"] {
                if let value = publish[key] { arguments += ["--" + key.replacingOccurrences(of: "_", with: "-"), value] }
            }
            try publishStep(arguments: arguments, model: model, name: publish["name"]!, cache: cache, run: folder, records: &records)
        }
        return (folder, records, metricsFiles)
    }

    /// `key: value` options as command-line flags (`lambda` → `--lambda`, `burn_in` → `--burn-in`).
    func options(_ values: [String: String], renames: [String: String] = [:]) -> [String] {
        values.sorted { $0.key < $1.key }.flatMap { key, value -> [String] in
            let flag = renames[key] ?? key.replacingOccurrences(of: "_", with: "-")
            return flag == "k" ? ["--k", value] : ["--" + flag, value]
        }
    }

    /// Runs (or reuses) one step. Outputs are named flags (`--output`, `--report`, …) pointing into
    /// `cache/<key>/`; the key hashes the program, the arguments and the input files' contents.
    func step(
        _ name: String, program: String, cache: String, run: String, arguments: [String], inputs: [String],
        outputs: [String: String], records: inout [StepRecord], progressPattern: Bool = false
    ) throws -> [String: String] {
        let executable = binaries + "/" + program
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw PipelineError(exitCode: 1, "stage executable \(executable) is missing: build with swift build -c release")
        }
        var hasher = SHA256()
        hasher.update(data: Data(program.utf8))
        hasher.update(data: Data(try Hashing.file(executable).utf8))
        for argument in arguments { hasher.update(data: Data((argument + "\u{0}").utf8)) }
        for input in inputs { hasher.update(data: Data(try Hashing.path(input).utf8)) }
        let key = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        let target = cache + "/" + key
        let paths = outputs.mapValues { target + "/" + $0 }
        let start = Date()
        if FileManager.default.fileExists(atPath: target + "/.complete") && !forceAll && !force.contains(name) {
            progress.stepCached(name)
            records.append(StepRecord(step: name, cached: true, seconds: Date().timeIntervalSince(start), exitCode: 0, outputs: paths))
            return paths
        }
        try? FileManager.default.removeItem(atPath: target)
        let scratch = target + ".tmp-\(getpid())"
        try? FileManager.default.removeItem(atPath: scratch)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let scratchArguments = outputs.sorted { $0.key < $1.key }.flatMap { ["--" + $0.key, scratch + "/" + $0.value] }
        progress.stepStarted(name)
        let status = try Subprocess.run(executable, arguments + scratchArguments, log: run + "/" + name.replacingOccurrences(of: ":", with: "-") + ".log",
                                        progress: progress, step: name, watchIterations: progressPattern)
        let seconds = Date().timeIntervalSince(start)
        records.append(StepRecord(step: name, cached: false, seconds: seconds, exitCode: status, outputs: paths))
        guard status == 0 else {
            try? FileManager.default.removeItem(atPath: scratch)
            progress.stepFailed(name, status: status)
            let log = run + "/" + name.replacingOccurrences(of: ":", with: "-") + ".log"
            throw PipelineError(exitCode: status == 3 ? 3 : (status == 2 ? 2 : 1), "step \(name) exited with \(status); log \(log):\n\(Self.errorLines(log))")
        }
        FileManager.default.createFile(atPath: scratch + "/.complete", contents: Data())
        guard rename(scratch, target) == 0 else {
            throw PipelineError(exitCode: 1, "cannot move \(scratch) to \(target): \(String(cString: strerror(errno)))")
        }
        progress.stepFinished(name, seconds: seconds)
        return paths
    }

    /// What a failed step said: its `error:` lines (a stage's stdout is buffered and may land after
    /// them in the log), else the log's last lines.
    static func errorLines(_ log: String) -> String {
        let lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
        let errors = lines.filter { $0.contains("error:") || $0.hasPrefix("Error:") }
        return (errors.isEmpty ? Array(lines.suffix(3)) : errors).joined(separator: "\n")
    }

    /// Publishing has a side effect, so its cache entry only records what was published: it is
    /// skipped when the store still has a version with the same model checksum.
    func publishStep(arguments: [String], model: String, name: String, cache: String, run: String, records: inout [StepRecord]) throws {
        let sha = try Hashing.file(model)
        let marker = cache + "/published-\(name)-\(sha)"
        let start = Date()
        if let recorded = try? String(contentsOfFile: marker, encoding: .utf8),
           let version = Int(recorded.trimmingCharacters(in: .whitespacesAndNewlines)),
           let manifest = FileManager.default.contents(atPath: "\(store)/\(name)/\(version)/manifest.json"),
           String(decoding: manifest, as: UTF8.self).contains(sha), !forceAll, !force.contains("publish") {
            progress.stepCached("publish")
            records.append(StepRecord(step: "publish", cached: true, seconds: Date().timeIntervalSince(start), exitCode: 0,
                                      outputs: ["version": String(version)]))
            return
        }
        progress.stepStarted("publish")
        let log = run + "/publish.log"
        let status = try Subprocess.run(binaries + "/publish", arguments, log: log, progress: progress, step: "publish", watchIterations: false)
        records.append(StepRecord(step: "publish", cached: false, seconds: Date().timeIntervalSince(start), exitCode: status, outputs: [:]))
        guard status == 0 else {
            progress.stepFailed("publish", status: status)
            throw PipelineError(exitCode: status == 3 ? 3 : (status == 2 ? 2 : 1), "step publish exited with \(status); log \(log):\n\(Self.errorLines(log))")
        }
        if let output = try? String(contentsOfFile: log, encoding: .utf8),
           let line = output.split(separator: "\n").first(where: { $0.hasPrefix("{") }),
           let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
           let version = object["version"] as? Int {
            try? String(version).write(toFile: marker, atomically: true, encoding: .utf8)
            records[records.count - 1].outputs = ["version": String(version)]
        }
        progress.stepFinished("publish", seconds: Date().timeIntervalSince(start))
    }
}

/// sha256 of files and folders, for cache keys.
enum Hashing {
    static func file(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw PipelineError(exitCode: 2, "\(path): cannot read") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 8 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// A file's hash, or for a folder the hash of its files' names and hashes (sorted).
    static func path(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw PipelineError(exitCode: 2, "\(path) does not exist")
        }
        guard isDirectory.boolValue else { return try file(path) }
        let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") }.sorted()
        var hasher = SHA256()
        for name in names {
            var sub: ObjCBool = false
            if FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &sub), !sub.boolValue {
                hasher.update(data: Data("\(name) \(try file(path + "/" + name))\n".utf8))
            }
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// The run lock: one pipeline run at a time per store.
enum Lock {
    static func hold<T>(_ path: String, wait: Bool, _ body: () throws -> T) throws -> T {
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw PipelineError(exitCode: 1, "\(path): cannot open the run lock: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            guard wait else {
                throw PipelineError(exitCode: 4, "another pipeline run (pid \(holder)) is using this store (lock \(path)); try again later, or pass --wait")
            }
            FileHandle.standardError.write(Data("pipeline: waiting for the run holding \(path) (pid \(holder))\n".utf8))
            guard flock(fd, LOCK_EX) == 0 else { throw PipelineError(exitCode: 1, "\(path): cannot lock") }
        }
        defer { flock(fd, LOCK_UN) }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
        return try body()
    }
}
