import Essentials

/// The one error type of the MovieLens module: bad input, named precisely.
///
/// The description has the shape compilers use, so editors and people find the spot:
///
///     ml-1m/ratings.dat:17: expected 4 fields separated by '::', found 3
///     ml-1m/ratings.dat:99: rating 6 is outside the scale 1–5
///     data/empty: no ratings file: expected u.data (ml-100k), ratings.dat (ml-1m, ml-10m) or ratings.csv (ml-latest, ml-20m, ml-25m, ml-32m)
public struct MovieLensError: ProjectorError, Equatable {
    /// The file (or folder) concerned, as the user named it.
    public var file: String
    /// 1-based line number, when the problem is on one line.
    public var line: Int?
    /// What is wrong, and where useful how to fix it.
    public var message: String

    public init(file: String, line: Int? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// Always bad input (exit 2).
    public var exitCode: StageExitCode { .badInput }

    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}
