import Essentials

/// An HTTP error answer, `{error, detail}`: `error` a short code, `detail` what was wrong in
/// words. The status is the HTTP status: 400 bad parameter, 404 unknown model, version, alias
/// or movie, 503 not ready.
///
///     throw ServingError.badRequest("k must be a whole number from 1 to 1000, not '0'")
public struct ServingError: Error, Sendable, Equatable, Encodable, CustomStringConvertible {
    public var status: Int
    public var error: String
    public var detail: String

    enum CodingKeys: String, CodingKey { case error, detail }

    public init(status: Int, error: String, detail: String) {
        self.status = status
        self.error = error
        self.detail = detail
    }

    public static func badRequest(_ detail: String) -> ServingError { ServingError(status: 400, error: "bad_request", detail: detail) }
    public static func notFound(_ detail: String) -> ServingError { ServingError(status: 404, error: "not_found", detail: detail) }
    public static func notReady(_ detail: String) -> ServingError { ServingError(status: 503, error: "not_ready", detail: detail) }
    public static func failure(_ detail: String) -> ServingError { ServingError(status: 500, error: "internal", detail: detail) }

    /// The project's errors by kind: bad input is a bad request, anything else a failure.
    static func from(_ error: any Error) -> ServingError {
        if let error = error as? ServingError { return error }
        if let error = error as? any ProjectorError, error.exitCode == .badInput { return .badRequest("\(error)") }
        return .failure("\(error)")
    }

    public var description: String { "\(status) \(error): \(detail)" }
}
