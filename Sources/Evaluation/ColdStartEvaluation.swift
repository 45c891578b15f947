import Essentials
import Foundation
import LinearAlgebra
import Models
import MovieLens
import Ranking

/// What `evaluate` measures on a `new-users` or `new-movies` split (`SplitStrategy`): the
/// field's protocols for people and movies the model was not trained on.
///
/// **New users** (strong generalisation: Liang et al. 2018, Steck 2019). Each test user's
/// history is folded in (`ModelFile.FoldIn`, the code `serve` answers `POST …/recommendations`
/// with), every movie but the history is ranked, and the targets are measured: relevant = a
/// target rated ≥ the relevance threshold; Recall@k = hits in the top k / min(k, relevant),
/// NDCG@100 (IDCG over min(100, relevant)); users without a relevant target are skipped (and
/// counted). RMSE and MAE of the rating head's fold-in predictions on every target. Baselines:
/// `user_mean` (global mean + the user's bias from the history, λ 10), `bias` (global mean +
/// movie bias + the user's bias from the history's residuals, λ 10), `popularity` (most rated
/// in training, the history excluded).
///
/// **New movies** (item cold start, the LightFM paper). All ratings of the cold movies are held
/// out. RMSE and MAE of the model's stars for them — its content baseline (`ColdMovieModel`), else
/// global mean + user bias, as `serve` answers —; per user with a held-out rating ≥ the threshold, the ranking head ranks the
/// cold movies only: AUC (positives: the user's held-out ratings ≥ the threshold; negatives:
/// every other cold movie; ties count ½) and precision@10; users without a positive skipped.
/// Baseline `genre_mean`: global mean + user bias (λ 10) + the mean over the movie's genres of
/// each genre's mean residual, shrunk by 100 pseudo-ratings.
///
/// Metric names carry the protocol (`new_users.recall@20`, `new_movies.auc`): the same
/// metrics.json keys, gate floors and model attributes as the default protocol's.
public struct ColdStartEvaluation: Sendable {
    public var split: SplitStrategy.Kind
    public var metrics: [String: Double]
    /// Baseline name → metric name → value.
    public var baselines: [String: [String: Double]]
    public var ks: [Int]
    public var usersEvaluated: Int
    public var usersSkipped: Int
    public var targets: Int
    /// Prediction errors (predicted − true) by true rating, for the report.
    public var errorsByRating: [Float: [Float]]
    public var seconds: Double

    /// The protocol's prefix in metric names.
    public var prefix: String { split == .newUsers ? "new_users." : "new_movies." }

    public static let newUserKs = [20, 50, 100]
    /// Users per block of the parallel loops (fixed, as `EvaluationProtocol.blockUsers`).
    static let blockUsers = 64
    public static let coldMovieK = 10
    /// The baselines' shrinkage: λ of a user's bias, pseudo-ratings of a genre's mean residual.
    public static let userBiasLambda: Double = 10, genrePseudoRatings: Double = 100

    /// Evaluates `model` on a `new-users` or `new-movies` ratings file.
    public static func evaluate(model: ModelFile, data: RatingsTable, relevance: Float) throws -> ColdStartEvaluation {
        try Evaluator.checkPairing(model: model, data: data)
        switch data.split {
        case .newUsers: return try newUsers(model: model, data: data, relevance: relevance)
        case .newMovies: return try newMovies(model: model, data: data, relevance: relevance)
        default: throw EvaluationError(.badInput, "the \(data.split.name) split has no cold-start protocol (new-users or new-movies)")
        }
    }

    struct UserSums {
        var squared = 0.0, absolute = 0.0, count = 0, predicted = 0
        var userMeanSquared = 0.0, biasSquared = 0.0
        var recall: [Double] = [0, 0], ndcg = 0.0
        var popularRecall: [Double] = [0, 0], popularNDCG = 0.0
        var users = 0, skipped = 0
        var errors: [Float: [Float]] = [:]

        mutating func merge(_ other: UserSums) {
            squared += other.squared; absolute += other.absolute; count += other.count; predicted += other.predicted
            userMeanSquared += other.userMeanSquared; biasSquared += other.biasSquared
            for i in 0..<2 { recall[i] += other.recall[i]; popularRecall[i] += other.popularRecall[i] }
            ndcg += other.ndcg; popularNDCG += other.popularNDCG
            users += other.users; skipped += other.skipped
            for (rating, values) in other.errors { errors[rating, default: []] += values }
        }
    }

