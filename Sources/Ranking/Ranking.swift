import Essentials
import ModelFormat

/// Ranking, in its own module because `evaluate` measures the lists that `serve` and
/// `ProjectorClient` answer with: both call this one function, and the client library
/// downstream services link needs nothing of the evaluation.
extension ModelFile {
    /// The ranking protocol, written once: each user's top `k` movies by the ranking head's
    /// scores, the user's training movies excluded, ties to the lower movie index. A user without
    /// training movies in the model gets the movies with the most training ratings in it (the
    /// cold-start answer `serve` gives). `excluding` (default: the model's training movies) is what
    /// each user already rated; `evaluate` passes the data's training side, so that a model from
    /// older data (the gate's champion) is never charged for recommending what the user has rated
    /// since. `unknownMovies` (−∞) are never ranked. `body` gets
    /// every user of `users` in order, with their list and their row of scores (−∞ at training
    /// movies); an empty list and row for those `include` leaves out.
    /// `evaluate` measures these lists and `StoredModel.recommend` serves them.
    ///
    ///     file.rank(users: 0..<10, k: 10) { user, movies, scores in print(user, movies) }
    public func rank(users: Range<Int>, k: Int, where include: (Int) -> Bool = { _ in true },
                     excluding: SparseRows? = nil, unknownMovies: [Int32] = [],
                     _ body: (Int, [Int32], UnsafeBufferPointer<Float>) -> Void) {
        let model = self
        let training = model.trainingMovies
        let rated = excluding ?? training
        let movies = model.metadata.movieCount
        var scores = model.rankingHead.model.scores(users: users, training: model.rankingInput)
        var popularity: [Float]? = nil
        var ranked: [Int32] = []
        for (row, user) in users.enumerated() {
            guard include(user) else {
                body(user, [], UnsafeBufferPointer(start: nil, count: 0))
                continue
            }
            if training.range(user).isEmpty {
                if popularity == nil { popularity = training.columnCounts(movies).map(Float.init) }
                scores.values.replaceSubrange((row * movies)..<((row + 1) * movies), with: popularity!)
            }
            scores.values.withUnsafeMutableBufferPointer { all in
                let rowStart = all.baseAddress! + row * movies
                for entry in rated.range(user) { rowStart[Int(rated.columns[entry])] = -.infinity }
                for movie in unknownMovies { rowStart[Int(movie)] = -.infinity }
                let row = UnsafeBufferPointer(start: rowStart, count: movies)
                topK(row, k: k, into: &ranked)
                body(user, ranked, row)
            }
        }
    }
}
