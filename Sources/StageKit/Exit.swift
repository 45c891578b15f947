import ArgumentParser
import BuildInfo
import Essentials
import Foundation
import LinearAlgebra

/// How every executable ends on an error, in one place. While parsing: help exits 0, anything
/// else is bad usage (2). While running: the project's errors (`ProjectorError`) print
/// `TOOL: error: …` and exit with their own code; a `ValidationError` is bad usage (2); any other
/// error is a failure (1).
func exitForUsage<Command: ParsableCommand>(_ error: any Error, of _: Command.Type) -> Never {
    let message = Command.fullMessage(for: error)
    if Command.exitCode(for: error) == .success {
        if !message.isEmpty { print(message) }
        Foundation.exit(StageExitCode.success.rawValue)
    }
    StandardError.write((message + "\n"))
    exitWithResult(Command.self, .badInput, Command.message(for: error))
}

/// Ends a run that failed: a stage prints its failure as its one `StageResult` on stdout (the
/// message is on stderr too, for people), every tool exits with the code.
func exitWithResult<Command: ParsableCommand>(_: Command.Type, _ code: StageExitCode, _ message: String) -> Never {
    if Command.self is any StageCommand.Type {
        print(JSON.line(StageResult<JSONValue>(stage: Command._commandName, exitCode: code, summary: nil, error: message)))
    }
    Foundation.exit(code.rawValue)
}

func exitFor<Command: ParsableCommand>(_ error: any Error, of _: Command.Type) -> Never {
    switch error {
    case let exit as ExitCode:
        exitWithResult(Command.self, StageExitCode(rawValue: exit.rawValue) ?? .failure, "exit \(exit.rawValue)")
    case let error as any ProjectorError:
        StandardError.write("\(Command._commandName): error: \(error)\n")
        exitWithResult(Command.self, error.exitCode, "\(error)")
    case _ where error is ValidationError || error is CleanExit || Command.exitCode(for: error) != .failure:
        exitForUsage(error, of: Command.self)  // ArgumentParser's own: help (0) or usage (2)
    default:
        StandardError.write("\(Command._commandName): error: \(error)\n")
        exitWithResult(Command.self, .failure, "\(error)")
    }
}

/// `main` for every executable (stages call it through `runAsStage`): ArgumentParser's own
/// `main()` would exit 64 for usage errors where the contract says 2, so parsing and running are
/// done here, with help and usage handled as above and the project's errors exiting with their
/// own codes.
public func runTool<Command: ParsableCommand>(_: Command.Type) -> Never {
    Parallel.stopIdleBLASPool()
    printVersionIfAsked(Command.self)
    var command: any ParsableCommand
    do {
        command = try Command.parseAsRoot()
    } catch {
        exitForUsage(error, of: Command.self)
    }
    do {
        try command.run()
        Foundation.exit(StageExitCode.success.rawValue)
    } catch {
        exitFor(error, of: Command.self)
    }
}

/// `TOOL --version` (alone) prints the release, the git commit it was built from (and whether the
/// sources were dirty) and the sources' sha256, then exits 0: every executable answers it, and
/// the pipeline runner keys its cache by the sources line.
func printVersionIfAsked<Command: ParsableCommand>(_: Command.Type) {
    guard CommandLine.arguments.dropFirst().elementsEqual(["--version"]) else { return }
    print(BuildInfo.versionText(tool: Command._commandName))
    Foundation.exit(StageExitCode.success.rawValue)
}

/// `runTool` for commands that run async (`serve`): the same parsing, exit codes and error
/// messages.
public func runAsyncTool<Command: AsyncParsableCommand>(_: Command.Type) async -> Never {
    Parallel.stopIdleBLASPool()
    printVersionIfAsked(Command.self)
    var parsed: any ParsableCommand
    do {
        parsed = try Command.parseAsRoot()
    } catch {
        exitForUsage(error, of: Command.self)
    }
    do {
        // `--help` and `help` parse as ArgumentParser's own (synchronous) help command.
        if var command = parsed as? any AsyncParsableCommand { try await command.run() } else { try parsed.run() }
        Foundation.exit(StageExitCode.success.rawValue)
    } catch {
        exitFor(error, of: Command.self)
    }
}
