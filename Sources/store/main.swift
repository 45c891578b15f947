import ArgumentParser
import ArtifactStore
import Foundation
import StageKit

// Errors map to the stage exit codes (2 for a bad name, version or alias; 1 for I/O).
do {
    var command = try StoreCommand.parseAsRoot()
    try command.run()
} catch let error as StoreError {
    FileHandle.standardError.write(Data("store: error: \(error)\n".utf8))
    exit(StageExitCode.classify(error).rawValue)
} catch {
    StoreCommand.exit(withError: error)
}
