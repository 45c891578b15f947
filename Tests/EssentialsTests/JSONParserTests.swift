import Essentials
import Foundation
import Testing
import LinearAlgebra
import TestSupport

/// `JSONValue.parse`: values as RFC 8259 reads them, numbers exactly as Swift's own parsers read
/// their text (the fast paths too), every malformed text refused with its byte offset.
struct JSONParserTests {
    @Test(arguments: [
        (#"{"k": 10, "ratings": [{"movie_id": 1, "rating": 4.5}]}"#,
         JSONValue.object(["k": .int(10), "ratings": .array([.object(["movie_id": .int(1), "rating": .double(4.5)])])])),
        (#"[true, false, null, "a\"b\\c\/d\n", "\u00e9\ud83c\udfac"]"#,
         .array([.bool(true), .bool(false), .null, .string("a\"b\\c/d\n"), .string("é🎬")])),
        (#" {"a": 1, "a": 2} "#, .object(["a": .int(2)])),
        ("-0", .int(0)),
        ("-9223372036854775808", .int(Int.min)),
        ("9223372036854775808", .double(9223372036854775808)),
        ("1e2", .double(100)),
        ("-0.0", .double(-0.0)),
        (#""naïve""#, .string("naïve")),
    ])
    func readsValues(text: String, expected: JSONValue) throws {
        #expect(try JSONValue.parse(Data(text.utf8)) == expected)
    }

    @Test func decimalsReadAsDoubleReadsThem() throws {
        var generator = SeededGenerator(seed: 7)
        var texts = ["0.1", "4.5", "3.14159265358979", "123456789012345.0", "0.000000000000000000001", "9007199254740993.5",
                     "1.7976931348623157", "2.2250738585072014", "0.30000000000000004", "99999999999999.99"]
        for _ in 0..<5000 {
            let whole = UInt64.random(in: 0...999_999_999_999, using: &generator)
            let digits = Int.random(in: 1...12, using: &generator)
            let fraction = (0..<digits).map { _ in String(Int.random(in: 0...9, using: &generator)) }.joined()
            texts.append("\(Bool.random(using: &generator) ? "-" : "")\(whole % UInt64(pow(10, Double(Int.random(in: 1...12, using: &generator))))).\(fraction)")
        }
        for text in texts {
            let parsed = try JSONValue.parse(Data(text.utf8))
            guard case .double(let value) = parsed else { Issue.record("\(text): \(parsed)"); continue }
            #expect(value.bitPattern == Double(text)!.bitPattern, "\(text)")
        }
    }

    @Test(arguments: [
        ("", "byte 0: unexpected end of the text"),
        ("{", "byte 1: expected a key in quotes"),
        (#"{"a" 1}"#, "byte 5: expected ':'"),
        ("[1 2]", "byte 3: expected ',' or ']'"),
        ("01", "byte 0: a number does not start with 0"),
        ("1.", "byte 2: expected digits after '.'"),
        ("1e", "byte 2: expected digits in the exponent"),
        ("1e400", "byte 0: the number 1e400 is out of range"),
        ("\"abc", "byte 4: unterminated string"),
        ("\"a\u{01}\"", "byte 3: a control character in a string"),
        (#""\x""#, "byte 3: unknown escape"),
        (#""\ud83c""#, "byte 7: a high surrogate without its low surrogate"),
        ("tru", "byte 0: expected true"),
        ("1 2", "byte 2: unexpected text after the value"),
        (String(repeating: "[", count: 65), "byte 64: nested more than 64 deep"),
    ])
    func refusesMalformedText(text: String, error: String) {
        do {
            let parsed = try JSONValue.parse(Data(text.utf8))
            Issue.record("\(text.prefix(20)) parsed as \(parsed)")
        } catch let caught {
            #expect(caught.description == error)
        }
    }

    @Test func invalidUTF8InAStringIsRefused() {
        var bytes = Array(#""ab"#.utf8)
        bytes += [0xC3, 0x28, UInt8(ascii: "\"")]
        do {
            _ = try JSONValue.parse(Data(bytes))
            Issue.record("parsed invalid UTF-8")
        } catch {
            #expect(error.description == "byte 6: the string is not valid UTF-8")
        }
    }
}
