import Essentials
import Foundation
import Models
import MovieLens

/// `metrics.json`: what nightly jobs and CI read (with jq). Keys are stable and documented in the
/// README; a value that does not apply (RMSE of EASE) is `null`, never 0.
///
///     jq '.metrics.rmse, .metrics["precision@10"], .baselines.bias.rmse' metrics.json
public struct MetricsReport: Codable, Sendable, Equatable {
    public static let format = "projector.metrics"
    /// Version 2: `model.heads` (params as a JSON object) and `protocol.*_metrics_from`.
    public static let formatVersion = 2

    public struct Model: Codable, Sendable, Equatable {
        public var path: String
        /// `bpmf`, `ease`, or `bpmf+ease` (rating head + ranking head).
        public var algorithm: String
        /// `rating`: the head whose predictions give rmse and mae (null: the model predicts no
        /// ratings); `ranking`: the head whose lists give the ranking metrics.
        public var heads: [String: ModelHead.Summary?]
    }
    public struct Data: Codable, Sendable, Equatable {
        public var fingerprint: String
        public var kind: String
        public var split: String
        public var splitParams: String
        public var trainRatings: Int
        public var heldOutRatings: Int
        enum CodingKeys: String, CodingKey {
            case fingerprint, kind, split, splitParams = "split_params"
            case trainRatings = "train_ratings", heldOutRatings = "held_out_ratings"
        }
    }

    public struct ProtocolDescription: Codable, Sendable, Equatable {
        /// `new-users` or `new-movies` for the cold-start protocols (`ColdStartEvaluation`); absent
        /// for the default protocol (held-out ratings of users and movies the model knows).
        public var name: String? = nil
        public var ks: [Int]
        public var relevanceThreshold: Double
        public var candidates = "every movie the user did not rate in training"
        public var ties = "lower movie index first"
        public var precisionDenominator = "k"
        public var ratingPredictions: String
        /// Which head produced the rating metrics and which the ranking metrics, in words.
        public var ratingMetricsFrom: String
        public var rankingMetricsFrom: String
        public var usersEvaluated: Int
        public var usersSkippedNoRelevant: Int
        public var coldStartPredictions: Int
        enum CodingKeys: String, CodingKey {
            case name, ks, candidates, ties
            case relevanceThreshold = "relevance_threshold", precisionDenominator = "precision_denominator"
            case ratingPredictions = "rating_predictions", usersEvaluated = "users_evaluated"
            case ratingMetricsFrom = "rating_metrics_from", rankingMetricsFrom = "ranking_metrics_from"
            case usersSkippedNoRelevant = "users_skipped_no_relevant", coldStartPredictions = "cold_start_predictions"
        }
    }

    public var format = MetricsReport.format
    public var formatVersion = MetricsReport.formatVersion
    /// `rmse`, `mae`, then `precision@k`, `recall@k`, `ndcg@k`, `map@k`, `hit_rate@k`, `coverage@k`.
    public var metrics: [String: Double?]
    /// `global_mean` and `bias` (rmse, mae); `popularity` (ranking metrics).
    public var baselines: [String: [String: Double?]]
    public var `protocol`: ProtocolDescription
    public var data: Data
    public var model: Model

    enum CodingKeys: String, CodingKey {
        case format, formatVersion = "format_version", metrics, baselines, `protocol`, data, model
    }

    static func value(_ x: Double) -> Double? { x.isFinite ? x : nil }

