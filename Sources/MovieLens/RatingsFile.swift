import Foundation
import HDF5

/// The ingested-ratings file written by `ingest` and read by every later stage.
///
/// Format `projector.ratings`, version 3 (versions 1 and 2 are still read: 1 has no users'
/// attributes, its users are unknown; 2 has no new users' histories). Ratings are sorted by (user, movie).
///
/// | path                 | dtype   | shape        | meaning                                              |
/// |----------------------|---------|--------------|------------------------------------------------------|
/// | `/ratings/user`      | int32   | (n)          | dense user index, `0..<n_users`                      |
/// | `/ratings/movie`     | int32   | (n)          | dense movie index, `0..<n_movies`                    |
/// | `/ratings/rating`    | float32 | (n)          | the rating, on the scale in the root attributes      |
/// | `/ratings/timestamp` | int64   | (n)          | seconds since 1970 (0 when the source has none)      |
/// | `/ratings/is_test`   | uint8   | (n)          | 0 = training, 1 = held out, 2 = a new user's history (`new-users` split only) |
/// | `/users/id`          | int64   | (n_users)    | original user id of each dense index, ascending      |
/// | `/users/gender`, `/users/age`, `/users/occupation`, `/users/zip` | | (n_users) | see `UserAttributes` (version 2) |
/// | `/movies/id`         | int64   | (n_movies)   | original movie id of each dense index, ascending     |
/// | `/movies/title`      | string  | (n_movies)   | UTF-8 title ("" if the metadata lacks the movie)     |
/// | `/movies/year`       | int32   | (n_movies)   | release year, 0 if unknown                           |
/// | `/movies/genres`     | string  | (n_movies)   | genres joined with `|`                               |
/// | `/movies/tags`       | string  | (n_movies)   | optional (releases with tags): the movie's tags, normalised, distinct, sorted, joined with `|` |
/// | `/source/files`      | string  | (k)          | source files read, relative to the source folder     |
/// | `/source/sha256`     | string  | (k)          | their sha256, hex                                    |
///
/// Root attributes: `format` ("projector.ratings"), `format_version` (3), `kind` (`ml-1m`, …),
/// `source_path`, `fingerprint` (sha256 over the sorted "file sha256" lines), `rating_min`,
/// `rating_max`, `rating_step` (float64), `split` (`hash`, `files`, `temporal`, `new-users`, `new-movies`),
/// `split_params` (JSON), `n_ratings`, `n_users`, `n_movies`, `n_train`, `n_test`, `n_history`, `duplicates_dropped`
/// (int64), `created_by`. No timestamp: the same inputs and options give the same bytes.
///
/// Readers check everything before use: shapes against the counts, indices in range, ids
/// ascending and unique, ratings finite and on the scale, `is_test` 0 or 1 (or 2 under `new-users`), ratings sorted by
/// (user, movie) without repeats; a violation is bad input naming the dataset and position.
public enum RatingsFile {
    public static let format = "projector.ratings"
    public static let formatVersion: Int64 = 3
    /// The versions `read` accepts: 1 has no users' attributes, 2 no `n_history`.
    public static let readableVersions: [Int64] = [1, 2, 3]

    /// Writes `table` to `path` atomically (temporary file, then rename).
    public static func write(_ table: RatingsTable, sourcePath: String, to path: String, createdBy: String) throws {
        try writeHDF5Atomically(to: path) { file in
            try file.setAttribute("format", format)
            try file.setAttribute("format_version", formatVersion)
            try file.setAttribute("kind", table.kind)
            try file.setAttribute("source_path", sourcePath)
            try file.setAttribute("fingerprint", table.fingerprint)
            try file.setAttribute("rating_min", Double(table.scale.minimum))
            try file.setAttribute("rating_max", Double(table.scale.maximum))
            try file.setAttribute("rating_step", Double(table.scale.step))
            try file.setAttribute("split", table.split.name)
            try file.setAttribute("split_params", table.split.parametersJSON)
            try file.setAttribute("n_ratings", Int64(table.count))
            try file.setAttribute("n_users", Int64(table.userCount))
            try file.setAttribute("n_movies", Int64(table.movieCount))
            try file.setAttribute("n_train", Int64(table.trainCount))
            try file.setAttribute("n_test", Int64(table.testCount))
            try file.setAttribute("n_history", Int64(table.historyCount))
            try file.setAttribute("duplicates_dropped", Int64(table.duplicatesDropped))
            try file.setAttribute("created_by", createdBy)

            let storage = StorageOptions.contiguous
            let ratings = try file.createGroup("ratings")
            try RatingTriplets(user: table.user, movie: table.movie, rating: table.rating).write(to: ratings)
            try ratings.write("timestamp", table.timestamp, storage: storage)
            try ratings.write("is_test", table.isTest, storage: storage)
            let users = try file.createGroup("users")
            try users.write("id", table.userIDs)
            try table.userAttributes.write(to: users)
            let movies = try file.createGroup("movies")
            try movies.write("id", table.movieIDs)
            try movies.write("title", strings: table.titles)
            try movies.write("year", table.years)
            try movies.write("genres", strings: table.genres)
            if table.tags.contains(where: { !$0.isEmpty }) { try movies.write("tags", strings: table.tags) }
            let source = try file.createGroup("source")
            try source.write("files", strings: table.sourceFiles)
            try source.write("sha256", strings: table.sourceSHA256)
        }
    }

