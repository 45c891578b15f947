import Essentials
import Foundation
import ProjectorClient

/// The common fold-in body read without building a JSON tree: `{"ratings": [{"movie_id": 1,
/// "rating": 5}, …], "k": 10}`, with `user_id` or without, the keys in any order, any JSON
/// whitespace. Reading the general way (a `JSONValue` tree, a dictionary per rating, then the
/// checks) was a tenth of a fold-in request's CPU time; this is a few hundred nanoseconds.
///
/// It answers only what the general reader accepts and reads the same way: `nil` — the body goes
/// to `PersonRequest.read`'s general path, which gives the answer or the 400 — for any other key,
/// a key given twice, an escape in a key, a number with an exponent or more than 15 digits, a
/// fractional movie id, k outside 1…`maximumK`, more ratings than `maximumGiven`, no person. A
/// test checks the two readers agree on generated bodies, common and not.
extension PersonRequest {
    static func readCommon(_ body: Data) -> PersonRequest? {
        body.withUnsafeBytes { raw -> PersonRequest? in
            var reader = CommonReader(bytes: raw.bindMemory(to: UInt8.self))
            return reader.request()
        }
    }

    struct CommonReader {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        mutating func space() {
            while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x0A || bytes[position] == 0x0D || bytes[position] == 0x09 {
                position += 1
            }
        }

        /// `c` after optional whitespace.
        mutating func take(_ c: UInt8) -> Bool {
            space()
            guard position < bytes.count, bytes[position] == c else { return false }
            position += 1
            return true
        }

        enum Key { case ratings, k, userID, movieID, rating }

        /// One of the keys it reads, in quotes, then ':' (nil for any other).
        mutating func key() -> Key? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = position
            while position < bytes.count, bytes[position] != UInt8(ascii: "\"") { position += 1 }
            guard position < bytes.count else { return nil }
            let name = UnsafeBufferPointer(rebasing: bytes[start..<position])
            position += 1
            let key: Key
            switch name.count {
            case 1 where name[0] == UInt8(ascii: "k"): key = .k
            case 6 where name.elementsEqual("rating".utf8): key = .rating
            case 7 where name.elementsEqual("ratings".utf8): key = .ratings
            case 7 where name.elementsEqual("user_id".utf8): key = .userID
            case 8 where name.elementsEqual("movie_id".utf8): key = .movieID
            default: return nil
            }
            guard take(UInt8(ascii: ":")) else { return nil }
            return key
        }

        /// A JSON number as `JSONValue.parse` reads it, on its fast paths only: a whole number
        /// (no fraction, no exponent) that fits Int, or a decimal of at most 15 digits (w / 10^d,
        /// Clinger's exact fast path). `whole` is whether it had no fraction.
        mutating func number() -> (value: Double, whole: Int64?)? {
            space()
            var negative = false
            if position < bytes.count, bytes[position] == UInt8(ascii: "-") { negative = true; position += 1 }
            let start = position
            var mantissa = 0, digits = 0
            while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
                mantissa = mantissa &* 10 &+ Int(bytes[position] - UInt8(ascii: "0"))
                digits += 1
                position += 1
            }
            // No digits, a leading zero before more digits, or more digits than fit exactly: the general reader.
            guard digits > 0, digits <= 15, !(digits > 1 && bytes[start] == UInt8(ascii: "0")) else { return nil }
            var fraction = 0
            if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
                position += 1
                while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
                    mantissa = mantissa &* 10 &+ Int(bytes[position] - UInt8(ascii: "0"))
                    digits += 1
                    fraction += 1
                    position += 1
                }
                guard fraction > 0, digits <= 15 else { return nil }
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") { return nil }
            if fraction == 0 {
                let whole = negative ? -mantissa : mantissa
                return (Double(whole), Int64(whole))
            }
            let value = Double(mantissa) / JSONValue.exactPowersOfTen[fraction]
            return (negative ? -value : value, nil)
        }

        mutating func integer() -> Int64? {
            guard let (_, whole) = number() else { return nil }
            return whole
        }

        mutating func request() -> PersonRequest? {
            var userID: Int64? = nil, ratings: [StoredModel.GivenRating]? = nil, k: Int64? = nil
            guard take(UInt8(ascii: "{")) else { return nil }
            if take(UInt8(ascii: "}")) { return nil }  // no person: the general reader's 400
            repeat {
                switch key() {
                case .ratings?:
                    guard ratings == nil, let list = ratingList() else { return nil }
                    ratings = list
                case .k?:
                    guard k == nil, let value = integer(), (1...Int64(StoredModel.maximumK)).contains(value) else { return nil }
                    k = value
                case .userID?:
                    guard userID == nil, let value = integer() else { return nil }
                    userID = value
                default: return nil
                }
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "}")) else { return nil }
            space()
            guard position == bytes.count, userID != nil || ratings != nil else { return nil }
            return PersonRequest(userID: userID, ratings: ratings ?? [], attributes: nil, k: Int(k ?? 10), candidates: nil, movieIDs: [])
        }

        mutating func ratingList() -> [StoredModel.GivenRating]? {
            guard take(UInt8(ascii: "[")) else { return nil }
            var list: [StoredModel.GivenRating] = []
            list.reserveCapacity(32)
            if take(UInt8(ascii: "]")) { return list }
            repeat {
                guard list.count < StoredModel.maximumGiven, take(UInt8(ascii: "{")) else { return nil }
                var movie: Int64? = nil, stars: Double? = nil
                repeat {
                    switch key() {
                    case .movieID?:
                        guard movie == nil, let value = integer() else { return nil }
                        movie = value
                    case .rating?:
                        guard stars == nil, let (value, _) = number(), abs(value) <= 1e6 else { return nil }
                        stars = value
                    default: return nil
                    }
                } while take(UInt8(ascii: ","))
                guard take(UInt8(ascii: "}")), let movie, let stars else { return nil }
                list.append(StoredModel.GivenRating(movieID: movie, rating: Float(stars)))
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "]")) else { return nil }
            return list
        }
    }
}
