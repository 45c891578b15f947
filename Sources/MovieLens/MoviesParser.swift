/// What MovieLens says about one movie.
struct MovieInfo: Sendable, Equatable {
    var title: String
    /// Release year from the title's trailing "(1995)", else from the release date; 0 if unknown.
    var year: Int32
    /// Genres joined with `|` ("Animation|Children's|Comedy"); "" when none are listed.
    var genres: String
}

/// Reads movie metadata: `u.item` (ml-100k), `movies.dat` (ml-1m, ml-10m), `movies.csv`
/// (the CSV releases, with quoted titles that contain commas and `""` escapes).
///
/// ml-100k and ml-1m are ISO-8859-1 and are decoded as such ("Misérables", not "MisÃ©rables");
/// the others are UTF-8.
enum MoviesParser {
    static func parse(_ file: TextFile, kind: DatasetKind, genreNames: [String] = []) throws -> [Int64: MovieInfo] {
        var movies: [Int64: MovieInfo] = [:]
        let lines = file.lines(latin1: kind.metadataIsLatin1)
        for (index, line) in lines.enumerated() where !line.isEmpty {
            let number = index + 1
            let fields: [String]
            switch kind {
            case .ml100k: fields = line.components(separatedBy: "|")
            case .ml1m, .ml10m: fields = line.components(separatedBy: "::")
            case .mlCSV:
                if number == 1 && line.hasPrefix("movieId") { continue }
                fields = try csvFields(line, file: file.path, line: number)
            case .genericCSV: return [:]
            }
            let needed = kind == .ml100k ? 5 + genreNames.count : 3
            guard fields.count >= needed else {
                throw MovieLensError(file: file.path, line: number,
                                     "expected \(needed) fields, found \(fields.count)")
            }
            guard let id = Int64(fields[0]), id >= 0 else {
                throw MovieLensError(file: file.path, line: number, "movie id '\(fields[0])' is not a whole number")
            }
            let title = fields[1]
            var genres: String
            var year = yearFromTitle(title)
            if kind == .ml100k {
                let flags = fields[(fields.count - genreNames.count)...]
                genres = zip(flags, genreNames).filter { $0.0 == "1" }.map(\.1).joined(separator: "|")
                if year == 0, fields[2].count >= 4, let value = Int32(fields[2].suffix(4)) { year = value }
            } else {
                genres = fields[2]
                if genres == "(no genres listed)" { genres = "" }
            }
            movies[id] = MovieInfo(title: title, year: year, genres: genres)
        }
        return movies
    }

    /// ml-100k's `u.genre`: `name|index` lines; returns names by index.
    static func genreNames(_ file: TextFile) throws -> [String] {
        var names: [(Int, String)] = []
        for (index, line) in file.lines(latin1: true).enumerated() where !line.isEmpty {
            let parts = line.components(separatedBy: "|")
            guard parts.count == 2, let position = Int(parts[1]) else {
                throw MovieLensError(file: file.path, line: index + 1, "expected 'name|index'")
            }
            names.append((position, parts[0]))
        }
        return names.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// "Toy Story (1995)" → 1995; "Babylon 5" → 0.
    static func yearFromTitle(_ title: String) -> Int32 {
        let trimmed = Array(title.utf8.reversed().drop { $0 == 0x20 }.reversed())
        guard trimmed.count >= 6, trimmed.last == 0x29, trimmed[trimmed.count - 6] == 0x28 else { return 0 }
        let digits = trimmed[(trimmed.count - 5)..<(trimmed.count - 1)]
        guard digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return 0 }
        return digits.reduce(Int32(0)) { $0 * 10 + Int32($1 - 0x30) }
    }

    /// Splits one CSV line (RFC 4180 quoting: `"a, b"`, `""` for a quote inside quotes).
    static func csvFields(_ line: String, file: String, line number: Int) throws -> [String] {
        var fields: [String] = []
        var current = ""
        var inQuotes = false
        var iterator = line.makeIterator()
        var pending: Character? = nil
        while let char = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if char == "\"" {
                    let next = iterator.next()
                    if next == "\"" { current.append("\"") } else { inQuotes = false; pending = next }
                } else {
                    current.append(char)
                }
            } else if char == "\"" && current.isEmpty {
                inQuotes = true
            } else if char == "," {
                fields.append(current)
                current = ""
            } else {
                current.append(char)
            }
        }
        if inQuotes { throw MovieLensError(file: file, line: number, "unterminated quoted field") }
        fields.append(current)
        return fields
    }
}
