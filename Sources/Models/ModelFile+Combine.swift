import ModelFormat
extension ModelFile {
    /// One two-headed model from two trained on the same data: `rating`'s rating head predicts,
    /// `ranking`'s ranking head (its rating head, if it has no other) orders recommendations.
    /// The neighbours are those of the file named by `neighboursFrom`. Evaluate's metrics are
    /// dropped: the combined model is evaluated afresh.
    ///
    ///     let served = try ModelFile.combine(rating: .read("bpmf.h5"), ranking: .read("ease.h5"),
    ///                                        neighboursFrom: .rating, createdBy: "combine")
    ///
    /// Refused (bad input) when the two differ in data fingerprint, split, users, movies or
    /// training ratings, or when `rating` predicts no ratings.
    public static func combine(rating: ModelFile, ranking: ModelFile, neighboursFrom: ModelHead.Role, createdBy: String,
                               names: (rating: String, ranking: String) = ("--rating", "--ranking")) throws -> ModelFile {
        guard let ratingHead = rating.rating else {
            throw ModelsError.badParameter("\(names.rating) is \(rating.algorithm), which predicts no ratings: the rating head must be a factor model (\(Algorithms.ratingNames.joined(separator: ", ")))")
        }
        let a = rating.metadata, b = ranking.metadata
        let mismatch: String? =
            a.fingerprint != b.fingerprint ? "data fingerprint \(a.fingerprint.prefix(12))… ≠ \(b.fingerprint.prefix(12))…"
            : (a.split != b.split || a.splitParameters != b.splitParameters) ? "split \(a.split) \(a.splitParameters) ≠ \(b.split) \(b.splitParameters)"
            : a.userIDs != b.userIDs ? "users (\(a.userCount == b.userCount ? "\(a.userCount) each, with other ids" : "\(a.userCount) ≠ \(b.userCount)"))"
            : a.movieIDs != b.movieIDs ? "movies (\(a.movieCount == b.movieCount ? "\(a.movieCount) each, with other ids" : "\(a.movieCount) ≠ \(b.movieCount)"))"
            : (a.scale != b.scale || a.titles != b.titles || a.years != b.years || a.genres != b.genres || a.kind != b.kind) ? "movie titles, years, genres or the rating scale"
            : (rating.trainingMovies.pointers != ranking.trainingMovies.pointers || rating.trainingMovies.columns != ranking.trainingMovies.columns) ? "training ratings"
            : nil
        if let mismatch {
            throw ModelsError.badParameter("\(names.rating) and \(names.ranking) were not trained on the same data: \(mismatch); train both from one ingest")
        }
        // The neighbours of the head taken; recomputed when the source file's came from a head it drops.
        let neighbours: Neighbours
        switch neighboursFrom {
        case .rating:
            neighbours = rating.neighboursFrom == .rating ? rating.neighbours
                : Neighbours.strongestWeights(of: ratingHead.model, k: rating.neighbours.k)
        case .ranking:
            neighbours = ranking.ranking == nil || ranking.neighboursFrom == .ranking ? ranking.neighbours
                : Neighbours.strongestWeights(of: ranking.rankingHead.model, k: ranking.neighbours.k)
        }
        var combined = ModelFile(rating: ratingHead, ranking: ranking.rankingHead, neighboursFrom: neighboursFrom, metadata: a,
                                 neighbours: neighbours, trainingMovies: rating.trainingMovies, createdBy: createdBy, metrics: [:])
        combined.trainingRatings = rating.trainingRatings ?? ranking.trainingRatings
        combined.coldMovies = rating.coldMovies ?? ranking.coldMovies
        combined.userAttributes = rating.userAttributes ?? ranking.userAttributes
        return combined
    }
}
