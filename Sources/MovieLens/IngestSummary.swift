import Essentials

/// The one-line JSON `ingest` prints on stdout, for scripts:
/// `{"duplicates_dropped":0,"fingerprint":"…","kind":"ml-1m","mean_rating":3.58,"movies":3706,"output":"…","ratings":1000209,"test":100493,"train":899716,"users":6040}`
public enum IngestSummary {
    public static func line(table: RatingsTable, output: String) -> String {
        JSON.line([
            "output": .string(output), "kind": .string(table.kind), "ratings": .int(table.count),
            "users": .int(table.userCount), "movies": .int(table.movieCount), "train": .int(table.trainCount),
            "test": .int(table.testCount), "duplicates_dropped": .int(table.duplicatesDropped),
            "mean_rating": .number(table.meanRating), "fingerprint": .string(table.fingerprint),
        ] as JSONValue)
    }
}
