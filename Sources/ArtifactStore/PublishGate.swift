import Essentials
import Foundation

/// What the store records of a model it publishes (keys of its manifest.json), given by the
/// caller that read the file: the store copies, hashes and versions files and reads none of them
/// (`ModelCard(describing:source:)` in `Evaluation` makes one from a model file).
public struct ModelCard: Codable, Sendable, Equatable {
    /// The heads' algorithms: `bpmf`, `ease`, or `bpmf+ease` (rating head + ranking head).
    public var algorithm: String
    /// `rating` and `ranking`: each head's summary, `{algorithm, params, seed, model_kind,
    /// normalisation}`, or null (no rating head).
    public var heads: [String: JSONValue]
    /// What evaluate recorded in the file (null: not applicable).
    public var metrics: [String: Double?]
    public var dataFingerprint: String
    public var split: String
    public var splitParams: String

    enum CodingKeys: String, CodingKey {
        case algorithm, heads, metrics, split, dataFingerprint = "data_fingerprint", splitParams = "split_params"
    }

    /// Keys of the manifests before `heads` (read only).
    enum EarlierKeys: String, CodingKey { case params, seed }

    public init(algorithm: String, heads: [String: JSONValue], metrics: [String: Double?], dataFingerprint: String,
                split: String, splitParams: String) {
        (self.algorithm, self.heads, self.metrics) = (algorithm, heads, metrics)
        (self.dataFingerprint, self.split, self.splitParams) = (dataFingerprint, split, splitParams)
    }

    /// Reads manifests of every version so far: before `heads`, one model's `params` and `seed`
    /// were top-level keys (and `params` a JSON string inside the JSON before it became an object).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        algorithm = try c.decode(String.self, forKey: .algorithm)
        if let heads = try c.decodeIfPresent([String: JSONValue].self, forKey: .heads) {
            self.heads = heads
        } else {
            let earlier = try decoder.container(keyedBy: EarlierKeys.self)
            let params: JSONValue
            if let object = try? earlier.decode([String: JSONValue].self, forKey: .params) {
                params = .object(object)
            } else {
                let text = try earlier.decode(String.self, forKey: .params)
                params = .object(try JSONDecoder().decode([String: JSONValue].self, from: Data(text.utf8)))
            }
            // Those manifests held one model: EASE's ranked only, every other algorithm's were factors.
            let kind = algorithm == "ease" ? "item-item" : "factors"
            let head: JSONValue = [
                "algorithm": .string(algorithm), "params": params, "seed": .unsigned(try earlier.decode(UInt64.self, forKey: .seed)),
                "model_kind": .string(kind), "normalisation": .string("unrecorded"),
            ]
            heads = ["rating": kind == "factors" ? head : .null, "ranking": head]
        }
        metrics = try c.decode([String: Double?].self, forKey: .metrics)
        dataFingerprint = try c.decode(String.self, forKey: .dataFingerprint)
        split = try c.decode(String.self, forKey: .split)
        splitParams = try c.decode(String.self, forKey: .splitParams)
    }
}

/// The production version a gated candidate must beat, as the store knows it.
public struct Champion: Sendable, Equatable {
    public var name: String
    public var version: Int
    public var modelPath: String
    /// What its manifest recorded (evaluate's metrics on its own data).
    public var recordedMetrics: [String: Double?]
    public var dataFingerprint: String

    public init(name: String, version: Int, modelPath: String, recordedMetrics: [String: Double?], dataFingerprint: String) {
        (self.name, self.version, self.modelPath) = (name, version, modelPath)
        (self.recordedMetrics, self.dataFingerprint) = (recordedMetrics, dataFingerprint)
    }
}

/// What a gate decided about a candidate.
public struct GateDecision: Sendable, Equatable {
    public var passed: Bool
    /// Why it refused, in words, with the numbers compared (empty when it passed).
    public var reasons: [String]
    /// How many held-out ratings both were scored on, when they were re-scored on the same ones.
    public var heldOut: Int?
    /// The record the candidate's manifest keeps as `gate` (and a refusal carries).
    public var record: JSONValue

    public init(passed: Bool, reasons: [String], heldOut: Int?, record: JSONValue) {
        (self.passed, self.reasons, self.heldOut, self.record) = (passed, reasons, heldOut, record)
    }
}

/// The publish gate as the store takes it: a value that decides, given production (or none),
/// whether the candidate may replace it. The store calls it under its lock, so production cannot
/// move meanwhile, and publishes nothing when it refuses. The project's gate is
/// `ChampionChallengerGate` (in `Evaluation`); the store knows nothing of how it decides.
///
///     struct Always: PublishGate {
///         func decide(candidate: String, champion: Champion?) throws -> GateDecision {
///             GateDecision(passed: true, reasons: [], heldOut: nil, record: .null)
///         }
///     }
public protocol PublishGate: Sendable {
    func decide(candidate path: String, champion: Champion?) throws -> GateDecision
}
