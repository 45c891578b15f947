import Essentials
import Foundation
import LinearAlgebra
import Models
import MovieLens
import Ranking

/// How a model is evaluated. The defaults are Projector's protocol; every field is written into
/// `metrics.json` under `protocol`.
public struct EvaluationProtocol: Sendable, Equatable {
    /// The defaults, written once: `evaluate`'s and `publish`'s options and the gate take them from here.
    public static let defaultKs = [5, 10, 20]
    public static let defaultRelevance: Float = 4

    /// Cut-offs for the ranking metrics.
    public var ks: [Int]
    /// A held-out rating at or above this is relevant.
    public var relevanceThreshold: Float
    /// Users scored per block (one BLAS call per block; memory is block × movies floats).
    public var blockUsers = 256

    public init(ks: [Int] = defaultKs, relevanceThreshold: Float = defaultRelevance) {
        self.ks = ks
        self.relevanceThreshold = relevanceThreshold
    }
}

/// Everything `evaluate` measures, for the model and its baselines on the same split.
public struct Evaluation: Sendable {
    /// nil when the model predicts no ratings (EASE): "not applicable", never 0.
    public var rating: RatingError?
    public var ranking: RankingMetrics
    /// Held-out ratings whose user or movie had no training rating: predicted by the bias
    /// baseline, not the model.
    public var coldStartPredictions: Int
    public var globalMean: RatingError
    public var bias: RatingError
    public var popularity: RankingMetrics
    /// Absolute prediction errors grouped by the true rating (for the report), model's if it
    /// predicts ratings.
    public var errorsByRating: [Float: [Float]]
    public var seconds: Double
}

extension Evaluation {
    /// The model's metrics by name, as metrics.json, the model file and the gate name them:
    /// `rmse`, `mae` (nil when the model predicts no ratings), `precision@10`, `ndcg@10`, …;
    /// nil for a value that is not finite.
    public var metrics: [String: Double?] {
        func value(_ x: Double) -> Double? { x.isFinite ? x : nil }
        var result: [String: Double?] = ["rmse": rating.flatMap { value($0.rmse) }, "mae": rating.flatMap { value($0.mae) }]
        for (name, number) in ranking.named { result[name] = value(number) }
        return result
    }
}

/// Evaluates a model file against the ratings file it was trained on.
///
/// Rating metrics: every held-out rating, predictions clipped to the rating scale; a held-out
/// user or movie unseen in training gets the bias baseline's prediction and is counted.
/// Ranking protocol: for each user, every movie they did not rate in training is ranked; relevant
/// = held-out ratings ≥ the threshold; users without a relevant held-out rating are skipped and
/// counted; ties go to the lower movie index; precision divides by k. Users are scored in blocks
/// with BLAS and only the top max(k) of each row is selected (partial selection, no full sort).
///
///     let result = try Evaluator.evaluate(model: ModelFile.read("als.h5"), data: RatingsFile.read("ratings.h5"))
///     result.rating?.rmse         // 0.8408
///     result.ranking.precision[1] // precision@10
public enum Evaluator {
    public static func checkPairing(model: ModelFile, data: RatingsTable) throws {
        guard model.metadata.fingerprint == data.fingerprint else {
            throw EvaluationError(.badInput, "the model was trained on data with fingerprint \(model.metadata.fingerprint.prefix(12))…, but these ratings have \(data.fingerprint.prefix(12))…: evaluate a model on the ratings file it was trained from")
        }
        // Compared as splits, not as text: files written before split_params had sorted keys agree too.
        guard SplitStrategy.parse(name: model.metadata.split, parametersJSON: model.metadata.splitParameters) == data.split else {
            throw EvaluationError(.badInput, "the model was trained on the \(model.metadata.split) split \(model.metadata.splitParameters), these ratings use \(data.split.name) \(data.split.parametersJSON): held-out ratings would leak into training")
        }
        guard model.metadata.userIDs == data.userIDs, model.metadata.movieIDs == data.movieIDs else {
            throw EvaluationError(.badInput, "the model's users and movies (\(model.metadata.userCount) × \(model.metadata.movieCount)) are not the ratings file's (\(data.userCount) × \(data.movieCount)), though the fingerprints agree: one of the files is damaged")
        }
    }