    /// Recall@k with Liang et al.'s denominator min(k, relevant), and NDCG@k, for one list.
    static func strongGeneralisation(_ ranked: [Int32], relevant: Set<Int32>, k: Int) -> (recall: Double, ndcg: Double) {
        var hits = 0, dcg = 0.0
        for (position, movie) in ranked.prefix(k).enumerated() where relevant.contains(movie) {
            hits += 1
            dcg += 1 / log2(Double(position + 2))
        }
        let ideal = (0..<min(k, relevant.count)).reduce(0.0) { $0 + 1 / log2(Double($1 + 2)) }
        return (Double(hits) / Double(min(k, relevant.count)), dcg / ideal)
    }

    static func newUsers(model: ModelFile, data: RatingsTable, relevance: Float) throws -> ColdStartEvaluation {
        let start = Date()
        let foldIn: ModelFile.FoldIn
        do { foldIn = try ModelFile.FoldIn(model) } catch let error as FoldInError {
            throw EvaluationError(.badInput, "new-users protocol: \(error.message)")
        }
        let (train, test) = data.sides()
        let histories = data.histories()
        let users = data.userCount, movies = data.movieCount
        let historyRows = SparseRows(rows: users, rowOf: histories.user, columnOf: histories.movie, values: histories.rating)
        let targetRows = SparseRows(rows: users, rowOf: test.user, columnOf: test.movie, values: test.rating)
        let testUsers = (0..<users).filter { !historyRows.range($0).isEmpty || !targetRows.range($0).isEmpty }
        guard !test.rating.isEmpty else { throw EvaluationError(.badInput, "the new-users split holds out no targets: nothing to evaluate") }
        // Baselines' terms from the training side (the global mean, movie biases λ 10).
        let mu = train.rating.reduce(0.0) { $0 + Double($1) } / Double(max(1, train.rating.count))
        let terms = try NormalisationTerms.fit(method: .baseline, users: users, movies: movies, user: train.user, movie: train.movie, rating: train.rating)
        let popularity = SparseRows(rows: users, rowOf: train.user, columnOf: train.movie, values: train.rating).columnCounts(movies).map(Float.init)
        let clip = { (x: Double) in Float(min(Double(data.scale.maximum), max(Double(data.scale.minimum), x))) }
        let maxK = newUserKs.max()!
        // Fixed-size blocks of users: the sums' order, so the bytes, do not depend on the cores.
        let blocks = Parallel.ranges(testUsers.count, parts: max(1, (testUsers.count + blockUsers - 1) / blockUsers))
        let partials = try Parallel.map(blocks.count) { block -> UserSums in
            var sums = UserSums()
            var popular = popularity
            var ranked: [Int32] = []
            for user in blocks[block].map({ testUsers[$0] }) {
                let historyRange = historyRows.range(user)
                let history = History(historyRange.map { (historyRows.columns[$0], historyRows.values[$0]) })
                // What the data says of the person (ml-1m, ml-100k), as a client would send it.
                let person = foldIn.fold(history, attributes: foldIn.knownAttributes(data.userAttributes.values(of: user)))
                // The baselines' user terms from the history.
                var userMean = 0.0, residual = 0.0
                for entry in historyRange {
                    userMean += Double(historyRows.values[entry]) - mu
                    residual += Double(historyRows.values[entry]) - Double(terms.base(user: user, movie: Int(historyRows.columns[entry])))
                }
                userMean /= Double(historyRange.count) + userBiasLambda
                residual /= Double(historyRange.count) + userBiasLambda
                var relevant = Set<Int32>()
                for entry in targetRows.range(user) {
                    let movie = Int(targetRows.columns[entry]), truth = targetRows.values[entry]
                    if truth >= relevance { relevant.insert(Int32(movie)) }
                    if let predicted = person.predict(movie: movie) {
                        let error = Double(predicted) - Double(truth)
                        sums.squared += error * error
                        sums.absolute += abs(error)
                        sums.errors[truth, default: []].append(Float(error))
                        sums.predicted += 1
                    }
                    sums.count += 1
                    let meanError = Double(clip(mu + userMean)) - Double(truth)
                    sums.userMeanSquared += meanError * meanError
                    let biasError = Double(clip(Double(terms.base(user: user, movie: movie)) + residual)) - Double(truth)
                    sums.biasSquared += biasError * biasError
                }
                guard !relevant.isEmpty else {
                    sums.skipped += 1
                    continue
                }
                sums.users += 1
                let list = person.top(k: maxK).movies
                for (index, k) in [20, 50].enumerated() { sums.recall[index] += strongGeneralisation(list, relevant: relevant, k: k).recall }
                sums.ndcg += strongGeneralisation(list, relevant: relevant, k: 100).ndcg
                for entry in historyRange { popular[Int(historyRows.columns[entry])] = -.infinity }
                popular.withUnsafeBufferPointer { topK($0, k: maxK, into: &ranked) }
                for (index, k) in [20, 50].enumerated() { sums.popularRecall[index] += strongGeneralisation(ranked, relevant: relevant, k: k).recall }
                sums.popularNDCG += strongGeneralisation(ranked, relevant: relevant, k: 100).ndcg
                for entry in historyRange { popular[Int(historyRows.columns[entry])] = popularity[Int(historyRows.columns[entry])] }
            }
            return sums
        }
        var total = UserSums()
        for partial in partials { total.merge(partial) }
        let n = Double(max(1, total.count)), evaluated = Double(max(1, total.users))
        var metrics: [String: Double] = [
            "new_users.recall@20": total.users == 0 ? .nan : total.recall[0] / evaluated,
            "new_users.recall@50": total.users == 0 ? .nan : total.recall[1] / evaluated,
            "new_users.ndcg@100": total.users == 0 ? .nan : total.ndcg / evaluated,
        ]
        // Not applicable without a rating head that folds in (every target predicted, or none).
        let predicted = Double(max(1, total.predicted))
        metrics["new_users.rmse"] = total.predicted == 0 ? .nan : (total.squared / predicted).squareRoot()
        metrics["new_users.mae"] = total.predicted == 0 ? .nan : total.absolute / predicted
        return ColdStartEvaluation(
            split: .newUsers, metrics: metrics,
            baselines: [
                "user_mean": ["new_users.rmse": (total.userMeanSquared / n).squareRoot()],
                "bias": ["new_users.rmse": (total.biasSquared / n).squareRoot()],
                "popularity": ["new_users.recall@20": total.popularRecall[0] / evaluated, "new_users.recall@50": total.popularRecall[1] / evaluated,
                               "new_users.ndcg@100": total.popularNDCG / evaluated],
            ],
            ks: newUserKs, usersEvaluated: total.users, usersSkipped: total.skipped, targets: total.count,
            errorsByRating: total.errors, seconds: Date().timeIntervalSince(start))
    }

