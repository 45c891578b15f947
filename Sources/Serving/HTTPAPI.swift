import Essentials
import Foundation
import Hummingbird
import ProjectorClient

/// The HTTP API, declared once: every route's method, path, parameters with the constraints the
/// server enforces, and answers. The router registers exactly these routes and reads their
/// parameters through these declarations (`APIParameter.integer`, `.string`), and `openapi.yaml`
/// is generated from them (`OpenAPIDocument.yaml`; a test keeps the committed file equal), so the
/// spec cannot say one thing while the server does another.
///
///     HTTPAPI.route(.recommendations).path            // "/v1/models/{ref}/users/{userId}/recommendations"
///     try HTTPAPI.k.count("0")                         // 400: k must be a whole number from 1 to 1000, not '0'
public enum HTTPAPI {
    /// Each route's identity: the router's handler table is keyed by it.
    public enum RouteID: String, CaseIterable, Sendable {
        case health, readiness, metrics, models, model, recommendations, similar, prediction, movies, page
        /// Fold-in: a person's ratings in the body (`PersonRequest`).
        case personRecommendations, personPredictions
        /// The page's form for a visitor without a user id: their ratings posted, never in a URL.
        case pageRatings
    }

    /// The largest request body a route takes: 10,000 ratings fit in well under it, and a body
    /// of 100,000 is still read and refused naming `ratings`.
    public static let maximumBodyBytes = 4 << 20

    /// The most movies an answer lists (`k`, `limit`).
    public static let maximumK = StoredModel.maximumK
    /// The longest title search, in Unicode scalars (as JSON Schema counts a string's length).
    public static let maximumQueryLength = 200

    /// NAME, NAME@VERSION or NAME@ALIAS, as `ModelReference.parse` reads them: plain names
    /// (`PlainName`), a version from 1 below 10¹⁸, an alias not all digits.
    public static let refPattern = #"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}(@(0*[1-9][0-9]{0,17}|(?![0-9]+$)[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}))?$"#

    public static let ref = APIParameter(name: "ref", in: .path, schema: .reference,
                                         description: "NAME, NAME@VERSION or NAME@ALIAS (may be percent-encoded: %40 for @)")
    public static let userID = APIParameter(name: "userId", in: .path, schema: .integer(minimum: nil, maximum: nil, defaultValue: nil))
    public static let movieID = APIParameter(name: "movieId", in: .path, schema: .integer(minimum: nil, maximum: nil, defaultValue: nil))
    public static let k = APIParameter(name: "k", in: .query, required: false,
                                       schema: .integer(minimum: 1, maximum: Int64(maximumK), defaultValue: 10))
    public static let q = APIParameter(name: "q", in: .query, required: true,
                                       schema: .text(maxLength: maximumQueryLength),
                                       description: "a part of a title")
    public static let limit = APIParameter(name: "limit", in: .query, required: false,
                                           schema: .integer(minimum: 1, maximum: Int64(maximumK), defaultValue: 20))
    // The page's query: what its forms and links send.
    public static let pageModel = APIParameter(name: "model", in: .query, required: false, schema: .reference,
                                               description: "the model to ask (default: the store's first)")
    public static let pageUser = APIParameter(name: "user", in: .query, required: false, schema: .integer(minimum: nil, maximum: nil, defaultValue: nil),
                                              description: "a user id: their top 10")
    public static let pageMovie = APIParameter(name: "movie", in: .query, required: false, schema: .integer(minimum: nil, maximum: nil, defaultValue: nil),
                                               description: "a movie id: movies like it")
    public static let pageQuery = APIParameter(name: "q", in: .query, required: false,
                                               schema: .text(maxLength: maximumQueryLength),
                                               description: "a part of a title: the matching titles")

    static let json = "application/json"
    static let badRequest = APIResponse(status: 400, reference: "BadRequest")
    static let notFound = APIResponse(status: 404, reference: "NotFound")
    static let notReady = APIResponse(status: 503, reference: "NotReady")
    static let tooLarge = APIResponse(status: 413, reference: "TooLarge")

