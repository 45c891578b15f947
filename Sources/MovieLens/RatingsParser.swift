import Essentials

/// Ratings as read from a file, in file order, with the original ids.
public struct RawRatings: Sendable {
    public var userIDs: [Int64] = []
    public var movieIDs: [Int64] = []
    public var ratings: [Float] = []
    public var timestamps: [Int64] = []

    public init() {}

    public var count: Int { ratings.count }

    mutating func reserve(_ capacity: Int) {
        userIDs.reserveCapacity(capacity)
        movieIDs.reserveCapacity(capacity)
        ratings.reserveCapacity(capacity)
        timestamps.reserveCapacity(capacity)
    }

    mutating func append(contentsOf other: RawRatings) {
        userIDs += other.userIDs
        movieIDs += other.movieIDs
        ratings += other.ratings
        timestamps += other.timestamps
    }
}

/// How the lines of a ratings file look.
struct RatingsLayout: Sendable {
    /// Field separator: `::`, a tab or a comma.
    var separator: [UInt8]
    /// Whether the timestamp field may be left out (generic CSV only).
    var timestampOptional: Bool
    /// Whether a first line starting with a letter is a header to skip.
    var mayHaveHeader: Bool

    static func of(_ kind: DatasetKind) -> RatingsLayout {
        switch kind {
        case .ml100k: RatingsLayout(separator: [0x09], timestampOptional: false, mayHaveHeader: false)
        case .ml1m, .ml10m: RatingsLayout(separator: [0x3A, 0x3A], timestampOptional: false, mayHaveHeader: false)
        case .mlCSV: RatingsLayout(separator: [0x2C], timestampOptional: false, mayHaveHeader: true)
        case .genericCSV: RatingsLayout(separator: [0x2C], timestampOptional: true, mayHaveHeader: true)
        }
    }

    var separatorText: String {
        separator == [0x09] ? "tab" : "'" + String(decoding: separator, as: UTF8.self) + "'"
    }
}

/// Parses a ratings file (`user SEP movie SEP rating [SEP timestamp]` per line).
///
/// The file is split at line boundaries into one piece per worker and the pieces are parsed in
/// parallel. Each line is parsed by a fast path straight from the bytes; only when that fails is
/// the line looked at again, slowly, to say exactly what is wrong:
///
///     ratings.dat:17: expected 4 fields separated by '::', found 3
///     u.data:3: user id 'x12' is not a whole number
///     ratings.csv:8: rating 5.5 is outside the scale 0.5–5
///
/// CRLF line endings, a UTF-8 byte-order mark and blank lines are accepted. A file that ends in
/// the middle of a line is reported as truncated.
enum RatingsParser {
    struct LineError: Error {
        var offset: Int
        var message: String
    }

    /// `allowEmpty`: a file with no rating is fine (an update file of a day without ratings).
    static func parse(_ file: TextFile, layout: RatingsLayout, scale: RatingScale, allowEmpty: Bool = false) throws -> RawRatings {
        var begin = file.start
        let bytes = file.bytes
        if layout.mayHaveHeader, begin < bytes.count, isLetter(bytes[begin]) {
            while begin < bytes.count && bytes[begin] != 0x0A { begin += 1 }
            begin += 1
        }
        let pieces = split(bytes, from: begin, parts: Parallel.workers * 2)
        let results: [Result<RawRatings, LineError>] = try Parallel.map(pieces.count) { index in
            bytes.withUnsafeBufferPointer { buffer in
                Result { try parsePiece(buffer, pieces[index], layout: layout, scale: scale) }
                    .mapError { $0 as! LineError }
            }
        }
        var all = RawRatings()
        all.reserve(results.reduce(0) { $0 + ((try? $1.get().count) ?? 0) })
        for result in results {
            switch result {
            case .success(let piece): all.append(contentsOf: piece)
            case .failure(let error):
                throw MovieLensError(file: file.path, line: file.lineNumber(at: error.offset), error.message)
            }
        }
        if all.count == 0 && !allowEmpty {
            throw MovieLensError(file: file.path, "the file has no ratings (it is empty or holds only a header)")
        }
        return all
    }

    /// Cuts `bytes[from...]` into ranges that each start at a line start.
    static func split(_ bytes: [UInt8], from begin: Int, parts: Int) -> [Range<Int>] {
        let end = bytes.count
        guard begin < end else { return [] }
        var cuts = [begin]
        for part in 1..<max(1, parts) {
            // A piece starts just after a newline, strictly after the previous cut (a file of a
            // few bytes yields one piece).
            var cut = max(cuts.last! + 1, begin + (end - begin) * part / parts)
            while cut < end && bytes[cut - 1] != 0x0A { cut += 1 }
            if cut < end { cuts.append(cut) }
        }
        cuts.append(end)
        return zip(cuts, cuts.dropFirst()).map { $0..<$1 }
    }

