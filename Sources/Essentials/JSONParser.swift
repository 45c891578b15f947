import Foundation

/// A strict JSON reader (RFC 8259) into `JSONValue`, for request bodies on a server's hot path.
/// Foundation's `JSONDecoder` reads a `JSONValue` by trying each type in turn, throwing an error
/// for every wrong guess: profiled at 18 % of a fold-in request's CPU time for a 20-rating body.
/// This reads each value once. Integers without a fraction or exponent that fit `Int` are `.int`,
/// other numbers `.double` (finite only); a repeated key keeps its last value; nesting deeper
/// than `maximumDepth` is refused. Errors name the byte offset.
///
///     try JSONValue.parse(Data(#"{"k": 10, "ratings": [{"movie_id": 1, "rating": 4.5}]}"#.utf8))
extension JSONValue {
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var offset: Int
        public var problem: String
        public var description: String { "byte \(offset): \(problem)" }
    }

    public static let maximumDepth = 64

    /// 10⁰ … 10²², each exact in a Double: a decimal of at most 15 digits with d of them after the
    /// point is exactly w / 10^d, one correctly rounded division (Clinger's fast path).
    public static let exactPowersOfTen: [Double] = (0...22).map { exponent in (0..<exponent).reduce(1.0) { value, _ in value * 10 } }

    public static func parse(_ data: Data) throws(ParseError) -> JSONValue {
        let bytes = [UInt8](data)
        // Every read below is after a check against `bytes.count`: the buffer's unchecked subscript
        // (an array's bounds check per byte was a fifth of reading a request body).
        return try bytes.withUnsafeBufferPointer { buffer throws(ParseError) in
            var parser = Parser(bytes: buffer)
            parser.skipSpace()
            let value = try parser.value(depth: 0)
            parser.skipSpace()
            guard parser.position == buffer.count else { throw parser.fail("unexpected text after the value") }
            return value
        }
    }

    struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        func fail(_ problem: String) -> ParseError { ParseError(offset: position, problem: problem) }

        mutating func skipSpace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x09, 0x0A, 0x0D: position += 1
                default: return
                }
            }
        }

        mutating func expect(_ literal: String, _ value: JSONValue) throws(ParseError) -> JSONValue {
            let utf8 = Array(literal.utf8)
            guard position + utf8.count <= bytes.count, bytes[position..<(position + utf8.count)].elementsEqual(utf8) else {
                throw fail("expected \(literal)")
            }
            position += utf8.count
            return value
        }

        mutating func value(depth: Int) throws(ParseError) -> JSONValue {
            guard depth < JSONValue.maximumDepth else { throw fail("nested more than \(JSONValue.maximumDepth) deep") }
            guard position < bytes.count else { throw fail("unexpected end of the text") }
            switch bytes[position] {
            case UInt8(ascii: "{"):
                position += 1
                var object = [String: JSONValue](minimumCapacity: 4)  // one allocation for a small object
                skipSpace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return .object(object) }
                while true {
                    skipSpace()
                    guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw fail("expected a key in quotes") }
                    let key = try string()
                    skipSpace()
                    guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                    position += 1
                    skipSpace()
                    object[key] = try value(depth: depth + 1)
                    skipSpace()
                    guard position < bytes.count else { throw fail("unexpected end of the text in an object") }
                    if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                    if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(object) }
                    throw fail("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                position += 1
                var array: [JSONValue] = []
                skipSpace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return .array(array) }
                while true {
                    skipSpace()
                    array.append(try value(depth: depth + 1))
                    skipSpace()
                    guard position < bytes.count else { throw fail("unexpected end of the text in a list") }
                    if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                    if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(array) }
                    throw fail("expected ',' or ']'")
                }
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try expect("true", .bool(true))
            case UInt8(ascii: "f"): return try expect("false", .bool(false))
            case UInt8(ascii: "n"): return try expect("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw fail("unexpected character")
            }
        }


        mutating func number() throws(ParseError) -> JSONValue {
            let start = position
            func digits() -> Int {
                let first = position
                while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") { position += 1 }
                return position - first
            }
            if bytes[position] == UInt8(ascii: "-") { position += 1 }
            let integer = digits()
            guard integer > 0 else { throw fail("a number needs digits") }
            guard integer == 1 || bytes[position - integer] != UInt8(ascii: "0") else { throw ParseError(offset: start, problem: "a number does not start with 0") }
            var whole = true, exponentFree = true
            if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
                position += 1
                whole = false
                guard digits() > 0 else { throw fail("expected digits after '.'") }
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
                position += 1
                whole = false
                exponentFree = false
                if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
                guard digits() > 0 else { throw fail("expected digits in the exponent") }
            }
            // Fast paths without a String: a whole number that fits Int; a decimal of at most 15
            // digits without exponent, w / 10^d, exact (both doubles exact, one correctly rounded
            // division: Clinger's fast path). Anything else through Double's parser.
            if exponentFree {
                var mantissa = 0, fraction = 0, digitCount = 0, overflow = false
                for byte in bytes[(bytes[start] == UInt8(ascii: "-") ? start + 1 : start)..<position] where byte != UInt8(ascii: ".") {
                    let (times, o1) = mantissa.multipliedReportingOverflow(by: 10)
                    let (sum, o2) = times.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
                    overflow = overflow || o1 || o2
                    mantissa = sum
                    digitCount += 1
                }
                if !whole { fraction = position - 1 - (bytes[start..<position].firstIndex(of: UInt8(ascii: ".")) ?? position) }
                let negative = bytes[start] == UInt8(ascii: "-")
                if whole, !overflow { return .int(negative ? -mantissa : mantissa) }
                if !whole, !overflow, digitCount <= 15, fraction <= 22 {
                    let value = Double(mantissa) / JSONValue.exactPowersOfTen[fraction]
                    return .double(negative ? -value : value)
                }
            }
            let text = String(decoding: bytes[start..<position], as: UTF8.self)
            if whole, let value = Int(text) { return .int(value) }
            guard let value = Double(text), value.isFinite else { throw ParseError(offset: start, problem: "the number \(text.prefix(30)) is out of range") }
            return .double(value)
        }

        mutating func string() throws(ParseError) -> String {
            position += 1  // the opening quote
            // Most strings have no escape: validated and made from the bytes in place.
            var end = position
            while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 { end += 1 }
            if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
                let start = position
                position = end + 1
                guard let text = String(validating: bytes[start..<end], as: UTF8.self) else { throw fail("the string is not valid UTF-8") }
                return text
            }
            var utf8: [UInt8] = []
            while true {
                guard position < bytes.count else { throw fail("unterminated string") }
                let byte = bytes[position]
                position += 1
                switch byte {
                case UInt8(ascii: "\""):
                    guard let text = String(validating: utf8, as: UTF8.self) else { throw fail("the string is not valid UTF-8") }
                    return text
                case UInt8(ascii: "\\"):
                    guard position < bytes.count else { throw fail("unterminated escape") }
                    let escape = bytes[position]
                    position += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                    case UInt8(ascii: "b"): utf8.append(0x08)
                    case UInt8(ascii: "f"): utf8.append(0x0C)
                    case UInt8(ascii: "n"): utf8.append(0x0A)
                    case UInt8(ascii: "r"): utf8.append(0x0D)
                    case UInt8(ascii: "t"): utf8.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if (0xD800..<0xDC00).contains(scalar) {
                            guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                                throw fail("a high surrogate without its low surrogate")
                            }
                            position += 2
                            let low = try hex4()
                            guard (0xDC00..<0xE000).contains(low) else { throw fail("a high surrogate without its low surrogate") }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { throw fail("\\u escape of a lone surrogate") }
                        utf8.append(contentsOf: Array(String(Character(unicode)).utf8))
                    default: throw fail("unknown escape")
                    }
                case 0..<0x20: throw fail("a control character in a string")
                default: utf8.append(byte)
                }
            }
        }

        mutating func hex4() throws(ParseError) -> UInt32 {
            guard position + 4 <= bytes.count else { throw fail("a \\u escape needs four hex digits") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[position]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw fail("a \\u escape needs four hex digits")
                }
                value = value << 4 | UInt32(digit)
                position += 1
            }
            return value
        }
    }
}