    /// Every route, in the order the spec lists them.
    public static let routes: [APIRoute] = [
        APIRoute(.health, .get, "/healthz", summary: "The process is up.",
                 responses: [APIResponse(status: 200, description: "up", type: json, schema: "Health")]),
        APIRoute(.readiness, .get, "/readyz", summary: "Every alias serves a loaded, verified version (503 until then). Refused versions are listed.",
                 responses: [APIResponse(status: 200, description: "ready", type: json, schema: "Readiness"),
                             APIResponse(status: 503, description: "not ready", type: json, schema: "Readiness")]),
        APIRoute(.metrics, .get, "/metrics", summary: "Prometheus text format (requests and latency histograms per route, served version per model).",
                 responses: [APIResponse(status: 200, description: "metrics", type: "text/plain", schema: nil)]),
        APIRoute(.models, .get, "/v1/models", summary: "Every model's versions, its aliases, and the versions served.",
                 responses: [APIResponse(status: 200, description: "the models", type: json, schema: "ModelList"),
                             APIResponse(status: 500, description: "the store cannot be read", type: json, schema: "Error")]),
        APIRoute(.model, .get, "/v1/models/{ref}", summary: "The version served for ref.", parameters: [ref],
                 responses: [APIResponse(status: 200, description: "the version", type: json, schema: "ModelInfo"), badRequest, notFound, notReady]),
        APIRoute(.recommendations, .get, "/v1/models/{ref}/users/{userId}/recommendations",
                 summary: "A user's top k from the ranking head; a user without training ratings gets the most popular movies (cold_start true).",
                 parameters: [ref, userID, k],
                 responses: [APIResponse(status: 200, description: "recommendations", type: json, schema: "Recommendations"), badRequest, notFound, notReady]),
        APIRoute(.similar, .get, "/v1/models/{ref}/movies/{movieId}/similar",
                 summary: "Movies like this one (source says which similarity, from which head).", parameters: [ref, movieID, k],
                 responses: [APIResponse(status: 200, description: "similar movies", type: json, schema: "Similar"), badRequest, notFound, notReady]),
        APIRoute(.prediction, .get, "/v1/models/{ref}/users/{userId}/movies/{movieId}/prediction",
                 summary: "The rating the user would give the movie, from the rating head (fallbacks flagged cold_start, named in basis). 400 for a model without a rating head.",
                 parameters: [ref, userID, movieID],
                 responses: [APIResponse(status: 200, description: "the prediction", type: json, schema: "Prediction"), badRequest, notFound, notReady]),
        APIRoute(.movies, .get, "/v1/models/{ref}/movies", summary: "Titles containing q (case-insensitive), most rated first.",
                 parameters: [ref, q, limit],
                 responses: [APIResponse(status: 200, description: "matches", type: json, schema: "Search"), badRequest, notFound, notReady]),
        APIRoute(.personRecommendations, .post, "/v1/models/{ref}/recommendations",
                 summary: "Fold-in: the top k for a person from the ratings they give (no retraining) — someone not in the training data, or user_id with ratings given since training (added to theirs); attributes (gender, age, occupation, zip) centre the rating head's prior; candidates: rank only those. Each item carries its predicted rating and the rated movies behind it (because); ids the model does not know are listed in ignored.",
                 parameters: [ref], requestBody: "RecommendationsRequest",
                 responses: [APIResponse(status: 200, description: "recommendations", type: json, schema: "Recommendations"), badRequest, notFound, tooLarge, notReady]),
        APIRoute(.personPredictions, .post, "/v1/models/{ref}/predictions",
                 summary: "Fold-in: the rating head's stars for movie_ids, for a person given by their ratings, user_id and/or attributes. 400 for a model without a rating head.",
                 parameters: [ref], requestBody: "PredictionsRequest",
                 responses: [APIResponse(status: 200, description: "predictions", type: json, schema: "Predictions"), badRequest, notFound, tooLarge, notReady]),
        APIRoute(.page, .get, "/", summary: "The web page (server-rendered HTML): a user's top 10, a title search, movies like a movie.",
                 parameters: [pageModel, pageUser, pageMovie, pageQuery],
                 responses: [APIResponse(status: 200, description: "the page", type: "text/html", schema: nil),
                             APIResponse(status: 400, description: "the page, with the bad parameter's error", type: "text/html", schema: nil),
                             APIResponse(status: 503, description: "the page, saying the model is not ready", type: "text/html", schema: nil)]),
        APIRoute(.pageRatings, .post, "/", summary: "The page's form for a visitor without a user id (application/x-www-form-urlencoded, so that ratings stay out of URLs and access logs): find titles (q), give them stars (rate_<movieId>), keep the stars given so far (r = movieId:stars, repeated), and see the top 10 with predicted stars and the rated movies behind each (fold-in).",
                 requestBody: "PageForm", requestType: "application/x-www-form-urlencoded", requestRequired: false,
                 responses: [APIResponse(status: 200, description: "the page", type: "text/html", schema: nil),
                             APIResponse(status: 400, description: "the page, with the bad field's error", type: "text/html", schema: nil),
                             APIResponse(status: 413, description: "the page, saying the form is too large", type: "text/html", schema: nil),
                             APIResponse(status: 503, description: "the page, saying the model is not ready", type: "text/html", schema: nil)]),
    ]