    static func newMovies(model: ModelFile, data: RatingsTable, relevance: Float) throws -> ColdStartEvaluation {
        let start = Date()
        let (train, test) = data.sides()
        guard !test.rating.isEmpty else { throw EvaluationError(.badInput, "the new-movies split holds out no ratings: nothing to evaluate") }
        let users = data.userCount, movies = data.movieCount
        let trainCounts = SparseRows(rows: users, rowOf: train.user, columnOf: train.movie, values: train.rating).columnCounts(movies)
        let heldOut = SparseRows(rows: users, rowOf: test.user, columnOf: test.movie, values: test.rating)
        // The cold movies: held-out ratings and none in training (a movie of the catalogue that
        // nobody rated is no part of the protocol: it has nothing to hold out).
        let testCounts = heldOut.columnCounts(movies)
        let cold = (0..<movies).filter { trainCounts[$0] == 0 && testCounts[$0] > 0 }.map(Int32.init)
        // Baseline: global mean + user bias (λ 10) + the mean of the movie's genres' shrunk mean residuals.
        let mu = train.rating.reduce(0.0) { $0 + Double($1) } / Double(max(1, train.rating.count))
        var userSum = [Double](repeating: 0, count: users), userCount = [Double](repeating: 0, count: users)
        for index in train.rating.indices {
            userSum[Int(train.user[index])] += Double(train.rating[index]) - mu
            userCount[Int(train.user[index])] += 1
        }
        let userBias = (0..<users).map { userSum[$0] / (userCount[$0] + userBiasLambda) }
        let genresOf = data.genres.map { $0.isEmpty ? [] : $0.split(separator: "|").map(String.init) }
        var genreSum: [String: Double] = [:], genreCount: [String: Double] = [:]
        for index in train.rating.indices {
            let residual = Double(train.rating[index]) - mu - userBias[Int(train.user[index])]
            for genre in genresOf[Int(train.movie[index])] {
                genreSum[genre, default: 0] += residual
                genreCount[genre, default: 0] += 1
            }
        }
        let genreTerm = genresOf.map { genres -> Double in
            guard !genres.isEmpty else { return 0 }
            return genres.reduce(0.0) { $0 + (genreSum[$1] ?? 0) / ((genreCount[$1] ?? 0) + genrePseudoRatings) } / Double(genres.count)
        }
        let clip = { (x: Double) in Double(min(Double(data.scale.maximum), max(Double(data.scale.minimum), x))) }
        var squared = 0.0, absolute = 0.0, baselineSquared = 0.0
        var errors: [Float: [Float]] = [:]
        let factors = model.rating?.model.factors
        var person: (user: Int, terms: ColdMovieModel.Person?) = (-1, nil)  // held-out ratings come by user
        for index in test.rating.indices {
            let user = Int(test.user[index]), movie = Int(test.movie[index]), truth = Double(test.rating[index])
            if let factors {
                // The model's prediction for a movie it has no ratings of: its content baseline
                // when it has one, else the rating head's own.
                if person.user != user { person = (user, model.coldPerson(user: user)) }
                // As every consumer answers it: the content baseline, else global mean + user bias.
                let predicted = person.terms.flatMap { model.coldMovieRating(person: $0, movie: movie) }
                    ?? model.metadata.clip(factors.globalMean + factors.userBias[user])
                let error = Double(predicted) - truth
                squared += error * error
                absolute += abs(error)
                errors[test.rating[index], default: []].append(Float(error))
            }
            let baseline = clip(mu + userBias[user] + genreTerm[movie]) - truth
            baselineSquared += baseline * baseline
        }
        // Per-user AUC and precision@10 over the cold movies, by the ranking head's scores.
        let coldSet = Set(cold)
        let rankingUsers = (0..<users).filter { user in heldOut.range(user).contains { heldOut.values[$0] >= relevance } }
        let blocks = Parallel.ranges(rankingUsers.count, parts: max(1, (rankingUsers.count + blockUsers - 1) / blockUsers))
        let partials = try Parallel.map(blocks.count) { block -> (auc: Double, precision: Double, users: Int) in
            var auc = 0.0, precision = 0.0, count = 0
            for user in blocks[block].map({ rankingUsers[$0] }) {
                var positives = Set<Int32>()
                for entry in heldOut.range(user) where heldOut.values[entry] >= relevance && coldSet.contains(heldOut.columns[entry]) {
                    positives.insert(heldOut.columns[entry])
                }
                guard !positives.isEmpty, positives.count < cold.count else { continue }
                var scores: [Float] = []
                model.rank(users: user..<(user + 1), k: 0, excluding: SparseRows(pointers: [Int](repeating: 0, count: users + 1), columns: [], values: [])) { _, _, row in
                    scores = cold.map { row[Int($0)] }
                }
                auc += areaUnderCurve(scores: scores, positive: cold.map { positives.contains($0) })
                let order = cold.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : cold[$0] < cold[$1] }
                precision += Double(order.prefix(coldMovieK).filter { positives.contains(cold[$0]) }.count) / Double(coldMovieK)
                count += 1
            }
            return (auc, precision, count)
        }
        let evaluatedUsers = partials.reduce(0) { $0 + $1.users }
        let n = Double(max(1, test.rating.count)), perUser = Double(max(1, evaluatedUsers))
        let metrics: [String: Double] = [
            "new_movies.rmse": factors == nil ? .nan : (squared / n).squareRoot(),
            "new_movies.mae": factors == nil ? .nan : absolute / n,
            "new_movies.auc": evaluatedUsers == 0 ? .nan : partials.reduce(0) { $0 + $1.auc } / perUser,
            "new_movies.precision@10": evaluatedUsers == 0 ? .nan : partials.reduce(0) { $0 + $1.precision } / perUser,
        ]
        return ColdStartEvaluation(
            split: .newMovies, metrics: metrics, baselines: ["genre_mean": ["new_movies.rmse": (baselineSquared / n).squareRoot()]],
            ks: [coldMovieK], usersEvaluated: evaluatedUsers, usersSkipped: users - evaluatedUsers, targets: test.rating.count,
            errorsByRating: errors, seconds: Date().timeIntervalSince(start))
    }

    /// The probability that a random positive scores above a random negative (ties ½), by ranks.
    static func areaUnderCurve(scores: [Float], positive: [Bool]) -> Double {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSum = 0.0, position = 0
        while position < order.count {
            var end = position
            while end + 1 < order.count && scores[order[end + 1]] == scores[order[position]] { end += 1 }
            let averageRank = Double(position + end) / 2 + 1
            for slot in position...end where positive[order[slot]] { rankSum += averageRank }
            position = end + 1
        }
        let p = Double(positive.filter { $0 }.count), q = Double(positive.count) - p
        return (rankSum - p * (p + 1) / 2) / (p * q)
    }
}
