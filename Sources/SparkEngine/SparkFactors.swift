import HDF5
import LinearAlgebra
import ModelFormat

/// The factors a Spark job brings back: `projector.spark_factors` (format_version 1), written by
/// the job's driver (`projector_spark_als.py`, whose docstring has the table) and read here with
/// every check a model file's reader makes: shapes against the ratings file's users and movies,
/// the rank asked for, finite values.
public struct SparkFactors: Sendable {
    public static let format = "projector.spark_factors"
    public static let formatVersion: Int64 = 1

    public var userFactors: Matrix
    public var movieFactors: Matrix
    public var sparkVersion: String
    public var applicationID: String
    public var master: String

    /// The job's own output: anything wrong with it is a failure (exit 1), not bad input.
    public static func read(_ path: String, users: Int, movies: Int, rank: Int) throws -> SparkFactors {
        do { return try readChecked(path, users: users, movies: movies, rank: rank) } catch {
            throw SparkError(.failure, "the Spark job's factors are unusable: \(error)")
        }
    }

    static func readChecked(_ path: String, users: Int, movies: Int, rank: Int) throws -> SparkFactors {
        let file = try HDF5File.open(path, format: format, versions: [formatVersion])
        let check = ContentCheck(file: path)
        let storedRank = try file.count("rank", in: 1...Int64(FactorModel.maximumRank))
        guard storedRank == rank else { throw check.fail("attribute 'rank'", "is \(storedRank): the job was asked for rank \(rank)") }
        let p: [Float] = try file.read("user_factors", shape: [users, rank], why: "n_users × rank")
        let q: [Float] = try file.read("movie_factors", shape: [movies, rank], why: "n_movies × rank")
        try check.finite(p, "/user_factors")
        try check.finite(q, "/movie_factors")
        return SparkFactors(userFactors: Matrix(rows: users, columns: rank, values: p),
                            movieFactors: Matrix(rows: movies, columns: rank, values: q),
                            sparkVersion: try file.stringAttribute("spark_version"),
                            applicationID: try file.stringAttribute("application_id"),
                            master: try file.stringAttribute("master"))
    }
}
