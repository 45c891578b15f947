import ArgumentParser
import Foundation
import Pipeline

do {
    var command = try PipelineCommand.parseAsRoot()
    try command.run()
} catch let error as PipelineError {
    FileHandle.standardError.write(Data("pipeline: error: \(error)\n".utf8))
    exit(error.exitCode)
} catch {
    let code = PipelineCommand.exitCode(for: error)
    if code == .success || code == .validationFailure {
        PipelineCommand.exit(withError: error)
    }
    FileHandle.standardError.write(Data("pipeline: error: \(error)\n".utf8))
    exit(code == ExitCode(64) ? 2 : 1)
}
