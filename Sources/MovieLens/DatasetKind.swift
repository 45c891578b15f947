import Foundation

/// Which MovieLens release (or generic file) a folder holds, and how to read it.
///
/// `detect(folder:)` looks at the files present:
///
/// | file present            | kind                                        | separator | scale       |
/// |-------------------------|---------------------------------------------|-----------|-------------|
/// | `u.data`                | `ml-100k`                                   | tab       | 1–5, whole  |
/// | `ratings.dat` + `users.dat` | `ml-1m`                                 | `::`      | 1–5, whole  |
/// | `ratings.dat` only      | `ml-10m`                                    | `::`      | 0.5–5, half |
/// | `ratings.csv`           | `ml-20m`, `ml-25m`, `ml-32m`, `ml-latest`, `ml-latest-small` (from the folder name; else `ml-csv`) | `,` with a header | 0.5–5, half |
///
/// A plain `user,item,rating[,timestamp]` CSV is read only when asked for (`.genericCSV`).
public enum DatasetKind: Sendable, Equatable, CustomStringConvertible {
    case ml100k
    case ml1m
    case ml10m
    /// The CSV releases; the associated name is the release (`ml-25m`, `ml-latest-small`, …).
    case mlCSV(String)
    /// A `user,item,rating[,timestamp]` file with an optional header line.
    case genericCSV

    public var description: String {
        switch self {
        case .ml100k: "ml-100k"
        case .ml1m: "ml-1m"
        case .ml10m: "ml-10m"
        case .mlCSV(let name): name
        case .genericCSV: "csv"
        }
    }

    /// The ratings file inside a folder of this kind.
    public var ratingsFileName: String {
        switch self {
        case .ml100k: "u.data"
        case .ml1m, .ml10m: "ratings.dat"
        case .mlCSV: "ratings.csv"
        case .genericCSV: ""
        }
    }

    /// The movie metadata file inside a folder of this kind, if it has one.
    public var moviesFileName: String? {
        switch self {
        case .ml100k: "u.item"
        case .ml1m, .ml10m: "movies.dat"
        case .mlCSV: "movies.csv"
        case .genericCSV: nil
        }
    }

    /// The users file (gender, age, occupation, zip) inside a folder of this kind, if it has one;
    /// read when present.
    /// The release's tags file, when it has one (ml-10m, the CSV releases).
    public var tagsFileName: String? {
        switch self {
        case .ml10m: "tags.dat"
        case .mlCSV: "tags.csv"
        case .ml100k, .ml1m, .genericCSV: nil
        }
    }

    public var usersFileName: String? {
        switch self {
        case .ml100k: "u.user"
        case .ml1m: "users.dat"
        case .ml10m, .mlCSV, .genericCSV: nil
        }
    }

    public var defaultScale: RatingScale {
        switch self {
        case .ml100k, .ml1m: .wholeStars
        case .ml10m, .mlCSV, .genericCSV: .halfStars
        }
    }

    /// The releases whose metadata is ISO-8859-1 rather than UTF-8.
    var metadataIsLatin1: Bool { self == .ml100k || self == .ml1m }

    /// Finds the kind of the MovieLens folder `folder`.
    public static func detect(folder: String) throws -> DatasetKind {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: folder, isDirectory: &isDirectory) else {
            throw MovieLensError(file: folder, "folder does not exist (set MOVIELENS_DIR, or run Scripts/fetch-movielens)")
        }
        guard isDirectory.boolValue else {
            throw MovieLensError(file: folder, "is a file, not a MovieLens folder (for a plain user,item,rating CSV pass --format csv)")
        }
        func has(_ name: String) -> Bool { manager.fileExists(atPath: folder + "/" + name) }
        if has("u.data") { return .ml100k }
        if has("ratings.dat") { return has("users.dat") ? .ml1m : .ml10m }
        if has("ratings.csv") {
            let name = URL(fileURLWithPath: folder).standardizedFileURL.lastPathComponent.lowercased()
            let known = ["ml-20m", "ml-25m", "ml-32m", "ml-latest-small", "ml-latest"]
            return .mlCSV(known.first { name == $0 } ?? "ml-csv")
        }
        throw MovieLensError(
            file: folder,
            "unknown layout: no ratings file: expected u.data (ml-100k), ratings.dat (ml-1m, ml-10m) or ratings.csv (ml-latest, ml-20m, ml-25m, ml-32m)")
    }
}
