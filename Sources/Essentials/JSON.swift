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
