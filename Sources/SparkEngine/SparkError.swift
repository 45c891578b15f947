import Essentials

/// A Spark run that failed, or a Spark setting that cannot work: the project's `ProjectorFailure`
/// under the name this module's throwing functions declare. `badInput` (exit 2) for what the user
/// wrote (a malformed master URL, a `--spark-conf` that is not `key=value`); `failure` (exit 1) for
/// what happened (Spark's own message: a master refused or unreachable, a job killed, executors
/// lost, no workers before the deadline, no Java or no `spark-submit`).
///
///     throw SparkError(.badInput, "--master 'spark://host' is not a Spark master URL: …")
public typealias SparkError = ProjectorFailure