    /// `unknownMovies`: movies of `data` the model cannot score (a production model re-scored on
    /// newer data, `ModelFile.reindexed`): never ranked, and their ratings predicted by the bias
    /// baseline like any cold pair.
    public static func evaluate(model: ModelFile, data: RatingsTable, protocol spec: EvaluationProtocol = EvaluationProtocol(),
                                unknownMovies: [Int32] = []) throws -> Evaluation {
        try checkPairing(model: model, data: data)
        guard data.split.kind != .newUsers && data.split.kind != .newMovies else {
            throw EvaluationError(.badInput, "the ratings use the \(data.split.name) split: measure it by its own protocol (ColdStartEvaluation, evaluate does), not the held-out ratings' one")
        }
        guard !spec.ks.isEmpty, spec.ks.allSatisfy({ $0 > 0 }) else {
            throw EvaluationError(.badInput, "k values must be positive, got \(spec.ks)")
        }
        let start = Date()
        let users = data.userCount, movies = data.movieCount
        let (train, test) = data.sides()
        let (trainUser, trainMovie, trainRating) = (train.user, train.movie, train.rating)
        let (testUser, testMovie, testRating) = (test.user, test.movie, test.rating)
        guard !testRating.isEmpty else {
            throw EvaluationError(.badInput, "the ratings file holds nothing out (split \(data.split)): nothing to evaluate on")
        }
        // What the model knows: users with training movies in it, movies with training ratings in
        // it. (For a model trained on `data` these are `data`'s training side; a re-scored older
        // model knows less.) Baselines always use `data`'s training side.
        var movieCount = model.trainingMovies.columnCounts(movies)
        for movie in unknownMovies { movieCount[Int(movie)] = 0 }
        let userSeen = (0..<users).map { !model.trainingMovies.range($0).isEmpty }
        let training = SparseRows(rows: users, rowOf: trainUser, columnOf: trainMovie, values: trainRating)

        // Baselines on the same split.
        let clip = { (value: Float) in min(data.scale.maximum, max(data.scale.minimum, value)) }
        let mu = Float(trainRating.reduce(0.0) { $0 + Double($1) } / Double(trainRating.count))
        let biasTerms = try NormalisationTerms.fit(method: .baseline, users: users, movies: movies, user: trainUser,
                                                   movie: trainMovie, rating: trainRating)
        let biasPredictions = testRating.indices.map { clip(biasTerms.base(user: Int(testUser[$0]), movie: Int(testMovie[$0]))) }
        let globalMean = RatingError.measure(predictions: [Float](repeating: clip(mu), count: testRating.count), truth: testRating)
        let bias = RatingError.measure(predictions: biasPredictions, truth: testRating)

        // The model's rating predictions.
        var rating: RatingError? = nil
        var coldStart = 0
        var errorsByRating: [Float: [Float]] = [:]
        if let factors = model.rating?.model.factors {
            var predictions = [Float](repeating: 0, count: testRating.count)
            for index in testRating.indices {
                let u = Int(testUser[index]), m = Int(testMovie[index])
                if userSeen[u] && movieCount[m] > 0 {
                    predictions[index] = clip(factors.rawPrediction(user: u, movie: m))
                } else {
                    predictions[index] = biasPredictions[index]
                    coldStart += 1
                }
                errorsByRating[testRating[index], default: []].append(predictions[index] - testRating[index])
            }
            rating = RatingError.measure(predictions: predictions, truth: testRating)
        }

        // Relevant held-out movies per user.
        var relevant = [Set<Int32>](repeating: [], count: users)
        for index in testRating.indices where testRating[index] >= spec.relevanceThreshold {
            relevant[Int(testUser[index])].insert(testMovie[index])
        }
        let popularityScores = training.columnCounts(movies).map(Float.init)
        let maxK = min(spec.ks.max()!, movies)
        let blocks = Parallel.ranges(users, parts: max(1, (users + spec.blockUsers - 1) / spec.blockUsers))
        let partials = try Parallel.map(blocks.count) { block -> (RankingMetrics.Accumulator, RankingMetrics.Accumulator) in
            let range = blocks[block]
            var modelAcc = RankingMetrics.Accumulator(ks: spec.ks, movies: movies)
            var popularAcc = RankingMetrics.Accumulator(ks: spec.ks, movies: movies)
            var popular = popularityScores
            var ranked: [Int32] = []
            model.rank(users: range, k: maxK, where: { !relevant[$0].isEmpty }, excluding: training,
                 unknownMovies: unknownMovies) { user, list, _ in
                let rel = relevant[user]
                guard !rel.isEmpty else {
                    modelAcc.add(ranked: [], relevant: rel)
                    popularAcc.add(ranked: [], relevant: rel)
                    return
                }
                modelAcc.add(ranked: list, relevant: rel)
                let excluded = training.range(user)
                for entry in excluded { popular[Int(training.columns[entry])] = -.infinity }
                popular.withUnsafeBufferPointer { topK($0, k: maxK, into: &ranked) }
                popularAcc.add(ranked: ranked, relevant: rel)
                for entry in excluded { popular[Int(training.columns[entry])] = popularityScores[Int(training.columns[entry])] }
            }
            return (modelAcc, popularAcc)
        }
        var modelRanking = RankingMetrics.Accumulator(ks: spec.ks, movies: movies)
        var popularity = RankingMetrics.Accumulator(ks: spec.ks, movies: movies)
        for (a, b) in partials {
            modelRanking.merge(a)
            popularity.merge(b)
        }
        return Evaluation(
            rating: rating, ranking: modelRanking.result, coldStartPredictions: coldStart, globalMean: globalMean,
            bias: bias, popularity: popularity.result, errorsByRating: errorsByRating,
            seconds: Date().timeIntervalSince(start))
    }
}