    @inline(__always) static func isLetter(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A
    }

    static func parsePiece(
        _ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, layout: RatingsLayout, scale: RatingScale
    ) throws -> RawRatings {
        var out = RawRatings()
        out.reserve(range.count / 20 + 16)
        let separator = layout.separator
        let separatorCount = separator.count
        let sep0 = separator[0]
        var lineStart = range.lowerBound
        let end = range.upperBound
        while lineStart < end {
            var lineEnd = lineStart
            while lineEnd < end && buffer[lineEnd] != 0x0A { lineEnd += 1 }
            var contentEnd = lineEnd
            if contentEnd > lineStart && buffer[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            defer { lineStart = lineEnd + 1 }
            if contentEnd == lineStart { continue }  // blank line

            // Fast path.
            var p = lineStart
            @inline(__always) func unsigned() -> Int64? {
                let first = p
                var value: Int64 = 0
                while p < contentEnd, case let digit = buffer[p] &- 0x30, digit < 10, p - first < 18 {
                    value = value &* 10 &+ Int64(digit)
                    p += 1
                }
                return p > first ? value : nil
            }
            @inline(__always) func separatorHere() -> Bool {
                guard p + separatorCount <= contentEnd, buffer[p] == sep0 else { return false }
                if separatorCount == 2 && buffer[p + 1] != separator[1] { return false }
                p += separatorCount
                return true
            }
            @inline(__always) func decimal() -> Float? {
                guard let whole = unsigned() else { return nil }
                var value = Float(whole)
                if p < contentEnd && buffer[p] == 0x2E {
                    p += 1
                    let first = p
                    var fraction: Int64 = 0
                    var scaleDown: Float = 1
                    while p < contentEnd, case let digit = buffer[p] &- 0x30, digit < 10, p - first < 9 {
                        fraction = fraction * 10 + Int64(digit)
                        scaleDown *= 10
                        p += 1
                    }
                    if p == first { return nil }
                    value += Float(fraction) / scaleDown
                }
                return value
            }
            var ok = false
            if let user = unsigned(), separatorHere(), let movie = unsigned(), separatorHere(),
               let rating = decimal() {
                var timestamp: Int64? = nil
                if p == contentEnd {
                    if layout.timestampOptional { timestamp = 0 }
                } else if separatorHere(), let value = unsigned(), p == contentEnd {
                    timestamp = value
                }
                if let timestamp, scale.problem(with: rating) == nil {
                    out.userIDs.append(user)
                    out.movieIDs.append(movie)
                    out.ratings.append(rating)
                    out.timestamps.append(timestamp)
                    ok = true
                }
            }
            if !ok {
                var message = diagnose(Array(buffer[lineStart..<contentEnd]), layout: layout, scale: scale)
                if lineEnd == buffer.count && (lineEnd == lineStart || buffer[lineEnd - 1] != 0x0A) {
                    message += " (the file ends in the middle of this line: is it truncated?)"
                }
                throw LineError(offset: lineStart, message: message)
            }
        }
        return out
    }

    /// The slow path: says what is wrong with a line the fast path refused.
    static func diagnose(_ line: [UInt8], layout: RatingsLayout, scale: RatingScale) -> String {
        let text = String(decoding: line, as: UTF8.self)
        let separator = String(decoding: layout.separator, as: UTF8.self)
        let fields = text.components(separatedBy: separator)
        let expected = layout.timestampOptional ? "3 or 4" : "4"
        guard fields.count == 4 || (layout.timestampOptional && fields.count == 3) else {
            return "expected \(expected) fields separated by \(layout.separatorText), found \(fields.count)"
        }
        func whole(_ field: String) -> Bool {
            !field.isEmpty && field.count <= 18 && field.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        }
        if !whole(fields[0]) { return "user id '\(fields[0])' is not a whole number" }
        if !whole(fields[1]) { return "movie id '\(fields[1])' is not a whole number" }
        let ratingField = fields[2]
        let parts = ratingField.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy({ whole(String($0)) }), parts[0].count <= 9,
              let rating = Float(ratingField)
        else {
            return "rating '\(ratingField)' is not a number"
        }
        if let problem = scale.problem(with: rating) { return problem }
        if fields.count == 4 && !whole(fields[3]) {
            return "timestamp '\(fields[3])' is not a whole number"
        }
        return "cannot read this line"
    }
}
