import Essentials
import Foundation

extension Runner {
    /// Publishing has a side effect, so its cache entry only records what was published: it is
    /// skipped when the store still has a version with the same model checksum.
    /// `outputs`: files publish writes into the run folder (the gate's record), listed by name in
    /// run.json whether the gate passed or refused.
    func publishStep(arguments: [String], model: String, name: String, cache: String, run: String,
                     outputs: [String: String], records: inout [StepRecord]) throws {
        let sha = try Hashing.file(model)
        let marker = cache + "/published-\(name)-\(sha)"
        let start = Date()
        if let recorded = try? String(contentsOfFile: marker, encoding: .utf8),
           let version = Int(recorded.trimmingCharacters(in: .whitespacesAndNewlines)),
           let manifest = FileManager.default.contents(atPath: "\(store)/\(name)/\(version)/manifest.json"),
           String(decoding: manifest, as: UTF8.self).contains(sha), !forceAll, !force.contains("publish") {
            progress.stepCached("publish")
            records.append(StepRecord(step: "publish", cached: true, seconds: Date().timeIntervalSince(start), exitCode: 0,
                                      outputs: ["version": String(version)], log: nil))
            return
        }
        progress.stepStarted("publish")
        let log = run + "/publish.log"
        let status = try Subprocess.run(binaries + "/publish", arguments, log: log, progress: progress, step: "publish", watchIterations: false)
        let written = outputs.filter { FileManager.default.fileExists(atPath: $0.value) }
        records.append(StepRecord(step: "publish", cached: false, seconds: Date().timeIntervalSince(start), exitCode: status, outputs: written, log: log))
        guard status == 0 else {
            progress.stepFailed("publish", status: status)
            throw PipelineError(exitCode: status == 3 ? 3 : (status == 2 ? 2 : 1), "step publish exited with \(status); log \(log):\n\(Self.errorLines(log))")
        }
        // publish prints one JSON line: {"name":…,"version":N,…}.
        struct Published: Decodable { var version: Int }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("{") }),
              let published = try? JSONDecoder().decode(Published.self, from: Data(line.utf8)) else {
            throw PipelineError(exitCode: 1, "publish succeeded but printed no version; log \(log)")
        }
        try AtomicFile.write(Data(String(published.version).utf8), to: marker)
        records[records.count - 1].outputs["version"] = String(published.version)
        progress.stepFinished("publish", seconds: Date().timeIntervalSince(start))
    }
}
