import Foundation

/// The project's JSON output: every JSON file or line it writes goes through `Codable` types and
/// this encoder, so it is always valid JSON (paths and titles escaped), with sorted keys for
/// stable bytes and snake_case keys chosen by each type's `CodingKeys`.
///
///     print(JSON.line(summary))        // {"output":"out/ratings.h5","ratings":1000209,…}
///     try AtomicFile.write(JSON.data(report, pretty: true), to: "metrics.json")
public enum JSON {
    public static func data<T: Encodable>(_ value: T, pretty: Bool = false) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        // Encoding plain Codable values cannot fail once non-finite floats have a spelling.
        return try! encoder.encode(value)
    }

    /// One line of compact JSON.
    public static func line<T: Encodable>(_ value: T) -> String { String(decoding: data(value), as: UTF8.self) }

    /// Decodes `T`, turning a decoding failure into bad input naming `source`.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, source: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw ProjectorFailure(.badInput, "\(source): not the expected JSON (\(describe(error)))")
        }
    }

    /// The bytes of a JSON file that carries `format` and `format_version`, after checking both:
    /// an unreadable file, another format or a version not in `versions` is bad input naming the
    /// file. `source` describes the file in decoding errors (`x.json (a metrics.json written by evaluate)`).
    ///
    ///     let bytes = try JSON.readFormatted(path, format: "projector.floors", versions: [1], source: "\(path) (a projector.floors file)")
    public static func readFormatted(_ path: String, format: String, versions: [Int], source: String) throws -> Data {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw ProjectorFailure(.badInput, "\(path): cannot read the file")
        }
        struct Header: Decodable {
            var format: String
            var formatVersion: Int
            enum CodingKeys: String, CodingKey { case format, formatVersion = "format_version" }
        }
        let header = try decode(Header.self, from: bytes, source: source)
        guard header.format == format, versions.contains(header.formatVersion) else {
            throw ProjectorFailure(.badInput, "\(path): is \(header.format) version \(header.formatVersion), expected \(format) version \(versions.map(String.init).joined(separator: " or "))")
        }
        return bytes
    }

    /// A decoding error in one line: what and where (`metrics.rmse: expected a number`).
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return keys.isEmpty ? "" : keys + ": "
        }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return path(context) + context.debugDescription
        case .keyNotFound(let key, let context):
            return path(context) + "missing key '\(key.stringValue)'"
        @unknown default:
            return "\(error)"
        }
    }
}

/// A JSON value, for small documents whose shape is not worth a type of its own (a stage's
/// one-line summary on stdout):
///
///     print(JSON.line(["output": .string(path), "ratings": .int(1000209), "test_rmse": .null]))
public enum JSONValue: Codable, Sendable, Equatable, ExpressibleByDictionaryLiteral {
    case null
    case bool(Bool)
    case int(Int)
    case unsigned(UInt64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    /// Any encodable value as the JSON it encodes to (`JSON.data`), e.g. a record to keep inside
    /// another document without its type.
    public init<T: Encodable>(encoding value: T) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: JSON.data(value))
    }

    /// The value decoded as `T` (what `init(encoding:)` kept), or bad input naming `source`.
    public func decode<T: Decodable>(_ type: T.Type, source: String) throws -> T {
        try JSON.decode(type, from: JSON.data(self), source: source)
    }

    /// A number, or null when it is not finite (JSON has no NaN).
    public static func number(_ value: Double) -> JSONValue { value.isFinite ? .double(value) : .null }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .unsigned(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .int(value) }
        else if let value = try? container.decode(UInt64.self) { self = .unsigned(value) }
        else if let value = try? container.decode(Double.self) { self = .double(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }
}

extension KeyedEncodingContainer {
    /// Encodes each value under its key, an absent optional as `null` rather than no key (for
    /// files whose readers see the same keys every time: manifest.json, gate.json).
    ///
    ///     try container.encodeEach([.version: version, .previousVersion: previousVersion])
    public mutating func encodeEach(_ pairs: KeyValuePairs<Key, any Encodable>) throws {
        for (key, value) in pairs { try encode(value, forKey: key) }
    }
}
