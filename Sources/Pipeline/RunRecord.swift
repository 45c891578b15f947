import Essentials
import Foundation

/// One executed (or cached) step of a run.
public struct StepRecord: Codable, Sendable {
    public var step: String
    public var cached: Bool
    public var seconds: Double
    public var exitCode: Int32
    /// Outputs by name (`output` → …/model.h5, `report` → …/report.html, `version` → 3).
    public var outputs: [String: String]
    /// The step's log (nil when cached).
    public var log: String?
    /// The application that did the step's work elsewhere (a Spark application id), when one did.
    public var application: String?

    enum CodingKeys: String, CodingKey { case step, cached, seconds, outputs, log, application, exitCode = "exit_code" }

    public init(step: String, cached: Bool, seconds: Double, exitCode: Int32, outputs: [String: String], log: String?,
                application: String? = nil) {
        (self.step, self.cached, self.seconds, self.exitCode, self.outputs, self.log, self.application) =
            (step, cached, seconds, exitCode, outputs, log, application)
    }
}

/// `run.json` in each run folder: written when the run ends, whether it succeeded or not.
///
/// | key | meaning |
/// |---|---|
/// | `format`, `format_version` | `projector.run`, 1 |
/// | `pipeline`, `manifest_sha256` | the manifest's name and the sha256 of its expanded text |
/// | `started_at`, `finished_at` | UTC, ISO 8601 |
/// | `status` | `succeeded` or `failed` |
/// | `exit_code` | the run's exit code (0, 1 a step failed, 2 bad input, 3 gate refused, 4 busy) |
/// | `error` | what failed, or null |
/// | `failed_step`, `failed_log` | the step that failed and its log, or null |
/// | `steps` | every step run or reused: `step`, `cached`, `seconds`, `exit_code`, `outputs`, `log`, and `application` when the step's work ran elsewhere (factorise --engine spark: the Spark application id) |
public struct RunRecord: Codable, Sendable {
    public var format = "projector.run"
    public var formatVersion = 1
    public var pipeline: String
    public var manifestSHA256: String
    public var startedAt: String
    public var finishedAt: String?
    public var status = "running"
    public var exitCode: Int32 = 0
    public var error: String?
    public var failedStep: String?
    public var failedLog: String?
    public var steps: [StepRecord] = []

    enum CodingKeys: String, CodingKey {
        case format, pipeline, status, error, steps
        case formatVersion = "format_version", manifestSHA256 = "manifest_sha256", startedAt = "started_at"
        case finishedAt = "finished_at", exitCode = "exit_code", failedStep = "failed_step", failedLog = "failed_log"
    }

    public init(pipeline: String, manifestSHA256: String, startedAt: String) {
        self.pipeline = pipeline
        self.manifestSHA256 = manifestSHA256
        self.startedAt = startedAt
    }

    mutating func finish(steps: [StepRecord], error: (any Error)?) {
        self.steps = steps
        finishedAt = Timestamp.now()
        if let error {
            status = "failed"
            exitCode = StageExitCode.of(error).rawValue
            self.error = "\(error)"
            if let failed = steps.last(where: { $0.exitCode != 0 }) {
                failedStep = failed.step
                failedLog = failed.log
            }
        } else {
            status = "succeeded"
        }
    }

    func write(to path: String) throws { try AtomicFile.write(JSON.data(self, pretty: true), to: path) }
}
