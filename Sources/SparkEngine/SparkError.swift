import Essentials

/// A Spark run that failed, or a Spark setting that cannot work. `badInput` (exit 2) for what the
/// user wrote (a malformed master URL, a `--spark-conf` that is not `key=value`); `failure`
/// (exit 1) for what happened (Spark's own message: a master refused or unreachable, a job
/// killed, executors lost, no workers before the deadline, no Java or no `spark-submit`).
public struct SparkError: ProjectorError, Equatable {
    public var kind: FailureKind
    public var message: String

    public init(_ kind: FailureKind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var exitCode: StageExitCode { kind.exitCode }
    public var description: String { message }
}
