import Foundation
import HDF5

/// The ingested-ratings file written by `ingest` and read by every later stage.
///
/// Format `projector.ratings`, version 1. Ratings are sorted by (user, movie).
///
/// | path                 | dtype   | shape        | meaning                                              |
/// |----------------------|---------|--------------|------------------------------------------------------|
/// | `/ratings/user`      | int32   | (n)          | dense user index, `0..<n_users`                      |
/// | `/ratings/movie`     | int32   | (n)          | dense movie index, `0..<n_movies`                    |
/// | `/ratings/rating`    | float32 | (n)          | the rating, on the scale in the root attributes      |
/// | `/ratings/timestamp` | int64   | (n)          | seconds since 1970 (0 when the source has none)      |
/// | `/ratings/is_test`   | uint8   | (n)          | 1 = held out by the split, 0 = training              |
/// | `/users/id`          | int64   | (n_users)    | original user id of each dense index, ascending      |
/// | `/movies/id`         | int64   | (n_movies)   | original movie id of each dense index, ascending     |
/// | `/movies/title`      | string  | (n_movies)   | UTF-8 title ("" if the metadata lacks the movie)     |
/// | `/movies/year`       | int32   | (n_movies)   | release year, 0 if unknown                           |
/// | `/movies/genres`     | string  | (n_movies)   | genres joined with `|`                               |
/// | `/source/files`      | string  | (k)          | source files read, relative to the source folder     |
/// | `/source/sha256`     | string  | (k)          | their sha256, hex                                    |
///
/// Root attributes: `format` ("projector.ratings"), `format_version` (1), `kind` (`ml-1m`, …),
/// `source_path`, `fingerprint` (sha256 over the sorted "file sha256" lines), `rating_min`,
/// `rating_max`, `rating_step` (float64), `split` (`hash`, `files`, `temporal`), `split_params`
/// (JSON), `n_ratings`, `n_users`, `n_movies`, `n_train`, `n_test`, `duplicates_dropped`
/// (int64), `created_by`, `created_at` (UTC, ISO 8601).
public enum RatingsFile {
    public static let format = "projector.ratings"
    public static let formatVersion: Int64 = 1

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
            try file.setAttribute("duplicates_dropped", Int64(table.duplicatesDropped))
            try file.setAttribute("created_by", createdBy)
            try file.setAttribute("created_at", ISO8601DateFormatter().string(from: Date()))

            let storage = StorageOptions.contiguous
            let ratings = try file.createGroup("ratings")
            try ratings.write("user", table.user, storage: storage)
            try ratings.write("movie", table.movie, storage: storage)
            try ratings.write("rating", table.rating, storage: storage)
            try ratings.write("timestamp", table.timestamp, storage: storage)
            try ratings.write("is_test", table.isTest, storage: storage)
            try file.createGroup("users").write("id", table.userIDs)
            let movies = try file.createGroup("movies")
            try movies.write("id", table.movieIDs)
            try movies.write("title", strings: table.titles)
            try movies.write("year", table.years)
            try movies.write("genres", strings: table.genres)
            let source = try file.createGroup("source")
            try source.write("files", strings: table.sourceFiles)
            try source.write("sha256", strings: table.sourceSHA256)
        }
    }

    /// Reads a ratings file, refusing other formats and versions it does not know.
    public static func read(_ path: String) throws -> RatingsTable {
        let file = try HDF5File.open(path)
        try checkFormat(file, expected: format, versions: [formatVersion])
        let ratings = try file.group("ratings")
        let n = Int(try file.attribute("n_ratings", as: Int64.self))
        let table = RatingsTable(
            kind: try file.stringAttribute("kind"),
            scale: RatingScale(
                minimum: Float(try file.attribute("rating_min", as: Double.self)),
                maximum: Float(try file.attribute("rating_max", as: Double.self)),
                step: Float(try file.attribute("rating_step", as: Double.self))),
            user: try ratings.read("user"),
            movie: try ratings.read("movie"),
            rating: try ratings.read("rating"),
            timestamp: try ratings.read("timestamp"),
            isTest: try ratings.read("is_test"),
            userIDs: try file.read("users/id"),
            movieIDs: try file.read("movies/id"),
            titles: try file.readStrings("movies/title"),
            years: try file.read("movies/year"),
            genres: try file.readStrings("movies/genres"),
            split: try parseSplit(name: try file.stringAttribute("split"),
                                  json: try file.stringAttribute("split_params"), file: path),
            duplicatesDropped: Int(try file.attribute("duplicates_dropped", as: Int64.self)),
            sourceFiles: try file.readStrings("source/files"),
            sourceSHA256: try file.readStrings("source/sha256"),
            fingerprint: try file.stringAttribute("fingerprint"))
        for (name, count) in [("user", table.user.count), ("movie", table.movie.count),
                              ("timestamp", table.timestamp.count), ("is_test", table.isTest.count),
                              ("rating", table.rating.count)] where count != n {
            throw MovieLensError(file: path, "/ratings/\(name) has \(count) values, n_ratings says \(n): the file is damaged")
        }
        return table
    }

    /// Checks the `format` and `format_version` attributes of a file.
    public static func checkFormat(_ file: HDF5File, expected: String, versions: [Int64]) throws {
        guard file.hasAttribute("format"), let found = try? file.stringAttribute("format") else {
            throw MovieLensError(file: file.filePath, "has no 'format' attribute: not a Projector file (expected \(expected))")
        }
        guard found == expected else {
            throw MovieLensError(file: file.filePath, "is a '\(found)' file, expected '\(expected)'")
        }
        let version = try file.attribute("format_version", as: Int64.self)
        guard versions.contains(version) else {
            throw MovieLensError(
                file: file.filePath,
                "\(expected) format_version \(version) is not supported by this program (it reads \(versions.map(String.init).joined(separator: ", "))): upgrade Projector or re-run the stage that wrote it")
        }
    }

    static func parseSplit(name: String, json: String, file: String) throws -> SplitStrategy {
        let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] ?? [:]
        switch name {
        case "hash":
            if let seed = object["seed"] as? NSNumber, let fraction = object["fraction"] as? NSNumber {
                return .hash(seed: seed.uint64Value, fraction: fraction.doubleValue)
            }
        case "files":
            if let name = object["name"] as? String { return .files(name: name) }
        case "temporal":
            if let perUser = object["per_user"] as? NSNumber { return .temporal(perUser: perUser.intValue) }
        default: break
        }
        throw MovieLensError(file: file, "unknown split '\(name)' with parameters \(json)")
    }
}
