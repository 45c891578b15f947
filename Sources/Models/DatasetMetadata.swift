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
    }

    public init(from file: HDF5File) throws {
        kind = try file.stringAttribute("kind")
        fingerprint = try file.stringAttribute("data_fingerprint")
        split = try file.stringAttribute("split")
        splitParameters = try file.stringAttribute("split_params")
        scale = RatingScale(
            minimum: Float(try file.attribute("rating_min", as: Double.self)),
            maximum: Float(try file.attribute("rating_max", as: Double.self)),
            step: Float(try file.attribute("rating_step", as: Double.self)))
        userIDs = try file.read("users/id")
        movieIDs = try file.read("movies/id")
        titles = try file.readStrings("movies/title")
        years = try file.read("movies/year")
        genres = try file.readStrings("movies/genres")
        guard titles.count == movieIDs.count, years.count == movieIDs.count, genres.count == movieIDs.count else {
            throw ModelsError.badFile(file.filePath, "/movies datasets have different lengths: the file is damaged")
        }
    }

    /// Clips a prediction to the rating scale.
    @inline(__always) public func clip(_ value: Float) -> Float {
        min(scale.maximum, max(scale.minimum, value))
    }
}

/// Checks a Projector file's `format` and `format_version` attributes.
public func checkFormat(_ file: HDF5File, expected: String, versions: [Int64]) throws {
    do {
        try RatingsFile.checkFormat(file, expected: expected, versions: versions)
    } catch let error as MovieLensError {
        throw ModelsError(.badFile, error.description)
    }
}
