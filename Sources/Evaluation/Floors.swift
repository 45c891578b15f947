import Essentials
import Foundation

/// Absolute quality floors, committed beside a pipeline (`Pipelines/floors/NAME.json`): what a
/// published model must reach whatever production is, so that a model losing a little every
/// night — each step within the gate's tolerance — is still stopped.
///
/// Format `projector.floors`, version 1 (JSON):
///
/// | key | meaning |
/// |---|---|
/// | `format`, `format_version` | `projector.floors`, 1 |
/// | `max` | metric → the largest value allowed (`{"rmse": 0.87}`); may be left out |
/// | `min` | metric → the smallest value allowed (`{"precision@10": 0.19}`); may be left out |
///
/// Metrics are named as in metrics.json: `rmse`, `mae`, and `precision`, `recall`, `ndcg`,
/// `map`, `hit_rate`, `coverage` at a cut-off (`ndcg@20`); and the cold-start protocols'
/// (`ColdStartEvaluation`): `new_users.rmse`, `new_users.mae`, `new_users.recall@20`,
/// `new_users.recall@50`, `new_users.ndcg@100`, `new_movies.rmse`, `new_movies.mae`, `new_movies.auc`,
/// `new_movies.precision@10`, which the gate takes from the same models' evaluations on those
/// splits (`publish --protocol-metrics`). A model whose head cannot give a floored metric (no
/// rating head, for an `rmse` floor), or a protocol metric not given, fails it.
///
///     let floors = try Floors.read("Pipelines/floors/movielens-1m.json")
///     floors.violations(["rmse": 0.88, "precision@10": 0.2])   // ["rmse 0.8800 is above the floor's maximum 0.8700"]
public struct Floors: Codable, Sendable, Equatable {
    public static let format = "projector.floors"
    public static let formatVersion = 1

    public var format: String
    public var formatVersion: Int
    public var max: [String: Double]
    public var min: [String: Double]

    enum CodingKeys: String, CodingKey { case format, formatVersion = "format_version", max, min }

    public init(max: [String: Double] = [:], min: [String: Double] = [:]) {
        format = Self.format
        formatVersion = Self.formatVersion
        self.max = max
        self.min = min
    }

    /// `max` and `min` may each be left out.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decode(String.self, forKey: .format)
        formatVersion = try c.decode(Int.self, forKey: .formatVersion)
        max = try c.decodeIfPresent([String: Double].self, forKey: .max) ?? [:]
        min = try c.decodeIfPresent([String: Double].self, forKey: .min) ?? [:]
    }

    /// The cut-offs the floors name (`precision@10` → 10): the gate evaluates at these too.
    public var ks: [Int] {
        Array(Set((Array(max.keys) + Array(min.keys)).compactMap { Self.cutOff($0) })).sorted()
    }

    static let rankingFamilies: Set<String> = ["precision", "recall", "ndcg", "map", "hit_rate", "coverage"]

    /// The cold-start protocols' metric names, as `evaluate` writes them (`ColdStartEvaluation`).
    public static let protocolMetrics: Set<String> = ["new_users.rmse", "new_users.mae", "new_users.recall@20", "new_users.recall@50",
                                                      "new_users.ndcg@100", "new_movies.rmse", "new_movies.mae", "new_movies.auc",
                                                      "new_movies.precision@10"]

    public static func isProtocolMetric(_ metric: String) -> Bool { protocolMetrics.contains(metric) }

    static func cutOff(_ metric: String) -> Int? {
        let parts = metric.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, rankingFamilies.contains(String(parts[0])), let k = Int(parts[1]), k >= 1, k <= 10_000,
              String(k) == parts[1] else { return nil }
        return k
    }

    /// Reads and checks a floors file: its format and version, known metric names, finite bounds.
    public static func read(_ path: String) throws -> Floors {
        let source = "\(path) (a \(format) file)"
        let bytes = try JSON.readFormatted(path, format: format, versions: [formatVersion], source: source)
        let floors = try JSON.decode(Floors.self, from: bytes, source: source)
        for (side, bounds) in [("max", floors.max), ("min", floors.min)] {
            for (metric, value) in bounds.sorted(by: { $0.key < $1.key }) {
                guard ["rmse", "mae"].contains(metric) || cutOff(metric) != nil || isProtocolMetric(metric) else {
                    throw EvaluationError(.badInput, "\(path): \(side).\(metric): unknown metric (rmse, mae, or precision, recall, ndcg, map, hit_rate, coverage @k with k from 1 to 10000; or \(protocolMetrics.sorted().joined(separator: ", ")))")
                }
                guard value.isFinite else { throw EvaluationError(.badInput, "\(path): \(side).\(metric): \(value) is not a finite number") }
            }
        }
        guard !floors.max.isEmpty || !floors.min.isEmpty else {
            throw EvaluationError(.badInput, "\(path): names no floor (give max and/or min)")
        }
        return floors
    }

    /// What the metrics break, one sentence each (empty: every floor holds).
    public func violations(_ metrics: [String: Double?]) -> [String] {
        func number(_ value: Double) -> String { String(format: "%.4f", value) }
        var found: [String] = []
        for (metric, bound) in max.sorted(by: { $0.key < $1.key }) {
            guard let value = metrics[metric] ?? nil else { found.append("\(metric) is not available (floor: at most \(number(bound)))"); continue }
            if value > bound { found.append("\(metric) \(number(value)) is above the floor's maximum \(number(bound))") }
        }
        for (metric, bound) in min.sorted(by: { $0.key < $1.key }) {
            guard let value = metrics[metric] ?? nil else { found.append("\(metric) is not available (floor: at least \(number(bound)))"); continue }
            if value < bound { found.append("\(metric) \(number(value)) is below the floor's minimum \(number(bound))") }
        }
        return found
    }
}
