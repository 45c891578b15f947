import ArgumentParser
import ArtifactStore
import Foundation
import StageKit

do {
    var command = try RecommendCommand.parseAsRoot()
    try command.run()
} catch let error as StoreError {
    FileHandle.standardError.write(Data("recommend: error: \(error)\n".utf8))
    exit(StageExitCode.classify(error).rawValue)
} catch {
    RecommendCommand.exit(withError: error)
}
