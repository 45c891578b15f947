import LinearAlgebra

extension ModelFile {
    /// An older model (production) moved onto newer data's users and movies, matched by original
    /// id, so that it can be scored on the newer data's held-out ratings exactly as a model
    /// trained on that data is: the champion/challenger gate.
    ///
    /// The result scores as the older artifact itself would: its learned parameters and its own
    /// stored training history (the input its item-item head scores), in the newer data's index
    /// space; the evaluator excludes what each user has rated by now from its lists, as it does
    /// for the candidate. What it never saw is marked, not invented:
    /// - a user the older model does not know has no training movies in it, so the ranking
    ///   protocol gives them the most popular movies (as `serve` does) and rating predictions for
    ///   them fall back to the evaluator's bias baseline — exactly as for a cold user of the newer
    ///   model;
    /// - a movie the older model does not know is in `unknownMovies`: it is never ranked (score
    ///   −∞) and its ratings are predicted by the same bias baseline;
    /// - a movie or user of the older data that the newer data lacks is dropped.
    ///
    /// Neighbours and metrics are not carried (the result is scored, not served).
    ///
    ///     let (champion, unknown) = production.reindexed(to: candidate.metadata)
    ///     try Evaluator.evaluate(model: champion, data: table, unknownMovies: unknown)
    public func reindexed(to target: DatasetMetadata) -> (model: ModelFile, unknownMovies: [Int32]) {
        let userFrom = Self.matching(target.userIDs, in: metadata.userIDs)
        let movieFrom = Self.matching(target.movieIDs, in: metadata.movieIDs)
        var movieTo = [Int32](repeating: -1, count: metadata.movieCount)
        for (new, old) in movieFrom.enumerated() where old >= 0 { movieTo[Int(old)] = Int32(new) }

        // The stored training history, user by user in the new order; movies stay ascending
        // because both id lists are ascending.
        var pointers = [0]
        var columns: [Int32] = [], ratings: [Float] = [], kept: [Int] = []
        for old in userFrom {
            if old >= 0 {
                for entry in trainingMovies.range(Int(old)) {
                    let movie = movieTo[Int(trainingMovies.columns[entry])]
                    guard movie >= 0 else { continue }
                    columns.append(movie)
                    kept.append(entry)
                    if let trainingRatings { ratings.append(trainingRatings[entry]) }
                }
            }
            pointers.append(columns.count)
        }
        var training = trainingMovies
        training.pointers = pointers
        training.columns = columns
        training.values = [Float](repeating: 1, count: columns.count)

        func moved(_ head: ModelHead) -> ModelHead {
            var result = head
            result.model = Self.reindex(head.model, users: userFrom, movies: movieFrom, movieTo: movieTo)
            result.inputWeights = head.inputWeights.map { weights in kept.map { weights[$0] } }
            return result
        }
        var result = ModelFile(rating: rating.map(moved), ranking: ranking.map(moved), neighboursFrom: neighboursFrom,
                               metadata: target, neighbours: Neighbours(index: [], score: [], k: 0),
                               trainingMovies: training, createdBy: createdBy, metrics: [:])
        result.trainingRatings = trainingRatings == nil ? nil : ratings
        let unknown = movieFrom.indices.filter { movieFrom[$0] < 0 }.map { Int32($0) }
        return (result, unknown)
    }

    /// For each id of `ids` (ascending), its index in `source` (ascending), or −1.
    static func matching(_ ids: [Int64], in source: [Int64]) -> [Int32] {
        var result = [Int32](repeating: -1, count: ids.count)
        var cursor = 0
        for (index, id) in ids.enumerated() {
            while cursor < source.count && source[cursor] < id { cursor += 1 }
            if cursor < source.count && source[cursor] == id { result[index] = Int32(cursor) }
        }
        return result
    }

    /// One learned model in the new index space: rows (and for item-item, columns) gathered by
    /// `users` / `movies` (old index or −1); what has no old row is zero.
    static func reindex(_ model: LearnedModel, users: [Int32], movies: [Int32], movieTo: [Int32]) -> LearnedModel {
        switch model {
        case .factors(let factors):
            let k = factors.rank
            func gather(_ matrix: Matrix, _ rows: [Int32]) -> Matrix {
                var result = Matrix(rows: rows.count, columns: k)
                for (new, old) in rows.enumerated() where old >= 0 {
                    for j in 0..<k { result.values[new * k + j] = matrix.values[Int(old) * k + j] }
                }
                return result
            }
            return .factors(FactorModel(
                globalMean: factors.globalMean,
                userBias: users.map { $0 >= 0 ? factors.userBias[Int($0)] : 0 },
                movieBias: movies.map { $0 >= 0 ? factors.movieBias[Int($0)] : 0 },
                userFactors: gather(factors.userFactors, users), movieFactors: gather(factors.movieFactors, movies),
                // A user or movie it never saw is predicted by the bias baseline, not by the link: its scale is 1.
                ordinal: factors.ordinal.map { link in
                    OrdinalLink(cutPoints: link.cutPoints, userScale: users.map { $0 >= 0 ? link.userScale[Int($0)] : 1 },
                                movieScale: movies.map { $0 >= 0 ? link.movieScale[Int($0)] : 1 }, minimum: link.minimum, step: link.step)
                }))
        case .itemItem(let item):
            let m = movies.count, old = item.movieCount
            var weights = Matrix(rows: m, columns: m)
            for (i, oi) in movies.enumerated() where oi >= 0 {
                for (j, oj) in movies.enumerated() where oj >= 0 {
                    weights.values[i * m + j] = item.weights.values[Int(oi) * old + Int(oj)]
                }
            }
            return .itemItem(ItemItemModel(weights: weights))
        case .sparseItemItem(let sparse):
            var rowOf: [Int32] = [], columnOf: [Int32] = [], values: [Float] = []
            for (i, oi) in movies.enumerated() where oi >= 0 {
                for entry in sparse.rows.range(Int(oi)) {
                    let column = movieTo[Int(sparse.rows.columns[entry])]
                    guard column >= 0 else { continue }
                    rowOf.append(Int32(i))
                    columnOf.append(column)
                    values.append(sparse.rows.values[entry])
                }
            }
            return .sparseItemItem(SparseItemItemModel(
                rows: SparseRows(rows: movies.count, rowOf: rowOf, columnOf: columnOf, values: values),
                keptPerColumn: sparse.keptPerColumn))
        }
    }
}
