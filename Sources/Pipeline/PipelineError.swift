import Essentials

/// The one error type of the Pipeline module. `exitCode` is the runner's documented code.
public struct PipelineError: ProjectorError, Equatable {
    /// 2: a bad manifest or missing input; 3: a quality gate refused; 4: another run holds the
    /// store's lock; 1: a stage failed.
    public var code: Int32
    public var message: String

    public init(exitCode: Int32, _ message: String) {
        self.code = exitCode
        self.message = message
    }

    public static func manifest(_ file: String, line: Int?, _ message: String) -> PipelineError {
        PipelineError(exitCode: 2, line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)")
    }

    public var description: String { message }
    public var exitCode: StageExitCode { StageExitCode(rawValue: code) ?? .failure }
}
