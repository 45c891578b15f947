import ArgumentParser
import Essentials
import Foundation
import Logging

/// The stage contract: `STAGE --input PATH --output PATH [options]`, logs and progress events on
/// stderr, exactly one `StageResult` on stdout, and exit codes from `StageExitCode`.
///
/// A stage is a `ParsableCommand` whose `main.swift` calls `runAsStage()` instead of `main()`,
/// because ArgumentParser's own `main()` exits with 64 for usage errors where the contract says 2.
///
///     // Sources/ingest/main.swift
///     IngestCommand.runAsStage()
public protocol StageCommand: ParsableCommand {
    associatedtype Summary: Codable & Sendable
    /// Does the stage's work; what it returns is the result's `summary`.
    mutating func runStage(log: Logger) throws -> Summary
    var logging: LoggingOptions { get }
}

extension StageCommand {
    public mutating func run() throws {
        let summary = try runStage(log: Self.makeLogger(logging.level))
        print(JSON.line(StageResult(stage: Self._commandName, exitCode: .success, summary: summary, error: nil)))
    }

    static func makeLogger(_ level: Logger.Level) -> Logger {
        var logger = Logger(label: Self._commandName) { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = level
        return logger
    }

    /// Parses the command line, runs the stage and exits with the contract's code (see `runTool`).
    public static func runAsStage() -> Never { runTool(Self.self) }

    /// Reports a progress event (stderr, `StageEvent.prefix`) when a runner asked for them
    /// (`StageEvent.environmentKey` set): a person at a terminal reads the logs instead.
    public static func progress(done: Int, total: Int, trainRMSE: Double? = nil, testRMSE: Double? = nil) {
        guard StageEvent.requested else { return }
        StageEvent(event: .iteration, stage: _commandName, done: done, total: total, trainRMSE: trainRMSE, testRMSE: testRMSE).emit()
    }
}
