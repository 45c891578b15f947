import Essentials
import LinearAlgebra

/// Ratings as read from a file, in file order, with the original ids.
public struct RawRatings: Sendable {
    public var userIDs: [Int64] = []
    public var movieIDs: [Int64] = []
    public var ratings: [Float] = []
    public var timestamps: [Int64] = []

    public init() {}

    public var count: Int { ratings.count }

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

    /// The four columns being filled, shared by the parallel pieces (each writes its own slots).
    struct Columns: @unchecked Sendable {
        var users, movies: UnsafeMutableBufferPointer<Int64>
        var ratings: UnsafeMutableBufferPointer<Float>
        var timestamps: UnsafeMutableBufferPointer<Int64>
    }

    /// `allowEmpty`: a file with no rating is fine (an update file of a day without ratings).
    ///
    /// Two parallel passes: the lines of each piece are counted (a bound on its ratings, which
    /// gives each piece its slots in the columns), then each piece is parsed into its slots; the
    /// slots left by blank lines are closed up at the end.
    static func parse(_ file: TextFile, layout: RatingsLayout, scale: RatingScale, allowEmpty: Bool = false) throws -> RawRatings {
        var begin = file.start
        let bytes = file.bytes
        if layout.mayHaveHeader, begin < bytes.count, isLetter(bytes[begin]) {
            while begin < bytes.count && bytes[begin] != 0x0A { begin += 1 }
            begin += 1
        }
        let pieces = split(bytes, from: begin, parts: Parallel.workers * 2)
        var users: [Int64] = [], movies: [Int64] = [], ratings: [Float] = [], timestamps: [Int64] = []
        var failure: LineError? = nil
        try bytes.withUnsafeBufferPointer { buffer in
            let lines = try Parallel.map(pieces.count) { index in countLines(buffer, pieces[index]) }
            var slots = [0]
            for count in lines { slots.append(slots.last! + count) }
            let capacity = slots.last!
            users = try [Int64](unsafeUninitializedCapacity: capacity) { userBuffer, usersFilled in
            movies = try [Int64](unsafeUninitializedCapacity: capacity) { movieBuffer, moviesFilled in
            ratings = try [Float](unsafeUninitializedCapacity: capacity) { ratingBuffer, ratingsFilled in
            timestamps = try [Int64](unsafeUninitializedCapacity: capacity) { timestampBuffer, timestampsFilled in
                let columns = Columns(users: userBuffer, movies: movieBuffer, ratings: ratingBuffer, timestamps: timestampBuffer)
                let results: [Result<Int, LineError>] = try Parallel.map(pieces.count) { index in
                    Result {
                        try parsePiece(buffer, pieces[index], layout: layout, scale: scale,
                                       into: columns, slots: slots[index]..<slots[index + 1])
                    }.mapError { $0 as! LineError }
                }
                var filled = 0
                for (index, result) in results.enumerated() {
                    switch result {
                    case .success(let count):
                        if filled != slots[index] {
                            let from = slots[index]
                            (userBuffer.baseAddress! + filled).update(from: userBuffer.baseAddress! + from, count: count)
                            (movieBuffer.baseAddress! + filled).update(from: movieBuffer.baseAddress! + from, count: count)
                            (ratingBuffer.baseAddress! + filled).update(from: ratingBuffer.baseAddress! + from, count: count)
                            (timestampBuffer.baseAddress! + filled).update(from: timestampBuffer.baseAddress! + from, count: count)
                        }
                        filled += count
                    case .failure(let error):
                        if failure == nil { failure = error }
                    }
                }
                if failure != nil { filled = 0 }
                (usersFilled, moviesFilled, ratingsFilled, timestampsFilled) = (filled, filled, filled, filled)
            }}}}
        }
        if let failure {
            throw MovieLensError(file: file.path, line: file.lineNumber(at: failure.offset), failure.message)
        }
        if ratings.isEmpty && !allowEmpty {
            throw MovieLensError(file: file.path, "the file has no ratings (it is empty or holds only a header)")
        }
        var all = RawRatings()
        (all.userIDs, all.movieIDs, all.ratings, all.timestamps) = (users, movies, ratings, timestamps)
        return all
    }

