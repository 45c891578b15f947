import Foundation
import HDF5
import ModelFormat
import MovieLens

/// The input every algorithm fits: normalised training values by user and by movie, the
/// held-out ratings (for the training curve), the normalisation terms and the data's metadata.
///
/// Written by `normalise` as a `projector.normalised` file (version 2; version 1, without the
/// timestamps and the users' attributes, is still read: every rating on day 0, every user unknown):
///
/// | path            | dtype   | shape      | meaning                                               |
/// |-----------------|---------|------------|-------------------------------------------------------|
/// | `/train/user`   | int32   | (n_train)  | dense user index                                      |
/// | `/train/movie`  | int32   | (n_train)  | dense movie index                                     |
/// | `/train/rating` | float32 | (n_train)  | the rating                                            |
/// | `/train/value`  | float32 | (n_train)  | rating − (global_mean + user_offset + movie_offset)   |
/// | `/train/timestamp` | int64 | (n_train)  | seconds since 1970 (0 when the source has none; version 2) |
/// | `/test/user`, `/test/movie`, `/test/rating` | int32, int32, float32 | (n_test) | held-out ratings |
/// | `/test/timestamp` | int64  | (n_test)   | seconds since 1970 (version 2)                        |
/// | `/terms/user_offset`  | float32 | (n_users)  | user term                                    |
/// | `/terms/movie_offset` | float32 | (n_movies) | movie term                                   |
/// | `/users`, `/movies`   |         |            | see `DatasetMetadata`                        |
/// | `/users/{gender,age,occupation,zip}` | | (n_users) | see `UserAttributes` (version 2)         |
///
/// Root attributes: `format` = `projector.normalised`, `format_version` = 2, `method`,
/// `global_mean` (float64), `lambda`, `iterations`, `created_by`, and the `DatasetMetadata`
/// attributes. No timestamp: the same input and options give the same bytes. The reader checks
/// lengths, every index against n_users/n_movies, that values and terms are finite, and the
/// users' genders and ages (`UserAttributes`); any Int64 is a valid timestamp.
public struct TrainingSet: Sendable {
    public static let format = "projector.normalised"
    public static let formatVersion: Int64 = 2
    /// The versions `read` accepts: 1 has no users' attributes.
    public static let readableVersions: [Int64] = [1, 2]

    public var metadata: DatasetMetadata
    /// Gender, age, occupation and zip per user, for models that use side information; not
    /// carried into model files (a model predicts from ids).
    public var userAttributes: UserAttributes
    public var terms: NormalisationTerms
    public var trainUser: [Int32]
    public var trainMovie: [Int32]
    public var trainRating: [Float]
    /// Normalised training values (rating minus the terms).
    public var trainValue: [Float]
    public var testUser: [Int32]
    public var testMovie: [Int32]
    public var testRating: [Float]
    /// Seconds since 1970 of each training and held-out rating (0 when unknown, and in
    /// version-1 files).
    public var trainTimestamp: [Int64]
    public var testTimestamp: [Int64]
    /// Normalisation fitting parameters, for the record.
    public var lambda: Double
    public var iterations: Int

    public var userCount: Int { metadata.userCount }
    public var movieCount: Int { metadata.movieCount }

    /// Training values grouped by user (columns are movies).
    public func byUser() -> SparseRows {
        SparseRows(rows: userCount, rowOf: trainUser, columnOf: trainMovie, values: trainValue)
    }

    /// Training values grouped by movie (columns are users).
    public func byMovie() -> SparseRows {
        SparseRows(rows: movieCount, rowOf: trainMovie, columnOf: trainUser, values: trainValue)
    }

    /// Normalises an ingested table: fits the terms on its training ratings only.
    public static func normalise(
        _ table: RatingsTable, method: NormalisationMethod, lambda: Double = NormalisationTerms.defaultLambda,
        iterations: Int = NormalisationTerms.defaultIterations
    ) throws -> TrainingSet {
        let (train, test) = table.sides()
        let (trainUser, trainMovie, trainRating) = (train.user, train.movie, train.rating)
        let timestamps = table.sideTimestamps()
        let (testUser, testMovie, testRating) = (test.user, test.movie, test.rating)
        guard !trainRating.isEmpty else {
            throw ModelsError.badParameter("the split leaves no training ratings")
        }
        let terms = try NormalisationTerms.fit(
            method: method, users: table.userCount, movies: table.movieCount,
            user: trainUser, movie: trainMovie, rating: trainRating, lambda: lambda, iterations: iterations)
        let values = (0..<trainRating.count).map {
            trainRating[$0] - terms.base(user: Int(trainUser[$0]), movie: Int(trainMovie[$0]))
        }
        return TrainingSet(
            metadata: DatasetMetadata(table), userAttributes: table.userAttributes, terms: terms, trainUser: trainUser, trainMovie: trainMovie,
            trainRating: trainRating, trainValue: values, testUser: testUser, testMovie: testMovie,
            testRating: testRating, trainTimestamp: timestamps.train, testTimestamp: timestamps.test,
            lambda: lambda, iterations: iterations)
    }

