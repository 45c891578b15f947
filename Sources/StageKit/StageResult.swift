import Essentials
import Foundation

/// The typed boundary between a stage and whoever runs it (the pipeline runner, a script, CI):
/// a stage prints exactly one `StageResult` on stdout as one JSON line, success or failure, and
/// nothing else; its progress goes to stderr as `StageEvent` lines; its logs are for people.
///
///     {"exit_code":0,"format":"projector.stage-result","format_version":1,"stage":"normalise","summary":{"method":"none",…}}
///     {"error":"--input x.h5 does not exist","exit_code":2,"format":"projector.stage-result","format_version":1,"stage":"normalise"}
///
/// `summary` is each stage's own (a `PublishSummary` for publish); `exit_code` is the process's
/// exit code (`StageExitCode`).
public struct StageResult<Summary: Codable & Sendable>: Codable, Sendable {
    public static var format: String { "projector.stage-result" }
    public static var formatVersion: Int { 1 }

    public var format: String
    public var formatVersion: Int
    public var stage: String
    public var exitCode: StageExitCode
    public var summary: Summary?
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case format, formatVersion = "format_version", stage, exitCode = "exit_code", summary, error
    }

    public init(stage: String, exitCode: StageExitCode, summary: Summary?, error: String?) {
        format = Self.format
        formatVersion = Self.formatVersion
        self.stage = stage
        self.exitCode = exitCode
        self.summary = summary
        self.error = error
    }

    /// Reads a stage's stdout: bad input naming `source` when it is not one result of this
    /// format and version.
    public static func decode(_ data: Data, source: String) throws -> StageResult {
        let result = try JSON.decode(StageResult.self, from: data, source: source)
        guard result.format == format, result.formatVersion == formatVersion else {
            throw ProjectorFailure(.badInput, "\(source): is \(result.format) version \(result.formatVersion), expected \(format) version \(formatVersion)")
        }
        return result
    }
}

/// A stage's progress, one event per stderr line behind a fixed prefix, so that a runner reads
/// them without reading the logs around them:
///
///     projector-event: {"done":12,"event":"iteration","stage":"factorise","test_rmse":0.91,"total":230,"train_rmse":0.85}
public struct StageEvent: Codable, Sendable, Equatable {
    public static let prefix = "projector-event: "
    /// Set (to 1) in a stage's environment by whoever wants its events: the pipeline runner.
    public static let environmentKey = "PROJECTOR_STAGE_EVENTS"
    /// Whether this process was asked for events.
    public static let requested = ProcessInfo.processInfo.environment[environmentKey] == "1"

    public enum Kind: String, Codable, Sendable { case iteration }

    public var event: Kind
    public var stage: String
    public var done: Int
    public var total: Int
    public var trainRMSE: Double?
    public var testRMSE: Double?

    enum CodingKeys: String, CodingKey {
        case event, stage, done, total, trainRMSE = "train_rmse", testRMSE = "test_rmse"
    }

    public init(event: Kind, stage: String, done: Int, total: Int, trainRMSE: Double? = nil, testRMSE: Double? = nil) {
        self.event = event
        self.stage = stage
        self.done = done
        self.total = total
        self.trainRMSE = trainRMSE.flatMap { $0.isFinite ? $0 : nil }
        self.testRMSE = testRMSE.flatMap { $0.isFinite ? $0 : nil }
    }

    /// The line a stage writes to stderr.
    public var line: String { Self.prefix + JSON.line(self) + "\n" }

    /// The event a stderr line carries, or nil for any other line.
    public static func parse(_ line: some StringProtocol) -> StageEvent? {
        guard line.hasPrefix(prefix) else { return nil }
        return try? JSONDecoder().decode(StageEvent.self, from: Data(line.dropFirst(prefix.count).utf8))
    }

    /// Writes the event to stderr.
    public func emit() { StandardError.write(line) }
}
