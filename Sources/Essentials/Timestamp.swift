import Foundation

/// UTC time in ISO 8601 (`2026-11-26T18:20:19Z`), for manifests and run records. Files a stage
/// writes carry no timestamp, so the same inputs give the same bytes.
public enum Timestamp {
    public static func now() -> String { ISO8601DateFormatter().string(from: Date()) }
}