    /// Lines in `range`: its newlines, plus one for a last line without one.
    static func countLines(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int {
        var count = 0
        for index in range where buffer[index] == 0x0A { count += 1 }
        if !range.isEmpty && buffer[range.upperBound - 1] != 0x0A { count += 1 }
        return count
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

    /// Parses the lines of `range` into the columns at `slots` (one slot per line at most);
    /// returns how many ratings it wrote, from the slots' start.
    static func parsePiece(
        _ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, layout: RatingsLayout, scale: RatingScale,
        into columns: Columns, slots: Range<Int>
    ) throws -> Int {
        var next = slots.lowerBound
        let separatorCount = layout.separator.count
        let sep0 = layout.separator[0]
        let sep1 = separatorCount == 2 ? layout.separator[1] : 0
        let end = range.upperBound
        var p = range.lowerBound
        // One pass over the bytes: the fast path reads the fields from the line start and must
        // then be at the line's end (\n, \r\n, or the end of the piece). Anything else — a
        // blank line included — goes to the slow path, which finds the line's end and either
        // skips a blank line or says what is wrong.
        while p < end {
            let lineStart = p
            @inline(__always) func unsigned() -> Int64? {
                let first = p
                var value: Int64 = 0
                while p < end, case let digit = buffer[p] &- 0x30, digit < 10, p - first < 18 {
                    value = value &* 10 &+ Int64(digit)
                    p += 1
                }
                return p > first ? value : nil
            }
            @inline(__always) func separatorHere() -> Bool {
                guard p + separatorCount <= end, buffer[p] == sep0 else { return false }
                if separatorCount == 2 && buffer[p + 1] != sep1 { return false }
                p += separatorCount
                return true
            }
            @inline(__always) func decimal() -> Float? {
                guard let whole = unsigned() else { return nil }
                var value = Float(whole)
                if p < end && buffer[p] == 0x2E {
                    p += 1
                    let first = p
                    var fraction: Int64 = 0
                    var scaleDown: Float = 1
                    while p < end, case let digit = buffer[p] &- 0x30, digit < 10, p - first < 9 {
                        fraction = fraction * 10 + Int64(digit)
                        scaleDown *= 10
                        p += 1
                    }
                    if p == first { return nil }
                    value += Float(fraction) / scaleDown
                }
                return value
            }
            /// At the line's end: steps past it.
            @inline(__always) func lineEnds() -> Bool {
                if p == end { return true }
                if buffer[p] == 0x0A { p += 1; return true }
                if buffer[p] == 0x0D && (p + 1 == end || buffer[p + 1] == 0x0A) { p += 2; return true }
                return false
            }
            if let user = unsigned(), separatorHere(), let movie = unsigned(), separatorHere(),
               let rating = decimal() {
                var timestamp: Int64? = nil
                if lineEnds() {
                    if layout.timestampOptional { timestamp = 0 }
                } else if separatorHere(), let value = unsigned(), lineEnds() {
                    timestamp = value
                }
                if let timestamp, scale.contains(rating) {
                    // A rating takes a line, and `slots` has one per line.
                    precondition(next < slots.upperBound, "more ratings than lines")
                    columns.users[next] = user
                    columns.movies[next] = movie
                    columns.ratings[next] = rating
                    columns.timestamps[next] = timestamp
                    next += 1
                    continue
                }
            }
            // Slow path.
            var lineEnd = lineStart
            while lineEnd < end && buffer[lineEnd] != 0x0A { lineEnd += 1 }
            var contentEnd = lineEnd
            if contentEnd > lineStart && buffer[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            p = lineEnd + 1
            if contentEnd == lineStart { continue }  // blank line
            var message = diagnose(Array(buffer[lineStart..<contentEnd]), layout: layout, scale: scale)
            if lineEnd == buffer.count && (lineEnd == lineStart || buffer[lineEnd - 1] != 0x0A) {
                message += " (the file ends in the middle of this line: is it truncated?)"
            }
            throw LineError(offset: lineStart, message: message)
        }
        return next - slots.lowerBound
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
