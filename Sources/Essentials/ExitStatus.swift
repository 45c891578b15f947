/// Exit codes shared by every executable, for cron jobs, CI and the pipeline runner.
///
/// | code | meaning                                                          |
/// |------|------------------------------------------------------------------|
/// | 0    | success                                                          |
/// | 1    | failure (an I/O error, a numerical failure, a bug)               |
/// | 2    | bad usage or bad input (unknown option, malformed file, …)       |
/// | 3    | the quality gate refused (metrics regressed beyond tolerance)    |
/// | 4    | busy: another process holds a lock it needs (`pipeline`)         |
public enum StageExitCode: Int32, Sendable, Codable {
    case success = 0
    case failure = 1
    case badInput = 2
    case qualityGateRefused = 3
    case busy = 4
}
