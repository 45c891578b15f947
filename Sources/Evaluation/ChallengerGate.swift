import ArtifactStore
import Essentials
import Foundation
import Models
import MovieLens

/// The publish gate: a candidate model against the production model (the champion), on the
/// *same* held-out ratings, plus absolute floors.
///
/// With the ratings file the candidate was trained from (`publish --gate --data`), the champion is
/// re-scored from its artifact on that file's held-out ratings (`ModelFile.reindexed`: users and
/// movies matched by original id, what it never saw treated as cold exactly as the candidate's
/// cold users and movies are), and both are evaluated in one process by one protocol, so that a
/// difference in numbers is a difference in models, never in test sets. Each head is gated on its
/// own metric: the rating head on RMSE, the ranking head on precision@k (`QualityGate`). Then the
/// candidate's metrics must clear the floors (`Floors`), with or without a champion.
///
/// Without the ratings file, the metrics recorded by `evaluate` are compared, and only when both
/// models come from the same data (same fingerprint, hence the same held-out ratings); otherwise
/// the gate refuses to compare (bad input) and says to pass the ratings file. A champion trained
/// on another kind of data, split or rating scale cannot be compared at all (bad input).
///
///     let gate = ChallengerGate(tolerances: QualityGate(), floors: try Floors.read(path), relevance: 4)
///     let record = try gate.decide(candidate: file, candidatePath: path, data: (table, "ratings.h5"),
///                                  champion: Champion(name: "ml", version: 3, …))
///     record.passed   // false: record.reasons says why, with both numbers
public struct ChallengerGate: Sendable {
    public var tolerances: QualityGate
    public var floors: Floors?
    /// A held-out rating at or above this is relevant (as `evaluate --relevance`).
    public var relevance: Float

    /// The cold-start protocols' metrics of the same models (`new_users.*`, `new_movies.*`, from
    /// their evaluations on those splits): they join the candidate's for the floors.
    public var protocolMetrics: [MetricsReport.ProtocolMetrics] = []

    public init(tolerances: QualityGate = QualityGate(), floors: Floors? = nil, relevance: Float = EvaluationProtocol.defaultRelevance) {
        self.tolerances = tolerances
        self.floors = floors
        self.relevance = relevance
    }

    /// The production version the candidate must beat (the store's description of it).
    public typealias Champion = ArtifactStore.Champion

    /// The cut-offs the gate evaluates: the gate's own and every floor's.
    public var ks: [Int] { Array(Set([tolerances.precisionK] + (floors?.ks ?? []))).sorted() }

    /// The metrics a record keeps: RMSE, precision at the gate's k, and every floored metric.
    var recordedNames: Set<String> {
        Set(["rmse", "precision@\(tolerances.precisionK)"]).union(floors?.max.keys ?? [:].keys).union(floors?.min.keys ?? [:].keys)
    }

    public func decide(candidate: ModelFile, candidatePath: String, data: (table: RatingsTable, path: String)?,
                       champion: Champion?) throws -> GateRecord {
        var record = GateRecord(
            basis: .first, production: champion?.version, dataFingerprint: candidate.metadata.fingerprint, heldOut: nil,
            k: tolerances.precisionK, relevance: Double(relevance), candidate: [:], productionMetrics: nil,
            tolerances: .init(maxRMSEIncrease: tolerances.maxRMSEIncrease, maxPrecisionDrop: tolerances.maxPrecisionDrop),
            floors: floors, reasons: [])
        let keep = recordedNames
        func kept(_ metrics: [String: Double?]) -> [String: Double?] { metrics.filter { keep.contains($0.key) } }

        if let data {
            do { try Evaluator.checkPairing(model: candidate, data: data.table) } catch let error as EvaluationError {
                throw EvaluationError(.badInput, "\(candidatePath) was not trained from --data \(data.path): \(error.message)")
            }
            let spec = EvaluationProtocol(ks: ks, relevanceThreshold: relevance)
            record.heldOut = data.table.testCount
            guard champion != nil || floors != nil else {
                // Nothing to compare with and no floor: the decision cannot depend on the numbers,
                // so the candidate is not re-scored (at ML-25M size that is a 40 s evaluation);
                // what evaluate recorded, if anything, goes into the record.
                record.candidate = kept(candidate.recordedMetrics)
                record.decision = .passed
                return record
            }
            record.candidate = kept(try Evaluator.evaluate(model: candidate, data: data.table, protocol: spec).metrics)
            if let champion {
                let production = try ModelFile.read(champion.modelPath)
                try Self.checkComparable(production: production.metadata, champion: champion, data: data.table, path: data.path)
                let (moved, unknown) = production.reindexed(to: DatasetMetadata(data.table))
                record.productionMetrics = kept(try Evaluator.evaluate(model: moved, data: data.table, protocol: spec, unknownMovies: unknown).metrics)
                record.basis = .rescored
            }
        } else {
            guard !candidate.metrics.isEmpty || (champion == nil && floors == nil) else {
                throw EvaluationError(.badInput, "\(candidatePath): has no metrics to gate on: run evaluate on it first (or give --data)")
            }
            record.candidate = kept(candidate.recordedMetrics)
            if let champion {
                guard champion.dataFingerprint == candidate.metadata.fingerprint else {
                    throw EvaluationError(.badInput, "cannot compare \(candidatePath) with \(champion.name)@\(champion.version) (production) by their recorded metrics: production was evaluated on data \(champion.dataFingerprint.prefix(12))…, the candidate on \(candidate.metadata.fingerprint.prefix(12))…, so on different held-out ratings; give the ratings file the candidate was trained from (--data) to re-score production on the same held-out ratings")
                }
                record.productionMetrics = kept(champion.recordedMetrics)
                record.basis = .recorded
            }
        }
        if let production = record.productionMetrics {
            record.reasons += tolerances.regressions(current: record.candidate, reference: production).map(\.description)
        }
        for given in protocolMetrics {
            guard given.kind == candidate.metadata.kind else {
                throw EvaluationError(.badInput, "\(given.path): evaluated on \(given.kind) data, but \(candidatePath) was trained on \(candidate.metadata.kind): the protocols' metrics must come from the same release")
            }
            record.candidate.merge(kept(given.metrics)) { _, later in later }
        }
        record.reasons += floors?.violations(record.candidate) ?? []
        record.decision = record.reasons.isEmpty ? .passed : .refused
        return record
    }