    /// The page form's largest body (10,000 ratings fit).
    public static let maximumFormBytes = 1 << 20

    public static func route(_ id: RouteID) -> APIRoute { routes.first { $0.id == id }! }

    /// A query's (name, value) pairs, each decoded (`+` as a space, then percent-decoding, as
    /// HTML forms send them); empty pairs (`?&k=1`, `?k=1&`) skipped. The one reading of a query.
    public static func queryPairs(_ query: String?) -> [(name: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        func decode(_ part: Substring) -> String {
            guard part.contains(where: { $0 == "%" || $0 == "+" }) else { return String(part) }
            let spaced = part.replacingOccurrences(of: "+", with: " ")
            return spaced.removingPercentEncoding ?? spaced
        }
        return query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// The value of query parameter `name` (nil when absent).
    public static func query(_ query: String?, _ name: String) -> String? {
        queryPairs(query).first { $0.name == name }?.value
    }

    /// The methods a request path is served with (empty: no route has this path), for 405's
    /// `Allow`. Segments are compared as the router does: empty ones (`//`, a trailing `/`) skipped.
    public static func methods(forPath path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        return routes.filter { route in
            let template = route.path.split(separator: "/")
            guard template.count == segments.count else { return false }
            return zip(template, segments).allSatisfy { pattern, segment in
                pattern.hasPrefix("{") ? !segment.isEmpty : pattern == segment
            }
        }.map(\.method)
    }
}

/// One route: its identity, method, OpenAPI path, parameters and answers.
public struct APIRoute: Sendable {
    public let id: HTTPAPI.RouteID
    public let method: HTTPRequest.Method
    /// The OpenAPI path (`/v1/models/{ref}`).
    public let path: String
    public let summary: String
    public let parameters: [APIParameter]
    /// The body's schema name (components), for routes that take one, its media type, and
    /// whether it is required (the page's form may be posted empty).
    public let requestBody: String?
    public let requestType: String
    public let requestRequired: Bool
    public let responses: [APIResponse]
    /// The names of its query parameters, in order.
    let queryNames: [String]

    init(_ id: HTTPAPI.RouteID, _ method: HTTPRequest.Method, _ path: String, summary: String, parameters: [APIParameter] = [],
         requestBody: String? = nil, requestType: String = "application/json", requestRequired: Bool = true, responses: [APIResponse]) {
        self.id = id
        self.method = method
        self.path = path
        self.summary = summary
        self.parameters = parameters
        self.requestBody = requestBody
        self.requestType = requestType
        self.requestRequired = requestRequired
        self.responses = responses
        queryNames = parameters.filter { $0.location == .query }.map(\.name)
    }

    /// Refuses a query the route does not take: a parameter it does not declare, or one given
    /// twice (the spec cannot say "nothing else", so the server says it: 400 naming it). Names
    /// are read as `HTTPAPI.query` reads them (decoded; empty pairs skipped).
    public func checkQuery(_ query: String?) throws(ServingError) {
        var seen = 0  // bit i: queryNames[i] given
        for (name, _) in HTTPAPI.queryPairs(query) {
            guard let index = queryNames.firstIndex(of: name) else {
                let takes = queryNames.isEmpty ? "no query parameters" : queryNames.joined(separator: ", ")
                throw .badRequest("unknown query parameter '\(name.prefix(40))' (\(path) takes \(takes))")
            }
            guard seen & (1 << index) == 0 else { throw .badRequest("query parameter '\(name)' is given twice") }
            seen |= 1 << index
        }
    }

    /// The path as the router spells it (`/v1/models/:ref`).
    public var routerPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix("{") ? ":" + segment.dropFirst().dropLast() : segment
        }.joined(separator: "/")
    }
}

