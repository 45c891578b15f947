/// Exit codes shared by every stage executable, for cron jobs, CI and the pipeline runner.
///
/// | code | meaning                                                          |
/// |------|------------------------------------------------------------------|
/// | 0    | success                                                          |
/// | 1    | failure (an I/O error, a numerical failure, a bug)               |
/// | 2    | bad usage or bad input (unknown option, malformed file, …)       |
/// | 3    | the quality gate refused (metrics regressed beyond tolerance)    |
/// | 4    | busy: another pipeline run holds the store's lock (`pipeline`)   |
public enum StageExitCode: Int32, Sendable {
    case success = 0
    case failure = 1
    case badInput = 2
    case qualityGateRefused = 3
    case busy = 4
}

/// An error that knows which exit code it deserves. Errors that do not conform exit with
/// `StageExitCode.failure`, except the data modules' input errors (see `StageRunner`).
public protocol StageError: Error, CustomStringConvertible {
    var exitCode: StageExitCode { get }
}
