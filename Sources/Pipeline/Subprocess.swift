import Essentials
import Foundation
import SparkEngine
import StageKit

/// Runs one stage executable on the stage contract: its stdout (the one `StageResult` line) into
/// a file of its own, its stderr into the step's log, and the `StageEvent` lines among them to
/// the progress display. Nothing here reads the stage's log text.
enum Subprocess {
    /// How a stage process ended: its exit status (1 when a signal killed it) and its stdout.
    struct Outcome {
        var status: Int32
        var signal: Int32?
        var stdout: Data
    }

    static func run(_ executable: String, _ arguments: [String], log: String, progress: Progress, step: String) throws -> Outcome {
        guard FileManager.default.createFile(atPath: log, contents: nil), let logHandle = FileHandle(forWritingAtPath: log) else {
            throw PipelineError(.failure, "\(log): cannot create the step log")
        }
        defer { try? logHandle.close() }
        func append(_ data: Data) throws {
            do { try logHandle.write(contentsOf: data) } catch {
                throw PipelineError(.failure, "\(log): cannot write the step log: \(error.localizedDescription)")
            }
        }
        try append(Data(("$ " + ([executable] + arguments.map(redacted)).map(quote).joined(separator: " ") + "\n").utf8))
        // stdout goes to an unlinked temporary file: a result line of any size, no second pipe to drain.
        let resultPath = log + ".result"
        guard FileManager.default.createFile(atPath: resultPath, contents: nil), let resultHandle = FileHandle(forUpdatingAtPath: resultPath) else {
            throw PipelineError(.failure, "\(resultPath): cannot create the stage's result file")
        }
        unlink(resultPath)
        defer { try? resultHandle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment[StageEvent.environmentKey] = "1"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = resultHandle
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let reader = pipe.fileHandleForReading
        var pending = Data()
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            try append(chunk)
            pending.append(chunk)
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                if let event = StageEvent.parse(line), event.event == .iteration {
                    progress.stepProgress(step, done: event.done, total: event.total)
                }
            }
        }
        process.waitUntilExit()
        try resultHandle.seek(toOffset: 0)
        let stdout = try resultHandle.readToEnd() ?? Data()
        try append(Data("result: ".utf8) + stdout)
        if process.terminationReason == .uncaughtSignal {
            try append(Data("killed by signal \(process.terminationStatus)\n".utf8))
            return Outcome(status: StageExitCode.failure.rawValue, signal: process.terminationStatus, stdout: stdout)
        }
        return Outcome(status: process.terminationStatus, signal: nil, stdout: stdout)
    }

    /// An argument as the log shows it: a secret `--spark-conf` value redacted (`SparkConf`).
    static func redacted(_ argument: String) -> String {
        let flag = "--spark-conf="
        guard argument.hasPrefix(flag) else { return argument }
        return flag + SparkConf.redactedText(String(argument.dropFirst(flag.count)))
    }

    static func quote(_ word: String) -> String {
        word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=@:,".contains($0) } ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

extension Subprocess.Outcome {
    /// The stage's result as `Summary`, or the step's failure: the stage's own error and exit
    /// code when it reported one, else what the process did (a signal, an exit without a result).
    func result<Summary: Codable & Sendable>(_: Summary.Type, step: String, log: String) throws -> StageResult<Summary> {
        if let signal {
            throw PipelineError(.failure, "step \(step) was killed by signal \(signal); log \(log)")
        }
        let decoded = try? StageResult<Summary>.decode(stdout, source: "step \(step)'s result")
        if status == 0, let decoded, decoded.exitCode == .success { return decoded }
        let code = StageExitCode(rawValue: status) ?? .failure
        guard let failure = try? StageResult<JSONValue>.decode(stdout, source: "step \(step)'s result"), let error = failure.error else {
            throw PipelineError(FailureKind(code), "step \(step) exited with \(status) without a stage result; log \(log)")
        }
        throw PipelineError(FailureKind(code), "step \(step) exited with \(status): \(error); log \(log)")
    }
}