    /// A champion from another kind of data, split or rating scale has other held-out ratings
    /// (or none in common): no comparison means anything.
    static func checkComparable(production: DatasetMetadata, champion: Champion, data: RatingsTable, path: String) throws {
        let sameSplit = SplitStrategy.parse(name: production.split, parametersJSON: production.splitParameters) == data.split
        guard production.kind == data.kind, sameSplit, production.scale == data.scale else {
            throw EvaluationError(.badInput, "cannot gate against \(champion.name)@\(champion.version) (production): it was trained on \(production.kind) data with the \(production.split) split \(production.splitParameters) (ratings \(production.scale)), the candidate on \(data.kind) with the \(data.split.name) split \(data.split.parametersJSON) (ratings \(data.scale)) from \(path): different data kinds, splits or scales hold out different ratings. Publish it under another name, or promote it deliberately (publish --promote, without --gate)")
        }
    }
}

/// What the gate decided and on which numbers: `gate.json` beside a pipeline run's publish step,
/// and the `gate` object of the store's manifest.json.
///
/// | key | meaning |
/// |---|---|
/// | `format`, `format_version` | `projector.gate`, 1 |
/// | `decision` | `passed` or `refused` |
/// | `basis` | `rescored` (production re-scored on the candidate's held-out ratings), `recorded` (recorded metrics, same data), `first` (no production: floors only) |
/// | `production` | the production version compared against, or null |
/// | `data_fingerprint`, `held_out` | the candidate's data, and how many held-out ratings both were scored on (null when not re-scored) |
/// | `k`, `relevance` | precision@k compared; the relevance threshold |
/// | `candidate`, `production_metrics` | the numbers compared (rmse, precision@k, floored metrics; null: not applicable) |
/// | `tolerances` | `max_rmse_increase`, `max_precision_drop` |
/// | `floors` | the floors applied (a `projector.floors` object), or null |
/// | `reasons` | why it was refused, one sentence each (empty when passed) |
public struct GateRecord: Codable, Sendable, Equatable {
    public enum Decision: String, Codable, Sendable { case passed, refused }
    public enum Basis: String, Codable, Sendable { case rescored, recorded, first }
    public struct Tolerances: Codable, Sendable, Equatable {
        public var maxRMSEIncrease: Double
        public var maxPrecisionDrop: Double
        enum CodingKeys: String, CodingKey { case maxRMSEIncrease = "max_rmse_increase", maxPrecisionDrop = "max_precision_drop" }
    }

    public var format = "projector.gate"
    public var formatVersion = 1
    public var decision: Decision = .refused
    public var basis: Basis
    public var production: Int?
    public var dataFingerprint: String
    public var heldOut: Int?
    public var k: Int
    public var relevance: Double
    public var candidate: [String: Double?]
    public var productionMetrics: [String: Double?]?
    public var tolerances: Tolerances
    public var floors: Floors?
    public var reasons: [String]

    enum CodingKeys: String, CodingKey {
        case format, decision, basis, production, k, relevance, candidate, tolerances, floors, reasons
        case formatVersion = "format_version", dataFingerprint = "data_fingerprint", heldOut = "held_out", productionMetrics = "production_metrics"
    }

    public var passed: Bool { decision == .passed }

    /// Every key, `null` where there is no value (a reader sees the same keys every time).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeEach([.format: format, .formatVersion: formatVersion, .decision: decision, .basis: basis, .production: production,
                          .dataFingerprint: dataFingerprint, .heldOut: heldOut, .k: k, .relevance: relevance, .candidate: candidate,
                          .productionMetrics: productionMetrics, .tolerances: tolerances, .floors: floors, .reasons: reasons])
    }
}
