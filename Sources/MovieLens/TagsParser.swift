/// Reads the tags people gave movies: `tags.csv` (`userId,movieId,tag,timestamp`, the CSV
/// releases: ml-latest-small, ml-20m, ml-25m, ml-32m) and `tags.dat` (`UserID::MovieID::Tag::Timestamp`,
/// ml-10m). A movie's tags are its content (`ContentFeatures`): each distinct tag once,
/// normalised (lowercased, runs of white space as one space, `|` as a space, trimmed), sorted,
/// joined with `|`.
///
///     TagsParser.normalise("  Highly   Quotable ")   // "highly quotable"
///
/// Every line needs its four fields and a whole-number movie id; anything else is bad input
/// naming the file and line. Tags of movies the release does not list are dropped by the caller.
enum TagsParser {
    static func parse(_ file: TextFile, kind: DatasetKind) throws -> [Int64: String] {
        var tags: [Int64: Set<String>] = [:]
        for (index, line) in file.lines(latin1: false).enumerated() where !line.isEmpty {
            let number = index + 1
            let fields: [String]
            switch kind {
            case .mlCSV:
                if number == 1 && line.hasPrefix("userId") { continue }
                fields = try MoviesParser.csvFields(line, file: file.path, line: number)
            default:
                fields = line.components(separatedBy: "::")
            }
            guard fields.count == 4 else { throw MovieLensError(file: file.path, line: number, "expected 4 fields (user, movie, tag, timestamp), found \(fields.count)") }
            guard let movie = Int64(fields[1]), movie >= 0 else {
                throw MovieLensError(file: file.path, line: number, "movie id '\(fields[1].prefix(30))' is not a whole number")
            }
            let tag = normalise(fields[2])
            if !tag.isEmpty { tags[movie, default: []].insert(tag) }
        }
        return tags.mapValues { $0.sorted().joined(separator: "|") }
    }

    static func normalise(_ tag: String) -> String {
        tag.lowercased().replacingOccurrences(of: "|", with: " ")
            .split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
