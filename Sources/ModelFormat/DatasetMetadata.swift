import HDF5
import MovieLens

/// What every file after `ingest` carries about the data it came from: ids, titles, the rating
/// scale, the source fingerprint and the split. Written and read in one place so the
/// normalised, model and artifact files agree.
///
/// | path             | dtype  | shape      | meaning                                |
/// |------------------|--------|------------|----------------------------------------|
/// | `/users/id`      | int64  | (n_users)  | original user id per dense index       |
/// | `/movies/id`     | int64  | (n_movies) | original movie id per dense index      |
/// | `/movies/title`  | string | (n_movies) | title                                  |
/// | `/movies/year`   | int32  | (n_movies) | year, 0 if unknown                     |
/// | `/movies/genres` | string | (n_movies) | genres joined with `|`                 |
/// | `/movies/tags`   | string | (n_movies) | optional: tags joined with `|` (`RatingsTable.tags`) |
///
/// Root attributes: `kind`, `data_fingerprint`, `split`, `split_params`, `rating_min`,
/// `rating_max`, `rating_step`, `n_users`, `n_movies`.
public struct DatasetMetadata: Sendable, Equatable {
    public var kind: String
    public var fingerprint: String
    public var split: String
    public var splitParameters: String
    public var scale: RatingScale
    public var userIDs: [Int64]
    public var movieIDs: [Int64]
    public var titles: [String]
    public var years: [Int32]
    public var genres: [String]
    /// The movies' tags (`RatingsTable.tags`; all "" when the release has none).
    public var tags: [String]

    public var userCount: Int { userIDs.count }
    public var movieCount: Int { movieIDs.count }

    public init(_ table: RatingsTable) {
        kind = table.kind
        fingerprint = table.fingerprint
        split = table.split.name
        splitParameters = table.split.parametersJSON
        scale = table.scale
        userIDs = table.userIDs
        movieIDs = table.movieIDs
        titles = table.titles
        years = table.years
        genres = table.genres
        tags = table.tags
    }

    public func write(to file: HDF5File) throws {
        try file.setAttribute("kind", kind)
        try file.setAttribute("data_fingerprint", fingerprint)
        try file.setAttribute("split", split)
        try file.setAttribute("split_params", splitParameters)
        try file.setAttribute("rating_min", Double(scale.minimum))
        try file.setAttribute("rating_max", Double(scale.maximum))
        try file.setAttribute("rating_step", Double(scale.step))
        try file.setAttribute("n_users", Int64(userCount))
        try file.setAttribute("n_movies", Int64(movieCount))
        try file.createGroup("users").write("id", userIDs)
        let movies = try file.createGroup("movies")
        try movies.write("id", movieIDs)
        try movies.write("title", strings: titles)
        try movies.write("year", years)
        try movies.write("genres", strings: genres)
        if tags.contains(where: { !$0.isEmpty }) { try movies.write("tags", strings: tags) }
    }

    /// Reads and checks the metadata: counts from `n_users`/`n_movies`, every dataset of the
    /// matching length, ids ascending and unique, a sane rating scale.
    public init(from file: HDF5File) throws {
        let check = ContentCheck(file: file.filePath)
        kind = try file.stringAttribute("kind")
        fingerprint = try file.stringAttribute("data_fingerprint")
        split = try file.stringAttribute("split")
        splitParameters = try file.stringAttribute("split_params")
        scale = try RatingsFile.readScale(file)
        let users = try file.count("n_users"), movies = try file.count("n_movies")
        userIDs = try file.read("users/id", shape: [users], why: "n_users")
        movieIDs = try file.read("movies/id", shape: [movies], why: "n_movies")
        try check.strictlyIncreasing(userIDs, "/users/id", what: "ids")
        try check.strictlyIncreasing(movieIDs, "/movies/id", what: "ids")
        titles = try file.readStrings("movies/title", count: movies, why: "n_movies")
        years = try file.read("movies/year", shape: [movies], why: "n_movies")
        genres = try file.readStrings("movies/genres", count: movies, why: "n_movies")
        tags = file.contains("movies/tags") ? try file.readStrings("movies/tags", count: movies, why: "n_movies")
            : [String](repeating: "", count: movies)
    }

    /// Clips a prediction to the rating scale.
    @inline(__always) public func clip(_ value: Float) -> Float {
        min(scale.maximum, max(scale.minimum, value))
    }
}