    public init(evaluation e: Evaluation, model file: ModelFile, modelPath: String, data table: RatingsTable, spec: EvaluationProtocol) throws {
        let metrics = e.metrics
        var popularity: [String: Double?] = [:]
        for (name, value) in e.popularity.named { popularity[name] = Self.value(value) }
        self.metrics = metrics
        baselines = [
            "global_mean": ["rmse": Self.value(e.globalMean.rmse), "mae": Self.value(e.globalMean.mae)],
            "bias": ["rmse": Self.value(e.bias.rmse), "mae": Self.value(e.bias.mae)],
            "popularity": popularity,
        ]
        self.protocol = ProtocolDescription(
            ks: spec.ks, relevanceThreshold: Double(spec.relevanceThreshold),
            ratingPredictions: file.rating != nil
                ? "clipped to [\(table.scale.minimum), \(table.scale.maximum)]; unseen users/movies get the bias baseline"
                : "not applicable: \(file.algorithm) ranks movies and predicts no ratings",
            ratingMetricsFrom: file.rating.map { "rating head: \($0.algorithm)" } ?? "no head (none predicts ratings)",
            rankingMetricsFrom: file.ranking.map { "ranking head: \($0.algorithm)" } ?? "rating head: \(file.rankingHead.algorithm) (it ranks too)",
            usersEvaluated: e.ranking.usersEvaluated, usersSkippedNoRelevant: e.ranking.usersSkipped,
            coldStartPredictions: e.coldStartPredictions)
        data = Data(fingerprint: table.fingerprint, kind: table.kind, split: table.split.name,
                    splitParams: table.split.parametersJSON, trainRatings: table.trainCount, heldOutRatings: table.testCount)
        model = Model(path: modelPath, algorithm: file.algorithm,
                      heads: try file.headSummaries(source: modelPath))
    }

    /// The report of a cold-start protocol (`new-users`, `new-movies`).
    public init(coldStart e: ColdStartEvaluation, model file: ModelFile, modelPath: String, data table: RatingsTable, relevance: Float) throws {
        metrics = e.metrics.mapValues(Self.value)
        baselines = e.baselines.mapValues { $0.mapValues(Self.value) }
        let newUsers = e.split == .newUsers
        self.protocol = ProtocolDescription(
            name: e.split.rawValue, ks: e.ks, relevanceThreshold: Double(relevance),
            candidates: newUsers ? "every movie but the user's history (folded in, not trained on)" : "the cold movies only (no training ratings)",
            ties: "lower movie index first",
            precisionDenominator: newUsers ? "recall: min(k, relevant targets)" : "precision: k",
            ratingPredictions: file.rating == nil ? "not applicable: \(file.algorithm) predicts no ratings"
                : newUsers ? "the rating head's fold-in of the history, clipped; targets of movies without training ratings: the model's content baseline (global mean + the user's term without one)"
                : file.coldMovies != nil ? "the model's content baseline (its movie term from genres, year, title words and tags; the user's bias and genre affinities from their training ratings), clipped" : "no content baseline in this model file: global mean + the rating head's user bias, clipped",
            ratingMetricsFrom: file.rating.map { "rating head: \($0.algorithm)" } ?? "no head (none predicts ratings)",
            rankingMetricsFrom: file.ranking.map { "ranking head: \($0.algorithm)" } ?? "rating head: \(file.rankingHead.algorithm) (it ranks too)",
            usersEvaluated: e.usersEvaluated, usersSkippedNoRelevant: e.usersSkipped, coldStartPredictions: 0)
        data = Data(fingerprint: table.fingerprint, kind: table.kind, split: table.split.name,
                    splitParams: table.split.parametersJSON, trainRatings: table.trainCount, heldOutRatings: table.testCount)
        model = Model(path: modelPath, algorithm: file.algorithm, heads: try file.headSummaries(source: modelPath))
    }

    /// No timing and no timestamp: the same model and data give the same bytes.
    public var json: Foundation.Data { JSON.data(self, pretty: true) }

    /// A cold-start protocol's metrics (`new_users.*`, `new_movies.*`) from one metrics.json, and
    /// the data they were measured on.
    public struct ProtocolMetrics: Sendable, Equatable {
        public var path: String
        /// The data's kind (`ml-1m`, …): the same release as the candidate's. (Not its
        /// fingerprint: a `files` split reads more source files than the protocols' splits.)
        public var kind: String
        public var metrics: [String: Double?]

        public init(path: String, kind: String, metrics: [String: Double?]) {
            (self.path, self.kind, self.metrics) = (path, kind, metrics)
        }
    }

