import Essentials
import Foundation
import Evaluation
import Models

/// `manifest.json` beside every published `model.h5`.
///
/// | key | meaning |
/// |---|---|
/// | `version` | the version number (increasing integers per model name) |
/// | `sha256`, `size` | of `model.h5`, checked by every reader |
/// | `created_at` | when it was published (UTC, ISO 8601) |
/// | `algorithm` | the heads' algorithms: `bpmf`, `ease`, or `bpmf+ease` (rating head + ranking head) |
/// | `heads` | `rating` (null: predicts no ratings) and `ranking`: each `{algorithm, params, seed, model_kind, normalisation}`, `params` a JSON object of every hyper-parameter |
/// | `metrics` | what evaluate recorded in the model (`null`: not applicable) |
/// | `data_fingerprint`, `split`, `split_params` | what it was trained on |
/// | `previous_version` | the version `latest` pointed to before, or null |
/// | `code_version` | the Projector that published it: `projector VERSION git COMMIT` (+ ` (dirty)`), baked in at build time |
/// | `run` | the pipeline run that published it: `{pipeline, id, manifest_sha256}` (the run folder is `Runs/<id>`), or null |
/// | `gate` | what the gate decided (`GateRecord`: basis, the numbers compared, floors), or null when published without one |
public struct Manifest: Codable, Sendable, Equatable {
    public var version: Int
    public var sha256: String
    public var size: Int
    public var createdAt: String
    public var algorithm: String
    public var heads: [String: ModelHead.Summary?]
    public var metrics: [String: Double?]
    public var dataFingerprint: String
    public var split: String
    public var splitParams: String
    public var previousVersion: Int?
    public var codeVersion: String
    public var run: Lineage?
    public var gate: GateRecord?

    enum CodingKeys: String, CodingKey {
        case version, sha256, size, algorithm, heads, params, seed, metrics, split
        case createdAt = "created_at", dataFingerprint = "data_fingerprint"
        case splitParams = "split_params", previousVersion = "previous_version", codeVersion = "code_version", run, gate
    }

    public init(version: Int, sha256: String, size: Int, createdAt: String, algorithm: String, heads: [String: ModelHead.Summary?],
                metrics: [String: Double?], dataFingerprint: String, split: String, splitParams: String,
                previousVersion: Int?, codeVersion: String, run: Lineage? = nil, gate: GateRecord? = nil) {
        self.version = version
        self.sha256 = sha256
        self.size = size
        self.createdAt = createdAt
        self.algorithm = algorithm
        self.heads = heads
        self.metrics = metrics
        self.dataFingerprint = dataFingerprint
        self.split = split
        self.splitParams = splitParams
        self.previousVersion = previousVersion
        self.codeVersion = codeVersion
        self.run = run
        self.gate = gate
    }

    /// Reads manifests of every version so far: before `heads`, one model's `params` and `seed`
    /// were top-level keys (and `params` a JSON string inside the JSON before it became an object).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(Int.self, forKey: .version)
        sha256 = try c.decode(String.self, forKey: .sha256)
        size = try c.decode(Int.self, forKey: .size)
        createdAt = try c.decode(String.self, forKey: .createdAt)
        algorithm = try c.decode(String.self, forKey: .algorithm)
        if let heads = try c.decodeIfPresent([String: ModelHead.Summary?].self, forKey: .heads) {
            self.heads = heads
        } else {
            let params: [String: ParameterValue]
            if let object = try? c.decode([String: ParameterValue].self, forKey: .params) {
                params = object
            } else {
                let text = try c.decode(String.self, forKey: .params)
                params = try JSONDecoder().decode([String: ParameterValue].self, from: Data(text.utf8))
            }
            let head = ModelHead.Summary(algorithm: algorithm, params: params, seed: try c.decode(UInt64.self, forKey: .seed),
                                         modelKind: algorithm == EASE.name ? "item-item" : "factors", normalisation: "unrecorded")
            self.heads = ["rating": head.modelKind == "factors" ? head : nil, "ranking": head]
        }
        metrics = try c.decode([String: Double?].self, forKey: .metrics)
        dataFingerprint = try c.decode(String.self, forKey: .dataFingerprint)
        split = try c.decode(String.self, forKey: .split)
        splitParams = try c.decode(String.self, forKey: .splitParams)
        previousVersion = try c.decodeIfPresent(Int.self, forKey: .previousVersion)
        codeVersion = try c.decode(String.self, forKey: .codeVersion)
        run = try c.decodeIfPresent(Lineage.self, forKey: .run)
        gate = try c.decodeIfPresent(GateRecord.self, forKey: .gate)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(version, forKey: .version)
        try c.encode(sha256, forKey: .sha256)
        try c.encode(size, forKey: .size)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(algorithm, forKey: .algorithm)
        try c.encode(heads, forKey: .heads)
        try c.encode(metrics, forKey: .metrics)
        try c.encode(dataFingerprint, forKey: .dataFingerprint)
        try c.encode(split, forKey: .split)
        try c.encode(splitParams, forKey: .splitParams)
        try c.encode(previousVersion, forKey: .previousVersion)
        try c.encode(codeVersion, forKey: .codeVersion)
        try c.encode(run, forKey: .run)
        try c.encode(gate, forKey: .gate)
    }

    var json: Data { JSON.data(self, pretty: true) }
}

/// An alias file (`<store>/<name>/aliases/<alias>.json`): the version it points to, and the
/// versions it pointed to before (newest last), which `rollback` walks back through.
public struct Alias: Codable, Sendable, Equatable {
    public var version: Int
    public var history: [Int]
    public var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case version, history
        case updatedAt = "updated_at"
    }
}

/// Which pipeline run published a version (`run` in manifest.json).
///
///     {"pipeline": "movielens-1m", "id": "movielens-1m/2026-11-29T023000Z", "manifest_sha256": "…"}
public struct Lineage: Codable, Sendable, Equatable {
    public var pipeline: String
    /// The run folder below the work folder: `<pipeline>/<UTC time>`.
    public var id: String
    /// sha256 of the manifest as run (variables expanded), as in the run's run.json.
    public var manifestSHA256: String

    enum CodingKeys: String, CodingKey { case pipeline, id, manifestSHA256 = "manifest_sha256" }

    public init(pipeline: String, id: String, manifestSHA256: String) {
        self.pipeline = pipeline
        self.id = id
        self.manifestSHA256 = manifestSHA256
    }
}
