import Essentials
import Foundation

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
/// | `gate` | what the gate decided (the gate's record: for the project's gate a `GateRecord`, with its basis, the numbers compared, floors), or null when published without one |
public struct Manifest: Codable, Sendable, Equatable {
    public var version: Int
    public var sha256: String
    public var size: Int
    public var createdAt: String
    /// What the file is: its heads, metrics and data (`algorithm`, `heads`, `metrics`,
    /// `data_fingerprint`, `split`, `split_params`, keys of the manifest itself).
    public var model: ModelCard
    public var previousVersion: Int?
    public var codeVersion: String
    public var run: Lineage?
    public var gate: JSONValue?

    enum CodingKeys: String, CodingKey {
        case version, sha256, size, createdAt = "created_at", previousVersion = "previous_version", codeVersion = "code_version", run, gate
    }

    public init(version: Int, sha256: String, size: Int, createdAt: String, model: ModelCard,
                previousVersion: Int?, codeVersion: String, run: Lineage? = nil, gate: JSONValue? = nil) {
        (self.version, self.sha256, self.size, self.createdAt, self.model) = (version, sha256, size, createdAt, model)
        (self.previousVersion, self.codeVersion, self.run, self.gate) = (previousVersion, codeVersion, run, gate)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(Int.self, forKey: .version)
        sha256 = try c.decode(String.self, forKey: .sha256)
        size = try c.decode(Int.self, forKey: .size)
        createdAt = try c.decode(String.self, forKey: .createdAt)
        model = try ModelCard(from: decoder)
        previousVersion = try c.decodeIfPresent(Int.self, forKey: .previousVersion)
        codeVersion = try c.decode(String.self, forKey: .codeVersion)
        run = try c.decodeIfPresent(Lineage.self, forKey: .run)
        gate = try c.decodeIfPresent(JSONValue.self, forKey: .gate)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeEach([.version: version, .sha256: sha256, .size: size, .createdAt: createdAt, .previousVersion: previousVersion,
                          .codeVersion: codeVersion, .run: run, .gate: gate])
        try model.encode(to: encoder)
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