    /// The cold-start protocol metrics of a metrics.json written on a `new-users` or `new-movies`
    /// split, for the gate's floors; bad input for another file.
    public static func readProtocolMetrics(_ path: String) throws -> ProtocolMetrics {
        struct Report: Decodable {
            struct Described: Decodable { var name: String? }
            struct DataPart: Decodable { var kind: String }
            var metrics: [String: Double?]
            var `protocol`: Described
            var data: DataPart
        }
        let source = "\(path) (a metrics.json written by evaluate)"
        let bytes = try JSON.readFormatted(path, format: format, versions: [formatVersion], source: source)
        let report = try JSON.decode(Report.self, from: bytes, source: source)
        guard let name = report.protocol.name, ["new-users", "new-movies"].contains(name) else {
            throw EvaluationError(.badInput, "\(path): not an evaluation by the new-users or new-movies protocol (protocol.name is \(report.protocol.name ?? "absent"))")
        }
        return ProtocolMetrics(path: path, kind: report.data.kind, metrics: report.metrics.filter { Floors.isProtocolMetric($0.key) })
    }

    /// The `metrics` of a metrics.json (versions 1 and 2): what the quality gate compares.
    public static func readMetrics(_ path: String) throws -> [String: Double?] {
        struct Metrics: Decodable { var metrics: [String: Double?] }
        let source = "\(path) (a metrics.json written by evaluate)"
        let bytes = try JSON.readFormatted(path, format: format, versions: [1, formatVersion], source: source)
        return try JSON.decode(Metrics.self, from: bytes, source: source).metrics
    }

    /// Metrics as model attributes (`metric_<name>`), NaN for not applicable.
    public var attributes: [String: Double] {
        var result: [String: Double] = [:]
        for (name, value) in metrics { result[name] = value ?? .nan }
        return result
    }

    /// The readable table `evaluate` logs (stderr): model next to its baselines.
    public func table() -> String {
        func cell(_ value: Double??) -> String {
            guard let value = value, let number = value else { return "n/a" }
            return String(format: "%.4f", number)
        }
        if self.protocol.name != nil { return coldStartTable() }
        var lines = ["metric          \(model.algorithm.padding(toLength: 10, withPad: " ", startingAt: 0))  baseline",
                     "--------------  ----------  --------------------"]
        lines.append("rmse            \(cell(metrics["rmse"]).padding(toLength: 10, withPad: " ", startingAt: 0))  bias \(cell(baselines["bias"]?["rmse"])), global mean \(cell(baselines["global_mean"]?["rmse"]))")
        lines.append("mae             \(cell(metrics["mae"]).padding(toLength: 10, withPad: " ", startingAt: 0))  bias \(cell(baselines["bias"]?["mae"])), global mean \(cell(baselines["global_mean"]?["mae"]))")
        for k in self.protocol.ks {
            for name in ["precision", "recall", "ndcg", "map", "hit_rate", "coverage"] {
                let key = "\(name)@\(k)"
                lines.append("\(key.padding(toLength: 14, withPad: " ", startingAt: 0))  \(cell(metrics[key]).padding(toLength: 10, withPad: " ", startingAt: 0))  popularity \(cell(baselines["popularity"]?[key]))")
            }
        }
        lines.append("users evaluated \(self.protocol.usersEvaluated), skipped (no relevant held-out) \(self.protocol.usersSkippedNoRelevant), cold-start predictions \(self.protocol.coldStartPredictions)")
        return lines.joined(separator: "\n")
    }

    /// `table()` for a cold-start protocol: each metric beside every baseline that has it.
    func coldStartTable() -> String {
        func cell(_ value: Double??) -> String {
            guard let value = value, let number = value else { return "n/a" }
            return String(format: "%.4f", number)
        }
        var lines = ["protocol \(self.protocol.name ?? "")", "metric                    \(model.algorithm.padding(toLength: 10, withPad: " ", startingAt: 0))  baselines"]
        for key in metrics.keys.sorted() {
            let others = baselines.keys.sorted().compactMap { name in baselines[name]?[key].map { "\(name) \(cell($0))" } }.joined(separator: ", ")
            lines.append("\(key.padding(toLength: 24, withPad: " ", startingAt: 0))  \(cell(metrics[key]).padding(toLength: 10, withPad: " ", startingAt: 0))  \(others)")
        }
        lines.append("users evaluated \(self.protocol.usersEvaluated), skipped \(self.protocol.usersSkippedNoRelevant)")
        return lines.joined(separator: "\n")
    }
}
