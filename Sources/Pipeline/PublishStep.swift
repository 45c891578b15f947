import ArtifactStore
import Essentials
import Foundation
import StageContract

extension Runner {
    /// Publishing has a side effect, so its cache entry only records what was published: it is
    /// skipped when the store still has that version with the same model checksum.
    /// `outputs`: files publish writes into the run folder (the gate's record), listed by name in
    /// run.json whether the gate passed or refused.
    func publishStep(arguments: [String], model: String, name: String, cache: String, run: String,
                     outputs: [String: String], records: inout [StepRecord]) throws {
        let sha = try Hashing.file(model)
        let marker = cache + "/published-\(name)-\(sha)"
        let start = Date()
        if let recorded = try? String(contentsOfFile: marker, encoding: .utf8),
           let version = Int(recorded.trimmingCharacters(in: .whitespacesAndNewlines)),
           (try? ModelStore(root: store).manifest(name, version))?.sha256 == sha, !forceAll, !force.contains("publish") {
            progress.stepCached("publish")
            records.append(StepRecord(step: "publish", cached: true, seconds: Date().timeIntervalSince(start), exitCode: 0,
                                      outputs: ["version": String(version)], log: nil))
            return
        }
        progress.stepStarted("publish")
        let log = run + "/publish.log"
        let outcome = try Subprocess.run(binaries + "/publish", arguments, log: log, progress: progress, step: "publish")
        let written = outputs.filter { FileManager.default.fileExists(atPath: $0.value) }
        records.append(StepRecord(step: "publish", cached: false, seconds: Date().timeIntervalSince(start), exitCode: outcome.status, outputs: written, log: log))
        let published: PublishSummary
        do {
            let result = try outcome.result(PublishSummary.self, step: "publish", log: log)
            guard let summary = result.summary else { throw PipelineError(.failure, "publish succeeded but reported no version; log \(log)") }
            published = summary
        } catch {
            progress.stepFailed("publish", status: outcome.status)
            throw error
        }
        try AtomicFile.write(Data(String(published.version).utf8), to: marker)
        records[records.count - 1].outputs["version"] = String(published.version)
        progress.stepFinished("publish", seconds: Date().timeIntervalSince(start))
    }
}
