import ArgumentParser
import Foundation
import HDF5
import Logging
import ArtifactStore
import Evaluation
import Models
import Pipeline
import MovieLens

/// Options every stage has: logging verbosity.
public struct LoggingOptions: ParsableArguments, Sendable {
    @Flag(name: .shortAndLong, help: "Log only warnings and errors (stderr).")
    public var quiet = false

    @Flag(name: .shortAndLong, help: "Log debugging detail (stderr).")
    public var verbose = false

    public init() {}

    public var level: Logger.Level { quiet ? .warning : (verbose ? .debug : .info) }
}

/// The stage contract: `STAGE --input PATH --output PATH [options]`, logs on stderr, only the
/// result on stdout, and exit codes from `StageExitCode`.
///
/// A stage is an `AsyncParsableCommand`-free `ParsableCommand` whose `main.swift` calls
/// `runAsStage()` instead of `main()`, because ArgumentParser's own `main()` exits with 64 for
/// usage errors where the contract says 2.
///
///     // Sources/ingest/main.swift
///     IngestCommand.runAsStage()
public protocol StageCommand: ParsableCommand {
    /// Does the stage's work; what it returns is printed on stdout.
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

    /// Parses the command line, runs the stage and exits with the contract's code.
    public static func runAsStage(_ arguments: [String]? = nil) -> Never {
        var command: Self
        do {
            var parsed = try parseAsRoot(arguments)
            guard let stage = parsed as? Self else {
                try parsed.run()  // ArgumentParser's own help command: throws CleanExit
                Foundation.exit(0)
            }
            command = stage
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(StageExitCode.badInput.rawValue)
        }
        do {
            try command.run()
            Foundation.exit(StageExitCode.success.rawValue)
        } catch let exitCode as ExitCode {
            Foundation.exit(exitCode.rawValue)
        } catch {
            let code = StageExitCode.classify(error)
            FileHandle.standardError.write(Data("\(_commandName): error: \(error)\n".utf8))
            Foundation.exit(code.rawValue)
        }
    }
}

extension StageExitCode {
    /// The exit code an error deserves: its own if it is a `StageError`, 2 for bad input
    /// found by the data modules, 1 for anything else.
    public static func classify(_ error: any Error) -> StageExitCode {
        switch error {
        case let error as any StageError: error.exitCode
        case is MovieLensError: .badInput
        case let error as StoreError: error.kind == .qualityGate ? .qualityGateRefused : (error.kind == .failure ? .failure : .badInput)
        case let error as EvaluationError: error.kind == .qualityGate ? .qualityGateRefused : .badInput
        case let error as ModelsError: error.kind == .diverged ? .failure : .badInput
        case let error as HDF5Error:
            // Reading a file that is missing, not HDF5, or lacks what the format promises is bad
            // input; anything else (a failed write, a library fault) is a failure.
            error.problem.hasSuffix("is missing") || error.problem.hasPrefix("holds ")
                || error.problem == "file does not exist" || error.problem == "not an HDF5 file"
                ? .badInput : .failure
        case is ValidationError: .badInput
        case let error as PipelineError: StageExitCode(rawValue: error.exitCode) ?? .failure
        default: .failure
        }
    }
}

/// `main` for the tools with subcommands (store, recommend, pipeline): ArgumentParser handles
/// help and usage errors (usage exits 2, as for the stages); the project's errors are printed as
/// `TOOL: error: …` and exit with the code `StageExitCode.classify` gives them.
public func runTool<Command: ParsableCommand>(_: Command.Type) -> Never {
    do {
        var command = try Command.parseAsRoot()
        try command.run()
        Foundation.exit(0)
    } catch let exit as ExitCode {
        Foundation.exit(exit.rawValue)
    } catch let error where error is StoreError || error is PipelineError || error is ModelsError || error is EvaluationError || error is MovieLensError || error is HDF5Error {
        FileHandle.standardError.write(Data("\(Command._commandName): error: \(error)\n".utf8))
        Foundation.exit(StageExitCode.classify(error).rawValue)
    } catch {
        let code = Command.exitCode(for: error)
        let message = Command.fullMessage(for: error)
        if code == .success {
            print(message)
            Foundation.exit(0)
        }
        FileHandle.standardError.write(Data((message + "\n").utf8))
        Foundation.exit(code == .validationFailure ? StageExitCode.badInput.rawValue : StageExitCode.failure.rawValue)
    }
}
