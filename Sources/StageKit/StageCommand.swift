import ArgumentParser
import Essentials
import Foundation
import Logging

/// The stage contract: `STAGE --input PATH --output PATH [options]`, logs on stderr, only the
/// result on stdout, and exit codes from `StageExitCode`.
///
/// A stage is a `ParsableCommand` whose `main.swift` calls `runAsStage()` instead of `main()`,
/// because ArgumentParser's own `main()` exits with 64 for usage errors where the contract says 2.
///
///     // Sources/ingest/main.swift
///     IngestCommand.runAsStage()
public protocol StageCommand: ParsableCommand {
    /// Does the stage's work; what it returns is printed on stdout (one JSON line, by convention).
    mutating func runStage(log: Logger) throws -> String
    var logging: LoggingOptions { get }
}

extension StageCommand {
    public mutating func run() throws {
        let output = try runStage(log: Self.makeLogger(logging.level))
        if !output.isEmpty { print(output) }
    }

    static func makeLogger(_ level: Logger.Level) -> Logger {
        var logger = Logger(label: Self._commandName) { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = level
        return logger
    }

    /// Parses the command line, runs the stage and exits with the contract's code (see `runTool`).
    public static func runAsStage() -> Never { runTool(Self.self) }
}
