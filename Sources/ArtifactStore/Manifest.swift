import Foundation

/// `manifest.json` beside every published `model.h5`.
///
/// | key | meaning |
/// |---|---|
/// | `version` | the version number (increasing integers per model name) |
/// | `sha256`, `size` | of `model.h5`, checked by every reader |
/// | `created_at` | when it was published (UTC, ISO 8601) |
/// | `model_created_at` | when `factorise` wrote the model |
/// | `algorithm`, `params`, `seed` | how it was trained |
/// | `metrics` | what evaluate recorded in the model (`null`: not applicable) |
/// | `data_fingerprint`, `split`, `split_params` | what it was trained on |
/// | `previous_version` | the version `latest` pointed to before, or null |
/// | `code_version` | the Projector that published it |
public struct Manifest: Codable, Sendable, Equatable {
    public var version: Int
    public var sha256: String
    public var size: Int
    public var createdAt: String
    public var modelCreatedAt: String
    public var algorithm: String
    public var params: String
    public var seed: UInt64
    public var metrics: [String: Double?]
    public var dataFingerprint: String
    public var split: String
    public var splitParams: String
    public var previousVersion: Int?
    public var codeVersion: String

    enum CodingKeys: String, CodingKey {
        case version, sha256, size, algorithm, params, seed, metrics, split
        case createdAt = "created_at", modelCreatedAt = "model_created_at", dataFingerprint = "data_fingerprint"
        case splitParams = "split_params", previousVersion = "previous_version", codeVersion = "code_version"
    }

    var json: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try! encoder.encode(self)
    }
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
