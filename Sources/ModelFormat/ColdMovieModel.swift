import Essentials
import HDF5
import LinearAlgebra

/// Predicted stars for a movie without training ratings, from what the release says of it: a
/// content baseline stored in the model file (`/cold_movies`, format 3), used by every consumer
/// (evaluate's new-movies protocol, `predict`, the rating of a recommended cold movie).
///
///     r̂(u, i) = clip(μ + b_u + t_i + mean over i's genres g of a_ug)
///
/// - μ: the training ratings' mean; b_u = Σ (r − μ) / (n_u + 10) over the person's ratings;
/// - t_i: the movie's term, a linear function of its content (`ContentFeatures`: genres, year,
///   title words) fitted by ridge regression (λ `contentLambda`) on every training rating's
///   residual r − μ − b_u, so that a movie counts as often as it is rated;
/// - a_ug: the person's affinity for genre g, their residuals r − μ − b_u − t_j over their movies
///   of genre g, summed and divided by (count + 10).
///
/// The person's terms come from their ratings, so a known user (their training ratings) and a
/// folded-in person (their history) are answered by the same arithmetic. ML-1M new-movies
/// protocol: RMSE 1.0045 against the genre-mean baseline's 1.0390, where the rating heads' own
/// predictions for movies they have no ratings of are 1.12–1.18 (docs/protocols.md).
public struct ColdMovieModel: Sendable, Equatable {
    public var globalMean: Float
    /// t_i for every movie (used for those without training ratings).
    public var movieTerm: [Float]
    /// Each movie's genres as indices (from the metadata; not stored): a person's affinities are
    /// summed by index, not by name, on the serving path.
    public var genres: MovieGenres

    public static let userLambda: Float = 10
    public static let genrePseudoRatings: Float = 10
    public static let contentLambda: Float = 1000

    public init(globalMean: Float, movieTerm: [Float], genres: MovieGenres) {
        (self.globalMean, self.movieTerm, self.genres) = (globalMean, movieTerm, genres)
    }

    /// The movies' genres (`DatasetMetadata.genres`, `|`-separated names) as indices into `names`.
    ///
    ///     MovieGenres(["Action|Comedy", "Comedy", ""]).ofMovie == [[0, 1], [1], []]
    public struct MovieGenres: Sendable, Equatable {
        public let names: [Substring]
        public let ofMovie: [[Int32]]

        public init(_ genres: [String]) {
            var index: [Substring: Int32] = [:], names: [Substring] = []
            ofMovie = genres.map { text in
                text.split(separator: "|").map { name in
                    if let found = index[name] { return found }
                    index[name] = Int32(names.count)
                    names.append(name)
                    return Int32(names.count - 1)
                }
            }
            self.names = names
        }
    }

    /// Fitted on the file's training ratings (CSR by user) and movies' content; nil without ratings.
    public static func estimate(metadata: DatasetMetadata, training: SparseRows, ratings: [Float]) -> ColdMovieModel? {
        guard !ratings.isEmpty else { return nil }
        let mu = Float(ratings.reduce(0.0) { $0 + Double($1) } / Double(ratings.count))
        let content = ContentFeatures(metadata)
        let f = content.featureCount
        let m = metadata.movieCount
        guard f > 0 else { return ColdMovieModel(globalMean: mu, movieTerm: [Float](repeating: 0, count: m), genres: MovieGenres(metadata.genres)) }
        // Each movie's count and summed residual r − μ − b_u.
        var count = [Float](repeating: 0, count: m), residual = [Float](repeating: 0, count: m)
        for user in 0..<training.rowCount {
            let range = training.range(user)
            guard !range.isEmpty else { continue }
            let bias = range.reduce(Float(0)) { $0 + ratings[$1] - mu } / (Float(range.count) + userLambda)
            for entry in range {
                let movie = Int(training.columns[entry])
                count[movie] += 1
                residual[movie] += ratings[entry] - mu - bias
            }
        }
        // (Σ_j n_j c_j c_jᵀ + λ I) w = Σ_j c_j Σ residuals.
        var gram = [Float](repeating: 0, count: f * f), rhs = [Float](repeating: 0, count: f)
        let rows = content.rows
        for movie in 0..<m where count[movie] > 0 {
            let range = rows.range(movie)
            for a in range {
                let fa = Int(rows.columns[a]), va = rows.values[a]
                rhs[fa] += va * residual[movie]
                for b in range { gram[fa * f + Int(rows.columns[b])] += count[movie] * va * rows.values[b] }
            }
        }
        for i in 0..<f { gram[i * f + i] += contentLambda }
        // One BLAS thread: OpenBLAS's threaded factorisation rounds differently on 1 and 2
        // threads (the term moved by an ulp), and the file's bytes must not depend on the cores.
        let solved = Parallel.withBLASThreads(1) {
            gram.withUnsafeMutableBufferPointer { g in
                rhs.withUnsafeMutableBufferPointer { b in (try? LAPACK.choleskySolve(n: f, a: g.baseAddress!, b: b.baseAddress!)) != nil }
            }
        }
        guard solved, rhs.allSatisfy(\.isFinite) else { return nil }
        let term = (0..<m).map { movie in rows.range(movie).reduce(Float(0)) { $0 + rows.values[$1] * rhs[Int(rows.columns[$1])] } }
        return ColdMovieModel(globalMean: mu, movieTerm: term, genres: MovieGenres(metadata.genres))
    }

