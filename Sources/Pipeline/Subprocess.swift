import Foundation

/// Runs one stage executable, writing its stdout and stderr to a log file and, for training
/// steps, feeding "iteration X/Y" lines to the progress display.
enum Subprocess {
    static func run(_ executable: String, _ arguments: [String], log: String, progress: Progress, step: String,
                    watchIterations: Bool) throws -> Int32 {
        guard FileManager.default.createFile(atPath: log, contents: nil), let logHandle = FileHandle(forWritingAtPath: log) else {
            throw PipelineError(exitCode: 1, "\(log): cannot create the step log")
        }
        defer { try? logHandle.close() }
        func append(_ data: Data) throws {
            do { try logHandle.write(contentsOf: data) } catch {
                throw PipelineError(exitCode: 1, "\(log): cannot write the step log: \(error.localizedDescription)")
            }
        }
        try append(Data(("$ " + ([executable] + arguments).map(quote).joined(separator: " ") + "\n").utf8))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let reader = pipe.fileHandleForReading
        var pending = Data()
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            try append(chunk)
            guard watchIterations else { continue }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                if let (done, total) = iteration(in: line) { progress.stepProgress(step, done: done, total: total) }
            }
        }
        process.waitUntilExit()
        if process.terminationReason == .uncaughtSignal {
            try append(Data("killed by signal \(process.terminationStatus)\n".utf8))
            return 1
        }
        return process.terminationStatus
    }

    /// "… iteration 12/230: …" → (12, 230).
    static func iteration(in line: String) -> (Int, Int)? {
        guard let range = line.range(of: "iteration ") else { return nil }
        let rest = line[range.upperBound...]
        let parts = rest.prefix { $0.isNumber || $0 == "/" }.split(separator: "/")
        guard parts.count == 2, let done = Int(parts[0]), let total = Int(parts[1]), total > 0 else { return nil }
        return (done, total)
    }

    static func quote(_ word: String) -> String {
        word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=@:,".contains($0) } ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