/// One answer of a route: its status, and either a shared response (`reference`) or a media type
/// with an optional schema name.
public struct APIResponse: Sendable {
    public let status: Int
    public let description: String
    public let reference: String?
    public let type: String?
    public let schema: String?

    init(status: Int, description: String, type: String, schema: String?) {
        self.status = status
        self.description = description
        self.reference = nil
        self.type = type
        self.schema = schema
    }

    init(status: Int, reference: String) {
        self.status = status
        self.description = ""
        self.reference = reference
        self.type = nil
        self.schema = nil
    }
}

/// One parameter and its constraints, which both the spec states and the server enforces.
public struct APIParameter: Sendable {
    public enum Location: String, Sendable { case path, query }

    public enum Schema: Sendable {
        case integer(minimum: Int64?, maximum: Int64?, defaultValue: Int64?)
        /// Text with a character other than a space, at most `maxLength` Unicode scalars (as JSON
        /// Schema counts a string's length): the pattern `[^ ]`.
        case text(maxLength: Int)
        /// A model reference, read by `ModelReference.parse`: the pattern `HTTPAPI.refPattern`.
        case reference
    }

    public let name: String
    public let location: Location
    public let required: Bool
    public let schema: Schema
    public let description: String?

    init(name: String, in location: Location, required: Bool = true, schema: Schema, description: String? = nil) {
        self.name = name
        self.location = location
        self.required = required || location == .path
        self.schema = schema
        self.description = description
    }

    /// The value as a whole number in the declared range; nil when absent and optional (the
    /// caller's default is the declared one: `defaultInteger`).
    public func integer(_ text: String?) throws(ServingError) -> Int64? {
        guard case .integer(let minimum, let maximum, _) = schema else { preconditionFailure("\(name) is not an integer parameter") }
        guard let text else {
            if required { throw .badRequest("\(name) is required") }
            return nil
        }
        let range = minimum.flatMap { low in maximum.map { " from \(low) to \($0)" } } ?? ""
        guard let value = Int64(text), value >= (minimum ?? .min), value <= (maximum ?? .max) else {
            throw .badRequest("\(name) must be a whole number\(range), not '\(text.prefix(40))'")
        }
        return value
    }

    /// The value, or the declared default when absent.
    public func count(_ text: String?) throws(ServingError) -> Int {
        guard case .integer(_, _, let defaultValue) = schema, let defaultValue else { preconditionFailure("\(name) has no default") }
        return Int(try integer(text) ?? defaultValue)
    }

    /// A text parameter's value; nil when absent and optional.
    public func text(_ text: String?) throws(ServingError) -> String? {
        guard case .text(let maxLength) = schema else { preconditionFailure("\(name) is not a text parameter") }
        guard let text else {
            if required { throw .badRequest("\(name) (\(description ?? "text")) is required") }
            return nil
        }
        guard text.unicodeScalars.contains(where: { $0 != " " }) else {
            throw .badRequest("\(name) must contain a character other than a space")
        }
        guard text.unicodeScalars.count <= maxLength else { throw .badRequest("\(name) must be at most \(maxLength) characters") }
        return text
    }
}
