/// What `publish` reports on success (its stage result's `summary`), and what the pipeline runner
/// reads back: the version it made.
///
///     {"name":"movielens-1m","production":true,"removed":[1],"sha256":"…","store":"Artifacts","version":3}
public struct PublishSummary: Codable, Sendable, Equatable {
    public var name: String
    public var version: Int
    public var production: Bool
    public var sha256: String
    public var store: String
    /// Versions removed after publishing (`--keep`).
    public var removed: [Int]

    public init(name: String, version: Int, production: Bool, sha256: String, store: String, removed: [Int] = []) {
        self.name = name
        self.version = version
        self.production = production
        self.sha256 = sha256
        self.store = store
        self.removed = removed
    }
}
