import Essentials

/// "Movies like this one" from content alone: the cosine of two movies' `ContentFeatures`
/// vectors (genres, decade, five-year span, year, title words, tags), the top k by it. What
/// `similar` answers for a movie with few training ratings, whose learned neighbours are noise.
///
/// Measured on ML-1M's default split (`Scripts/python/similar_content.py`: for a user who liked
/// movie s in training, the share of s's 10 neighbours they like among their held-out ratings),
/// by s's training ratings — stored neighbours (EASE's weights) / content / the best blend of the
/// two: 1–4 ratings 0.0018 / **0.0101** / 0.0069; 5–19 0.0088 / **0.0136** / 0.0127; 20–99
/// **0.0226** / 0.0138 / 0.0230 (a blend 2 % above, not kept); 100+ **0.0395** / 0.0109 / 0.0387.
/// Hence `ratingsNeeded`, and no blend.
///
///     let near = ContentNeighbours(ContentFeatures(metadata))
///     near.nearest(to: 42, k: 10)   // [(movie, cosine)], best first, ties to the lower index
public struct ContentNeighbours: Sendable {
    /// Movies with fewer training ratings than this answer `similar` from content.
    public static let ratingsNeeded = 20

    let rows: SparseRows
    /// The transpose: each feature's movies and weights.
    let byFeature: SparseRows

    public init(_ content: ContentFeatures) {
        rows = content.rows
        // The transpose by the counting sort SparseRows already has (movies ascending per feature).
        var movieOf: [Int32] = []
        movieOf.reserveCapacity(rows.columns.count)
        for movie in 0..<rows.rowCount { movieOf += repeatElement(Int32(movie), count: rows.range(movie).count) }
        byFeature = SparseRows(rows: content.featureCount, rowOf: rows.columns, columnOf: movieOf, values: rows.values)
    }

    /// Whether `movie` has a content feature (one another movie shares: `ContentFeatures` keeps
    /// only those), so that `nearest` finds at least one movie.
    public func hasFeatures(_ movie: Int) -> Bool {
        movie >= 0 && movie < rows.rowCount && !rows.range(movie).isEmpty
    }

    /// The `k` movies with the largest positive cosine to `movie` (itself excluded), best first,
    /// ties to the lower index; fewer when fewer share a feature with it.
    public func nearest(to movie: Int, k: Int) -> [(movie: Int, score: Float)] {
        guard movie >= 0, movie < rows.rowCount, k > 0 else { return [] }
        var cosine = [Float](repeating: 0, count: rows.rowCount)
        for entry in rows.range(movie) {
            let weight = rows.values[entry]
            for shared in byFeature.range(Int(rows.columns[entry])) {
                cosine[Int(byFeature.columns[shared])] += weight * byFeature.values[shared]
            }
        }
        cosine[movie] = 0
        for index in cosine.indices where !(cosine[index] > 0) { cosine[index] = -.infinity }
        var best: [Int32] = []
        cosine.withUnsafeBufferPointer { topK($0, k: k, into: &best) }
        return best.map { (Int($0), cosine[Int($0)]) }
    }
}