    public func write(to path: String, createdBy: String) throws {
        try writeHDF5Atomically(to: path) { file in
            try file.setAttribute("format", Self.format)
            try file.setAttribute("format_version", Self.formatVersion)
            try file.setAttribute("method", terms.method.rawValue)
            try file.setAttribute("global_mean", Double(terms.globalMean))
            try file.setAttribute("lambda", lambda)
            try file.setAttribute("iterations", Int64(iterations))
            try file.setAttribute("created_by", createdBy)
            try metadata.write(to: file)
            try userAttributes.write(to: try file.group("users"))
            let train = try file.createGroup("train")
            try RatingTriplets(user: trainUser, movie: trainMovie, rating: trainRating).write(to: train)
            try train.write("value", trainValue)
            try train.write("timestamp", trainTimestamp)
            let test = try file.createGroup("test")
            try RatingTriplets(user: testUser, movie: testMovie, rating: testRating).write(to: test)
            try test.write("timestamp", testTimestamp)
            let group = try file.createGroup("terms")
            try group.write("user_offset", terms.userOffset)
            try group.write("movie_offset", terms.movieOffset)
        }
    }

    public static func read(_ path: String) throws -> TrainingSet {
        let file = try HDF5File.open(path, format: format, versions: readableVersions)
        let check = ContentCheck(file: path)
        let methodName = try file.stringAttribute("method")
        guard let method = NormalisationMethod(rawValue: methodName) else {
            throw ModelsError.badFile(path, "unknown normalisation method '\(methodName)'")
        }
        let metadata = try DatasetMetadata(from: file)
        let users = metadata.userCount, movies = metadata.movieCount
        let train = try RatingTriplets.read(from: try file.group("train"), why: "/train/user's length", users: users, movies: movies)
        let test = try RatingTriplets.read(from: try file.group("test"), why: "/test/user's length", users: users, movies: movies)
        for (name, side) in [("/train", train), ("/test", test)] {
            // Written in ratings-file order: sorted by (user, movie), each pair once.
            if let position = (1..<max(1, side.count)).first(where: { (side.user[$0 - 1], side.movie[$0 - 1]) >= (side.user[$0], side.movie[$0]) }) {
                throw check.fail(name + "/user", "position \(position): ratings must be sorted by (user, movie) without repeats")
            }
        }
        let trainValue: [Float] = try file.read("train/value", shape: [train.count], why: "/train/user's length")
        let version = try file.attribute("format_version", as: Int64.self)
        let trainTimestamp: [Int64] = version >= 2
            ? try file.read("train/timestamp", shape: [train.count], why: "/train/user's length") : [Int64](repeating: 0, count: train.count)
        let testTimestamp: [Int64] = version >= 2
            ? try file.read("test/timestamp", shape: [test.count], why: "/test/user's length") : [Int64](repeating: 0, count: test.count)
        try check.finite(trainValue, "/train/value")
        let globalMean = try file.attribute("global_mean", as: Double.self)
        guard globalMean.isFinite else { throw check.fail("attribute 'global_mean'", "is \(globalMean): it must be finite") }
        let userOffset: [Float] = try file.read("terms/user_offset", shape: [users], why: "n_users")
        let movieOffset: [Float] = try file.read("terms/movie_offset", shape: [movies], why: "n_movies")
        try check.finite(userOffset, "/terms/user_offset")
        try check.finite(movieOffset, "/terms/movie_offset")
        return TrainingSet(
            metadata: metadata,
            userAttributes: version >= 2 ? try UserAttributes.read(from: file, count: users) : .unknown(count: users),
            terms: NormalisationTerms(method: method, globalMean: Float(globalMean), userOffset: userOffset, movieOffset: movieOffset),
            trainUser: train.user, trainMovie: train.movie, trainRating: train.rating, trainValue: trainValue,
            testUser: test.user, testMovie: test.movie, testRating: test.rating,
            trainTimestamp: trainTimestamp, testTimestamp: testTimestamp,
            lambda: try file.attribute("lambda", as: Double.self),
            iterations: Int(try file.count("iterations", in: 1...Int64(Int32.max))))
    }
}
