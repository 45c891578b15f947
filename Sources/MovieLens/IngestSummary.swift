import Foundation

/// The one-line JSON `ingest` prints on stdout, for scripts:
/// `{"output":"…","kind":"ml-1m","ratings":1000209,"users":6040,"movies":3706,"train":899716,"test":100493,"duplicates_dropped":0,"fingerprint":"…"}`
public struct IngestSummary: Codable, Sendable {
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

    public init(table: RatingsTable, output: String) {
        self.output = output
        kind = table.kind
        ratings = table.count
        users = table.userCount
        movies = table.movieCount
        train = table.trainCount
        test = table.testCount
        duplicatesDropped = table.duplicatesDropped
        meanRating = table.meanRating
        fingerprint = table.fingerprint
    }

    enum CodingKeys: String, CodingKey {
        case output, kind, ratings, users, movies, train, test, fingerprint
        case duplicatesDropped = "duplicates_dropped"
        case meanRating = "mean_rating"
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }
}
