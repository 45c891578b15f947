import Essentials
import Foundation
import ModelFormat

/// The recommendations answer written straight to JSON bytes, as `JSON.data` writes it (sorted
/// keys, no escaped slashes, floats in their shortest form, whole floats without a fraction), but
/// without Foundation's encoder: on the fold-in route that encoder was a fifth of a request's CPU
/// time (`perf`, 20-rating requests). A test keeps the bytes equal to `JSON.data`'s.
///
///     model.recommend(userID: 42, k: 10).jsonData == JSON.data(model.recommend(userID: 42, k: 10))
extension StoredModel.Recommendations {
    public var jsonData: Data { encoded(fragments: nil) }

    /// The bytes, each item's and reason's fixed part (ids, titles, genres, years) copied from
    /// `fragments` when given: for a model's own answers (`StoredModel.encoded`), whose items all
    /// come from its catalogue.
    func encoded(fragments: MovieFragments?) -> Data {
        var out: [UInt8] = []
        // A fold-in item with its three reasons is about 400 bytes: one allocation for the answer.
        out.reserveCapacity(256 + items.count * 512)
        out.append(contentsOf: #"{"cold_start":"#.utf8)
        out.append(contentsOf: (coldStart ? "true" : "false").utf8)
        if let ignored {
            out.append(contentsOf: #","ignored":["#.utf8)
            out.append(contentsOf: ignored.map(String.init).joined(separator: ",").utf8)
            out.append(UInt8(ascii: "]"))
        }
        out.append(contentsOf: #","items":["#.utf8)
        for (index, item) in items.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "{"))
            if let because = item.because {
                out.append(contentsOf: #""because":["#.utf8)
                for (position, reason) in because.enumerated() {
                    if position > 0 { out.append(UInt8(ascii: ",")) }
                    out.append(contentsOf: #"{"contribution":"#.utf8)
                    AnswerJSON.number(reason.contribution, into: &out)
                    if let fragments, let movie = fragments.index[reason.movieID] {
                        out.append(UInt8(ascii: ","))
                        fragments.append(.reasonID, of: movie, to: &out)
                        out.append(contentsOf: #","rating":"#.utf8)
                        AnswerJSON.number(reason.rating, into: &out)
                        fragments.append(.reasonTitle, of: movie, to: &out)
                        continue
                    }
                    out.append(contentsOf: #","movie_id":"#.utf8); out.append(contentsOf: String(reason.movieID).utf8)
                    out.append(contentsOf: #","rating":"#.utf8)
                    AnswerJSON.number(reason.rating, into: &out)
                    out.append(contentsOf: #","title":"#.utf8)
                    AnswerJSON.string(reason.title, into: &out)
                    out.append(UInt8(ascii: "}"))
                }
                out.append(contentsOf: "],".utf8)
            }
            let movie = fragments?.index[item.movieID]
            if let fragments, let movie {
                fragments.append(.itemOpening, of: movie, to: &out)
            } else {
                out.append(contentsOf: #""genres":["#.utf8)
                for (position, genre) in item.genres.enumerated() {
                    if position > 0 { out.append(UInt8(ascii: ",")) }
                    AnswerJSON.string(genre, into: &out)
                }
                out.append(contentsOf: #"],"movie_id":"#.utf8); out.append(contentsOf: String(item.movieID).utf8)
            }
            if let rating = item.rating {
                out.append(contentsOf: #","rating":"#.utf8)
                AnswerJSON.number(rating, into: &out)
            }
            out.append(contentsOf: #","score":"#.utf8)
            AnswerJSON.number(item.score, into: &out)
            if let fragments, let movie {
                fragments.append(.itemClosing, of: movie, to: &out)
            } else {
                out.append(contentsOf: #","title":"#.utf8)
                AnswerJSON.string(item.title, into: &out)
                out.append(contentsOf: #","year":"#.utf8); out.append(contentsOf: String(item.year).utf8)
                out.append(UInt8(ascii: "}"))
            }
        }
        out.append(contentsOf: #"],"model":"#.utf8)
        AnswerJSON.string(model, into: &out)
        out.append(contentsOf: #","user":"#.utf8)
        out.append(contentsOf: (user.map(String.init) ?? "null").utf8)
        out.append(contentsOf: #","version":"#.utf8); out.append(contentsOf: String(version).utf8)
        out.append(UInt8(ascii: "}"))
        return Data(out)
    }
}

enum AnswerJSON {
    /// A float as Foundation's encoder writes it: whole values without a fraction, others in
    /// their shortest form; a non-finite value as `JSON.data`'s spelling (a string).
    static func number(_ value: Float, into out: inout [UInt8]) {
        guard value.isFinite else {
            out.append(contentsOf: (value.isNaN ? #""nan""# : value > 0 ? #""inf""# : #""-inf""#).utf8)
            return
        }
        if value == value.rounded(), abs(value) < 1e15, let whole = Int(exactly: value) {
            out.append(contentsOf: String(whole).utf8)
        } else {
            out.append(contentsOf: value.description.utf8)
        }
    }

    /// A JSON string: quotes, backslashes and control characters escaped, slashes not.
    static func string(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = text
        // Most strings need no escape: copied from their contiguous UTF-8 in one step.
        let plain = text.withUTF8 { bytes -> Bool in
            guard !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if plain {
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x0C: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// Each movie's fixed JSON, written once per version: an item's `"genres":[…],"movie_id":N` and
/// `,"title":"…","year":Y}`, a reason's `"movie_id":N` and `,"title":"…"}` — what a fold-in answer
/// repeats for its 10 items and up to 30 reasons (escaping titles and genres per answer was a
/// third of writing one).
struct MovieFragments: Sendable {
    enum Part: Int { case itemOpening, itemClosing, reasonID, reasonTitle }
    /// Movie id → index.
    let index: [Int64: Int32]
    let bytes: [UInt8]
    /// Four (start) offsets per movie into `bytes`, and the end: `offsets[4 · movie + part]`.
    let offsets: [Int]

    init(_ metadata: DatasetMetadata, genres: [[String]], index: [Int64: Int]) {
        self.index = index.mapValues(Int32.init)
        var bytes: [UInt8] = [], offsets: [Int] = []
        for movie in 0..<metadata.movieCount {
            offsets.append(bytes.count)
            bytes.append(contentsOf: #""genres":["#.utf8)
            for (position, genre) in genres[movie].enumerated() {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                AnswerJSON.string(genre, into: &bytes)
            }
            bytes.append(contentsOf: #"],"movie_id":"#.utf8); bytes.append(contentsOf: String(metadata.movieIDs[movie]).utf8)
            offsets.append(bytes.count)
            bytes.append(contentsOf: #","title":"#.utf8)
            AnswerJSON.string(metadata.titles[movie], into: &bytes)
            bytes.append(contentsOf: #","year":"#.utf8); bytes.append(contentsOf: String(Int(metadata.years[movie])).utf8)
            bytes.append(UInt8(ascii: "}"))
            offsets.append(bytes.count)
            bytes.append(contentsOf: #""movie_id":"#.utf8); bytes.append(contentsOf: String(metadata.movieIDs[movie]).utf8)
            offsets.append(bytes.count)
            bytes.append(contentsOf: #","title":"#.utf8)
            AnswerJSON.string(metadata.titles[movie], into: &bytes)
            bytes.append(UInt8(ascii: "}"))
        }
        offsets.append(bytes.count)
        (self.bytes, self.offsets) = (bytes, offsets)
    }

    @inline(__always)
    func append(_ part: Part, of movie: Int32, to out: inout [UInt8]) {
        let slot = 4 * Int(movie) + part.rawValue
        out.append(contentsOf: bytes[offsets[slot]..<offsets[slot + 1]])
    }
}
