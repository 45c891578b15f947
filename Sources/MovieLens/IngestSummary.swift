import Essentials

/// What `ingest` reports (its stage result's `summary`), for scripts:
/// `{"duplicates_dropped":0,"fingerprint":"…","kind":"ml-1m","mean_rating":3.58,"movies":3706,"output":"…","ratings":1000209,"test":100493,"train":899716,"users":6040}`
public struct IngestSummary: Codable, Sendable, Equatable {
    public var output: String
    public var kind: String
    public var ratings: Int
    public var users: Int
    public var movies: Int
    public var train: Int
    public var test: Int
    public var duplicatesDropped: Int
    public var meanRating: Double
    public var fingerprint: String

    enum CodingKeys: String, CodingKey {
        case output, kind, ratings, users, movies, train, test, duplicatesDropped = "duplicates_dropped", meanRating = "mean_rating", fingerprint
    }
}

extension IngestSummary {
    public init(table: RatingsTable, output: String) {
        self.init(output: output, kind: table.kind, ratings: table.count, users: table.userCount, movies: table.movieCount,
                  train: table.trainCount, test: table.testCount, duplicatesDropped: table.duplicatesDropped,
                  meanRating: table.meanRating, fingerprint: table.fingerprint)
    }
}
