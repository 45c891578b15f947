import BuildInfo
import Essentials
import Foundation

/// Running one step: its cache key, the subprocess, its log, its record.
extension Runner {
    /// Runs (or reuses) one step. Outputs are named flags (`--output`, `--report`, …) pointing into
    /// `cache/<key>/`; the key hashes the program, the arguments and the input files' contents.
    func step(
        _ name: String, program: String, cache: String, run: String, arguments: [String], inputs: [String],
        outputs: [String: String], records: inout [StepRecord]
    ) throws -> [String: String] {
        let executable = binaries + "/" + program
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw PipelineError(.failure, "stage executable \(executable) is missing: build with swift build -c release")
        }
        var keyText = program + "\u{0}" + (try programKeys[program] ?? Hashing.program(executable)) + "\u{0}"
        for argument in arguments { keyText += argument + "\u{0}" }
        for input in inputs { keyText += try Hashing.path(input) + "\u{0}" }
        let key = Digest.sha256(keyText)
        let target = cache + "/" + key
        let paths = outputs.mapValues { target + "/" + $0 }
        let start = Date()
        let log = run + "/" + name.replacingOccurrences(of: ":", with: "-") + ".log"
        if FileManager.default.fileExists(atPath: target + "/.complete") && !forceAll && !force.contains(name) {
            progress.stepCached(name)
            records.append(StepRecord(step: name, cached: true, seconds: Date().timeIntervalSince(start), exitCode: 0, outputs: paths, log: nil))
            return paths
        }
        try? FileManager.default.removeItem(atPath: target)
        let scratch = target + ".tmp-\(getpid())"
        try? FileManager.default.removeItem(atPath: scratch)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let scratchArguments = outputs.sorted { $0.key < $1.key }.flatMap { ["--" + $0.key, scratch + "/" + $0.value] }
        progress.stepStarted(name)
        let outcome = try Subprocess.run(executable, arguments + scratchArguments, log: log, progress: progress, step: name)
        let seconds = Date().timeIntervalSince(start)
        // A step that ran elsewhere names its application (factorise --engine spark: Spark's id).
        var application: String?
        do {
            if case .object(let summary)? = try outcome.result(JSONValue.self, step: name, log: log).summary,
               case .string(let id)? = summary["application_id"] {
                application = id
            }
        } catch {
            records.append(StepRecord(step: name, cached: false, seconds: seconds, exitCode: outcome.status, outputs: [:], log: log))
            try? FileManager.default.removeItem(atPath: scratch)
            progress.stepFailed(name, status: outcome.status)
            throw error
        }
        records.append(StepRecord(step: name, cached: false, seconds: seconds, exitCode: outcome.status, outputs: paths, log: log,
                                  application: application))
        guard FileManager.default.createFile(atPath: scratch + "/.complete", contents: Data()) else {
            throw PipelineError(.failure, "\(scratch)/.complete: cannot write the cache marker: \(systemError())")
        }
        guard rename(scratch, target) == 0 else {
            throw PipelineError(.failure, "cannot move \(scratch) to \(target): \(String(cString: strerror(errno)))")
        }
        progress.stepFinished(name, seconds: seconds)
        return paths
    }
}

/// sha256 of files and folders, for cache keys.
enum Hashing {
    /// What identifies a stage program in a cache key: the sha256 of the sources it was built from
    /// (its `--version` says them; see `BuildInfo`), so that rebuilding unchanged sources — a new
    /// commit touching only documentation, a fresh clone, `Scripts/install` — keeps the cache;
    /// the executable's own bytes when it cannot say.
    static func program(_ executable: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--version"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        if (try? process.run()) != nil {
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            if process.terminationReason == .exit, process.terminationStatus == 0,
               let sources = BuildInfo.sourcesFingerprint(inVersionText: text) {
                return "sources " + sources
            }
        }
        return "binary " + (try file(executable))
    }

    static func file(_ path: String) throws -> String {
        do { return try Digest.sha256(file: path).hex } catch { throw PipelineError(.badInput, "\(error)") }
    }

    /// A file's hash, or for a folder the hash of its files' relative paths and hashes (sorted),
    /// subfolders included (a MovieLens folder's `updates/`); names starting with `.` are skipped.
    static func path(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw PipelineError(.badInput, "\(path) does not exist")
        }
        guard isDirectory.boolValue else { return try file(path) }
        var listing = ""
        func walk(_ relative: String) throws {
            let folder = relative.isEmpty ? path : path + "/" + relative
            for name in try FileManager.default.contentsOfDirectory(atPath: folder).filter({ !$0.hasPrefix(".") }).sorted() {
                let entry = relative.isEmpty ? name : relative + "/" + name
                var sub: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path + "/" + entry, isDirectory: &sub) else { continue }
                if sub.boolValue { try walk(entry) } else { listing += "\(entry) \(try file(path + "/" + entry))\n" }
            }
        }
        try walk("")
        return Digest.sha256(listing)
    }
}