    /// A person's terms from their ratings (model movie indices and ratings): b_u, and a_ug per
    /// genre (indexed as `genres.names`; 0 for a genre they rated nothing of).
    public struct Person: Sendable {
        public var bias: Float
        public var affinity: [Float]
    }

    public func person(movies: ArraySlice<Int32>, ratings: ArraySlice<Float>) -> Person {
        precondition(movies.count == ratings.count, "ColdMovieModel.person: \(movies.count) movies, \(ratings.count) ratings")
        let n = Float(ratings.count)
        let bias = n == 0 ? 0 : ratings.reduce(Float(0)) { $0 + $1 - globalMean } / (n + Self.userLambda)
        var total = [Float](repeating: 0, count: genres.names.count), count = total
        for (movie, rating) in zip(movies, ratings) {
            let residual = rating - globalMean - bias - movieTerm[Int(movie)]
            for genre in genres.ofMovie[Int(movie)] {
                total[Int(genre)] += residual
                count[Int(genre)] += 1
            }
        }
        for genre in total.indices { total[genre] /= count[genre] + Self.genrePseudoRatings }
        return Person(bias: bias, affinity: total)
    }

    /// The unclipped prediction for `person` and `movie`.
    public func predict(_ person: Person, movie: Int) -> Float {
        let list = genres.ofMovie[movie]
        let affinity = list.isEmpty ? 0 : list.reduce(Float(0)) { $0 + person.affinity[Int($1)] } / Float(list.count)
        return globalMean + person.bias + movieTerm[movie] + affinity
    }

    // MARK: The file's `/cold_movies` group

    func write(to group: HDF5Group) throws {
        try group.setAttribute("kind", "content-baseline")
        try group.setAttribute("global_mean", Double(globalMean))
        try group.setAttribute("user_lambda", Double(Self.userLambda))
        try group.setAttribute("genre_pseudo_ratings", Double(Self.genrePseudoRatings))
        try group.setAttribute("content_lambda", Double(Self.contentLambda))
        try group.write("movie_term", movieTerm)
    }

    static func read(_ group: HDF5Group, genres: [String], check: ContentCheck) throws -> ColdMovieModel {
        let movies = genres.count
        let kind = try group.stringAttribute("kind")
        guard kind == "content-baseline" else { throw check.fail("/cold_movies", "attribute 'kind' is '\(kind)': expected content-baseline") }
        for (name, value) in [("user_lambda", userLambda), ("genre_pseudo_ratings", genrePseudoRatings), ("content_lambda", contentLambda)] {
            let stored = try group.attribute(name, as: Double.self)
            guard Float(stored) == value else {
                throw check.fail("/cold_movies attribute '\(name)'", "is \(stored); this program predicts with \(value) (a file from another version of Projector)")
            }
        }
        let mean = try group.attribute("global_mean", as: Double.self)
        guard Float(mean).isFinite, abs(mean) <= 1e6 else { throw check.fail("/cold_movies attribute 'global_mean'", "is \(mean): it must be a finite rating") }
        let term: [Float] = try group.read("movie_term", shape: [movies], why: "n_movies")
        try check.finite(term, "/cold_movies/movie_term")
        if let position = term.firstIndex(where: { abs($0) > 1e6 }) { throw check.fail("/cold_movies/movie_term", "position \(position) holds \(term[position]): a movie's term is a rating difference") }
        return ColdMovieModel(globalMean: Float(mean), movieTerm: term, genres: MovieGenres(genres))
    }
}