    /// Reads a ratings file, refusing other formats and versions it does not know, and anything
    /// inconsistent (see the type's notes).
    public static func read(_ path: String) throws -> RatingsTable {
        let file = try HDF5File.open(path, format: format, versions: readableVersions)
        let check = ContentCheck(file: path)
        let n = try file.count("n_ratings", in: 0...Int64(Int32.max))
        let users = try file.count("n_users"), movies = try file.count("n_movies")
        let scale = try readScale(file)
        let ratings = try file.group("ratings")
        let columns = try RatingTriplets.read(from: ratings, count: n, why: "n_ratings", users: users, movies: movies)
        let (user, movie, rating) = (columns.user, columns.movie, columns.rating)
        let isTest: [UInt8] = try ratings.read("is_test", shape: [n], why: "n_ratings")
        if let position = rating.firstIndex(where: { !scale.contains($0) }) {
            throw check.fail("/ratings/rating", "position \(position): \(scale.problem(with: rating[position])!)")
        }
        let splitName = try file.stringAttribute("split"), splitJSON = try file.stringAttribute("split_params")
        guard let split = SplitStrategy.parse(name: splitName, parametersJSON: splitJSON) else {
            throw MovieLensError(file: path, "unknown split '\(splitName)' with parameters \(splitJSON)")
        }
        // Histories only where the split makes them.
        try check.oneOf(isTest, split.kind == .newUsers ? [0, 1, 2] : [0, 1], "/ratings/is_test")
        if let position = (1..<max(1, n)).first(where: { (user[$0 - 1], movie[$0 - 1]) >= (user[$0], movie[$0]) }) {
            throw check.fail("/ratings/user", "position \(position): ratings must be sorted by (user, movie) without repeats")
        }
        let userIDs: [Int64] = try file.read("users/id", shape: [users], why: "n_users")
        let movieIDs: [Int64] = try file.read("movies/id", shape: [movies], why: "n_movies")
        try check.strictlyIncreasing(userIDs, "/users/id", what: "ids")
        try check.strictlyIncreasing(movieIDs, "/movies/id", what: "ids")
        let sourceFiles = try file.readStrings("source/files")
        let table = RatingsTable(
            kind: try file.stringAttribute("kind"), scale: scale,
            user: user, movie: movie, rating: rating,
            timestamp: try ratings.read("timestamp", shape: [n], why: "n_ratings"),
            isTest: isTest, userIDs: userIDs, movieIDs: movieIDs,
            titles: try file.readStrings("movies/title", count: movies, why: "n_movies"),
            years: try file.read("movies/year", shape: [movies], why: "n_movies"),
            genres: try file.readStrings("movies/genres", count: movies, why: "n_movies"),
            tags: file.contains("movies/tags") ? try file.readStrings("movies/tags", count: movies, why: "n_movies") : nil,
            userAttributes: try file.attribute("format_version", as: Int64.self) >= 2 ? UserAttributes.read(from: file, count: users) : nil,
            split: split,
            duplicatesDropped: try file.count("duplicates_dropped", in: 0...Int64.max),
            sourceFiles: sourceFiles,
            sourceSHA256: try file.readStrings("source/sha256", count: sourceFiles.count, why: "one per source file"),
            fingerprint: try file.stringAttribute("fingerprint"))
        var counted = [("n_train", table.trainCount), ("n_test", table.testCount)]
        if file.hasAttribute("n_history") { counted.append(("n_history", table.historyCount)) }
        for (name, value) in counted {
            let stored = try file.count(name, in: 0...Int64.max)
            guard stored == value else {
                throw MovieLensError(file: path, "attribute '\(name)' says \(stored), /ratings/is_test holds \(value): the file is damaged")
            }
        }
        return table
    }

    /// The rating scale from `rating_min`, `rating_max`, `rating_step`: finite, min < max, step ≥ 0.
    public static func readScale(_ file: HDF5File) throws -> RatingScale {
        let scale = RatingScale(
            minimum: Float(try file.attribute("rating_min", as: Double.self)),
            maximum: Float(try file.attribute("rating_max", as: Double.self)),
            step: Float(try file.attribute("rating_step", as: Double.self)))
        guard scale.minimum.isFinite, scale.maximum.isFinite, scale.step.isFinite, scale.minimum < scale.maximum, scale.step >= 0 else {
            throw MovieLensError(file: file.filePath, "rating_min \(scale.minimum), rating_max \(scale.maximum), rating_step \(scale.step) do not make a rating scale")
        }
        return scale
    }
}
