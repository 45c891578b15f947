import Foundation
import Models
import MovieLens

/// Feeds arbitrary bytes to a reader of outside input exactly as a user's file would reach it:
/// the MovieLens text parsers through `Ingest.load` on a folder, the HDF5 readers through
/// `RatingsFile.read`, `TrainingSet.read` and `ModelFile.read` (on files with damaged contents,
/// or on raw bytes). Every outcome must be a value or a
/// thrown error; anything else (a trap, a sanitizer report) is a bug.
///
/// The libFuzzer targets in `Fuzz/` call this for each input, and the test suite replays every
/// crasher they ever found (`Fuzz/crashers/`) through it.
///
///     try InputReplay.run(.ratings, Array("1::2::5::9\n".utf8), scratch: "/tmp/replay")
public enum InputReplay {
    public enum Target: String, CaseIterable, Sendable {
        /// First byte: the layout (ml-1m `::`, ml-100k tab, a CSV release, a generic CSV); the rest: the ratings file.
        case ratings
        /// First byte: the release (ml-1m, ml-100k, CSV); the rest: its movies file.
        case movies
        /// First byte: the release (ml-1m, ml-100k); the rest: its users file (users.dat, u.user).
        case users
        /// Edits to the arrays of valid ratings, normalised and model files (see `HDF5Mutations`).
        case hdf5
        /// The bytes as an HDF5 file given to every Projector reader: libhdf5's own robustness.
        case hdf5Bytes = "hdf5-bytes"
    }

    /// What the input became: a count of what was read, or the error's message.
    @discardableResult
    public static func run(_ target: Target, _ bytes: [UInt8], scratch: String) -> String {
        do {
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            switch target {
            case .ratings, .movies, .users: return try text(target, bytes, scratch: scratch)
            case .hdf5: return try HDF5Mutations.run(bytes, scratch: scratch)
            case .hdf5Bytes: return hdf5(bytes, scratch: scratch)
            }
        } catch {
            return "\(error)"
        }
    }

    static let movieLines = [
        "ml-1m": "1::Toy Story (1995)::Animation|Children's|Comedy\n2::Jumanji (1995)::Adventure\n",
        "ml-100k": "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n",
        "csv": "movieId,title,genres\n1,\"Toy Story, The (1995)\",Animation\n2,Jumanji (1995),Adventure\n",
    ]
    static let ratingLines = [
        "ml-1m": "1::1::5::978300760\n1::2::3::978302109\n2::1::4::978301968\n",
        "ml-100k": "1\t1\t5\t874965758\n1\t2\t3\t876893171\n2\t1\t4\t878542960\n",
        "csv": "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,2,4.5,964981247\n2,1,3.5,964982224\n",
    ]

    static func text(_ target: Target, _ bytes: [UInt8], scratch: String) throws -> String {
        let kinds = ["ml-1m", "ml-100k", "csv", "generic"]
        let kind = kinds[Int(bytes.first ?? 0) % (target == .ratings ? 4 : target == .movies ? 3 : 2)]
        let payload = Data(bytes.dropFirst())
        let folder = scratch + "/" + kind
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        func put(_ name: String, _ data: Data) throws { try data.write(to: URL(fileURLWithPath: folder + "/" + name)) }
        var options = IngestSource(input: folder)
        switch kind {
        case "ml-1m":
            try put("users.dat", target == .users ? payload : Data("1::F::1::10::48067\n".utf8))
            try put("ratings.dat", target == .ratings ? payload : Data(ratingLines[kind]!.utf8))
            try put("movies.dat", target == .movies ? payload : Data(movieLines[kind]!.utf8))
        case "ml-100k":
            try put("u.genre", Data((0..<19).map { "g\($0)|\($0)\n" }.joined().utf8))
            try put("u.data", target == .ratings ? payload : Data(ratingLines[kind]!.utf8))
            try put("u.item", target == .movies ? payload : Data(movieLines[kind]!.utf8))
            try put("u.user", target == .users ? payload : Data("1|24|M|technician|85711\n".utf8))
        case "csv":
            try put("ratings.csv", target == .ratings ? payload : Data(ratingLines[kind]!.utf8))
            try put("movies.csv", target == .movies ? payload : Data(movieLines[kind]!.utf8))
        default:
            try put("ratings.csv", payload)
            options = IngestSource(input: folder + "/ratings.csv", genericCSV: true)
        }
        let table = try Ingest.load(options)
        return "\(table.count) ratings, \(table.userCount) users, \(table.movieCount) movies"
    }

    static func hdf5(_ bytes: [UInt8], scratch: String) -> String {
        let path = scratch + "/input.h5"
        do { try Data(bytes).write(to: URL(fileURLWithPath: path)) } catch { return "\(error)" }
        var outcomes: [String] = []
        for read in [{ _ = try RatingsFile.read(path) }, { _ = try TrainingSet.read(path) }, { _ = try ModelFile.read(path) }] as [() throws -> Void] {
            do { try read(); outcomes.append("read") } catch { outcomes.append("\(error)") }
        }
        return outcomes.joined(separator: "\n")
    }
}
