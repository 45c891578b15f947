import Essentials

/// The Pipeline module's errors are the project's plain failure (`ProjectorFailure`): its kind
/// says the exit code (bad input: a bad manifest or a missing input; a refused quality gate; busy:
/// another run holds the store's lock; failure: a stage failed).
public typealias PipelineError = ProjectorFailure

extension ProjectorFailure {
    /// Bad input in a manifest, naming the file and line.
    public static func manifest(_ file: String, line: Int?, _ message: String) -> ProjectorFailure {
        ProjectorFailure(.badInput, line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)")
    }
}
