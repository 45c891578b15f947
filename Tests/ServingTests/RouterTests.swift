import ArtifactStore
import Essentials
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import ProjectorClient
import Serving
import Testing
import TestSupport
import Yams

/// The application's router in-process (`app.test(.router)`), on a real store: every declared
/// route is served, every parameter is read by its declaration with the exact message, a method
/// a path does not serve is 405 with `Allow`, and the committed `openapi.yaml` is the one the
/// declarations generate.
struct RouterTests {
    /// A store with one small model published as `m` (version 1, production), and the router over it.
    static func application() throws -> (root: String, app: some ApplicationProtocol) {
        let (root, _, _) = try publishedStore("m", versions: 1, promote: true)
        let registry = ModelRegistry(store: root, logger: Logger(label: "test"))
        _ = registry.refresh()
        let api = ServingAPI(registry: registry)
        let router = ServingApplication.router(api: api, page: WebPage(api: api), metrics: PrometheusCollectorRegistry())
        return (root, Application(router: router))
    }

    static func openAPIFile() -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/serve/openapi.yaml").path
    }

    @Test func theCommittedSpecIsTheGeneratedOne() throws {
        let committed = try String(contentsOfFile: Self.openAPIFile(), encoding: .utf8)
        #expect(committed == OpenAPIDocument.yaml + "\n", "Sources/serve/openapi.yaml is stale: regenerate it with serve --openapi > Sources/serve/openapi.yaml")
        let document = try #require(try Yams.load(yaml: OpenAPIDocument.yaml) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: Any])
        #expect(Set(paths.keys) == Set(HTTPAPI.routes.map(\.path)))
    }

    /// (request, status, error detail): every parameter's rule, with its message.
    static let cases: [(String, Int, String?)] = [
        ("/healthz", 200, nil),
        ("/readyz", 200, nil),
        ("/v1/models", 200, nil),
        ("/v1/models/m", 200, nil),
        ("/v1/models/m@1", 200, nil),
        ("/v1/models/m%40production", 200, nil),
        ("/v1/models/ghost", 404, nil),
        ("/v1/models/..%2Fetc", 400, "model name '../etc' is not a plain name: use 1–100 letters, digits, '.', '_' and '-', not starting with '.'"),
        ("/v1/models/m@0", 400, "model reference 'm@0': version '0' must be a whole number from 1 below 10^18"),
        ("/v1/models/m@1000000000000000000", 400, "model reference 'm@1000000000000000000': version '1000000000000000000' must be a whole number from 1 below 10^18"),
        ("/v1/models/m/users/1/recommendations?k=3", 200, nil),
        ("/v1/models/m/users/1/recommendations?k=0", 400, "k must be a whole number from 1 to 1000, not '0'"),
        ("/v1/models/m/users/1/recommendations?k=1001", 400, "k must be a whole number from 1 to 1000, not '1001'"),
        ("/v1/models/m/users/1/recommendations?k=ten", 400, "k must be a whole number from 1 to 1000, not 'ten'"),
        ("/v1/models/m/users/abc/recommendations", 400, "userId must be a whole number, not 'abc'"),
        ("/v1/models/m/movies/10/similar?k=2", 200, nil),
        ("/v1/models/m/movies/x1/similar", 400, "movieId must be a whole number, not 'x1'"),
        ("/v1/models/m/users/1/movies/10/prediction", 200, nil),
        ("/v1/models/m/movies?q=toy", 200, nil),
        ("/v1/models/m/movies", 400, "q (a part of a title) is required"),
        ("/v1/models/m/movies?q=+++", 400, "q must contain a character other than a space"),
        ("/v1/models/m/movies?q=" + String(repeating: "%C3%A9", count: 201), 400, "q must be at most 200 characters"),
        ("/v1/models/m/movies?q=toy&limit=-1", 400, "limit must be a whole number from 1 to 1000, not '-1'"),
        ("/", 200, nil),
        ("/?user=1", 200, nil),
        ("/?user=abc", 400, nil),
        ("/?q=+", 400, nil),
        ("/v1/models/m/users/1/recommendations?k=3&n=1", 400, "unknown query parameter 'n' (/v1/models/{ref}/users/{userId}/recommendations takes k)"),
        ("/v1/models/m/users/1/recommendations?k=3&k=4", 400, "query parameter 'k' is given twice"),
        ("/healthz?verbose", 400, "unknown query parameter 'verbose' (/healthz takes no query parameters)"),
        ("/?user=1&utm_source=x", 400, nil),
        ("/v1/models/m/users/1/recommendations?&k=3&", 200, nil),
        ("/v1/models/m/users/1/recommendations?%6B=0", 400, "k must be a whole number from 1 to 1000, not '0'"),
        ("/v2/nothing", 404, "no route GET /v2/nothing"),
    ]

    @Test func everyRouteAndParameterAnswersAsDeclared() async throws {
        let (root, app) = try Self.application()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await app.test(.router) { client in
            for (uri, status, detail) in Self.cases {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status.code == status, "GET \(uri): \(response.status) \(String(buffer: response.body))")
                    if let detail {
                        let error = try JSONDecoder().decode([String: String].self, from: Data(buffer: response.body))
                        #expect(error["detail"] == detail, "GET \(uri)")
                    }
                }
            }
            // Every declared route is registered: none answers 404 or 405 for its own method.
            for route in HTTPAPI.routes {
                let uri = route.path.replacingOccurrences(of: "{ref}", with: "m").replacingOccurrences(of: "{userId}", with: "1")
                    .replacingOccurrences(of: "{movieId}", with: "10") + (route.id == .movies ? "?q=toy" : "")
                try await client.execute(uri: uri, method: route.method) { response in
                    #expect(response.status != .notFound && response.status != .methodNotAllowed, "\(route.method) \(uri): \(response.status)")
                }
            }
        }
    }

    /// A method a path does not serve: 405 with the methods it does serve in `Allow`; an unknown path stays 404.
    @Test(arguments: [HTTPRequest.Method.post, .put, .delete, .patch, .trace, .options])
    func otherMethodsAre405WithAllow(method: HTTPRequest.Method) async throws {
        let (root, app) = try Self.application()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await app.test(.router) { client in
            for uri in ["/healthz", "/healthz/", "/v1/models/m", "/v1/models/m/users/1/recommendations", "/"] where !(uri == "/" && method == .post) {
                let allowed = uri == "/" ? "GET, POST" : "GET"
                try await client.execute(uri: uri, method: method) { response in
                    #expect(response.status == .methodNotAllowed, "\(method) \(uri): \(response.status)")
                    #expect(response.headers[.allow] == allowed, "\(method) \(uri)")
                    let error = try JSONDecoder().decode([String: String].self, from: Data(buffer: response.body))
                    #expect(error["error"] == "method_not_allowed" && error["detail"] == "\(uri) answers \(allowed), not \(method)")
                }
            }
            try await client.execute(uri: "/v2/nothing", method: method) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    /// The fold-in routes' bodies: (route, body, status, the error's detail).
    static let bodyCases: [(String, String, Int, String?)] = [
        ("recommendations", "", 400, "body: empty; send a JSON object with user_id, ratings, attributes, k, candidates"),
        ("recommendations", "[]", 400, "body: must be a JSON object, not a list"),
        ("recommendations", "{}", 400, "body: give user_id, ratings, attributes, or several of them"),
        ("recommendations", #"{"user": 1}"#, 400, "body: unknown field 'user' (this route takes user_id, ratings, attributes, k, candidates)"),
        ("recommendations", #"{"ratings": "x"}"#, 400, #"ratings: must be a list, not the string "x""#),
        ("recommendations", #"{"ratings": [5]}"#, 400, "ratings[0]: must be an object {movie_id, rating}, not 5"),
        ("recommendations", #"{"ratings": [{"movie_id": 10}]}"#, 400, "ratings[0].rating is required"),
        ("recommendations", #"{"ratings": [{"movie_id": 10, "rating": 4, "at": 1}]}"#, 400, "ratings[0]: unknown field 'at' (a rating is {movie_id, rating})"),
        ("recommendations", #"{"ratings": [{"movie_id": 10, "rating": 7}]}"#, 400, "ratings[0].rating (movie 10): rating 7 is outside the scale 1–5"),
        ("recommendations", #"{"ratings": [{"movie_id": 10, "rating": "5"}]}"#, 400, #"ratings[0].rating: must be a number on the model's scale, not the string "5""#),
        ("recommendations", #"{"ratings": [{"movie_id": 1.5, "rating": 5}]}"#, 400, "ratings[0].movie_id: must be a whole number, not 1.5"),
        ("recommendations", #"{"ratings": [], "k": 0}"#, 400, "k: must be a whole number from 1 to 1000, not 0"),
        ("recommendations", #"{"ratings": [], "k": 2, "candidates": [10]}"#, 400, "k: 2 is more than the 1 candidates given"),
        ("recommendations", #"{"ratings": [], "candidates": []}"#, 400, "candidates: give at least one movie id (or leave candidates out: every movie)"),
        ("recommendations", #"{"user_id": "1"}"#, 400, #"user_id: must be a whole number, not the string "1""#),
        ("recommendations", #"{"ratings": [{"movie_id": 10, "rating": 5}, {"movie_id": 20, "rating": 1}], "k": 2}"#, 200, nil),
        ("recommendations", #"{"user_id": 1, "ratings": [{"movie_id": 30, "rating": 5}]}"#, 200, nil),
        ("recommendations", #"{"ratings": [{"movie_id": 999, "rating": 5}], "k": 2}"#, 200, nil),
        ("recommendations", #"{"attributes": 5}"#, 400, "attributes: must be an object {gender, age, occupation, zip}, not 5"),
        ("recommendations", #"{"attributes": {"sex": "F"}}"#, 400, "attributes: unknown field 'sex' (attributes are gender, age, occupation, zip)"),
        ("recommendations", #"{"attributes": {"gender": "X"}}"#, 400, #"attributes.gender: must be "F" or "M" (as MovieLens records it), not "X""#),
        ("recommendations", #"{"attributes": {"age": 500}}"#, 400, "attributes.age: must be from 1 to 200 (years, or ML-1M's age-group code), not 500"),
        ("recommendations", #"{"attributes": {"age": "30"}}"#, 400, #"attributes.age: must be a whole number, not the string "30""#),
        ("recommendations", #"{"attributes": {"zip": 5}}"#, 400, "attributes.zip: must be text, not 5"),
        ("recommendations", #"{"attributes": {"occupation": ""}}"#, 400, "attributes.occupation: must be 1 to 100 characters, not 0"),
        ("recommendations", #"{"attributes": {"age": null}}"#, 400, "attributes: give at least one of gender, age, occupation, zip (or leave attributes out)"),
        ("predictions", #"{"ratings": [{"movie_id": 10, "rating": 5}], "attributes": {"gender": "F"}, "movie_ids": [20]}"#, 400,
         "m@1: attributes: this model's fold-in prior has no user attributes (its training data had none, or the file predates them): leave attributes out"),
        ("predictions", #"{"ratings": []}"#, 400, "movie_ids is required: the movies to predict"),
        ("predictions", #"{"ratings": [], "movie_ids": []}"#, 400, "movie_ids: give at least one movie id"),
        ("predictions", #"{"ratings": [], "k": 3, "movie_ids": [10]}"#, 400, "body: unknown field 'k' (this route takes user_id, ratings, attributes, movie_ids)"),
        ("predictions", #"{"ratings": [{"movie_id": 10, "rating": 5}], "movie_ids": [20, 30, 999]}"#, 200, nil),
        ("recommendations", "{" + String(repeating: " ", count: 5 << 20) + "}", 413, "body: larger than 4 MiB (10,000 ratings fit in about 300 kB)"),
        ("recommendations", #"{"ratings": ["# + Array(repeating: #"{"movie_id": 10, "rating": 5}"#, count: 100_000).joined(separator: ",") + "]}", 400, "ratings: 100000 given, at most 10000"),
    ]

    @Test func personRoutesReadTheirBodiesStrictly() async throws {
        let (root, app) = try Self.application()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await app.test(.router) { client in
            for (route, body, status, detail) in Self.bodyCases {
                try await client.execute(uri: "/v1/models/m/\(route)", method: .post, headers: [.contentType: "application/json"],
                                         body: ByteBuffer(string: body)) { response in
                    #expect(response.status.code == status, "POST \(route) \(body.prefix(80)): \(response.status) \(String(buffer: response.body).prefix(300))")
                    if let detail {
                        let error = try JSONDecoder().decode([String: String].self, from: Data(buffer: response.body))
                        #expect(error["detail"] == detail, "POST \(route) \(body.prefix(80))")
                    }
                }
            }
            // Not JSON: the parser's reason follows.
            try await client.execute(uri: "/v1/models/m/recommendations", method: .post, body: ByteBuffer(string: "ratings=5")) { response in
                let error = try JSONDecoder().decode([String: String].self, from: Data(buffer: response.body))
                #expect(response.status == .badRequest && error["detail"]?.hasPrefix("body: not JSON (") == true)
            }
            // Unknown ids only: answered, and listed.
            try await client.execute(uri: "/v1/models/m/recommendations", method: .post,
                                     body: ByteBuffer(string: #"{"ratings": [{"movie_id": 999, "rating": 5}], "k": 2}"#)) { response in
                let answer = try JSONDecoder().decode(StoredModel.Recommendations.self, from: Data(buffer: response.body))
                #expect(answer.ignored == [999] && answer.coldStart && answer.user == nil && answer.items.count == 2)
                #expect(String(buffer: response.body).contains(#""user":null"#))
            }
            // GET on a fold-in path: 405, POST allowed.
            try await client.execute(uri: "/v1/models/m/recommendations", method: .get) { response in
                #expect(response.status == .methodNotAllowed && response.headers[.allow] == "POST")
            }
            // The server is unharmed.
            try await client.execute(uri: "/healthz", method: .get) { response in #expect(response.status == .ok) }
        }
    }

    /// The page's form for a visitor without a user id: posted fields (never a URL), the stars kept
    /// in the form, the top 10 with predicted stars and reasons; a bad field a 400 page.
    @Test func thePageFoldsInAPostedForm() async throws {
        let (root, app) = try Self.application()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cases: [(String, Int, [String])] = [
            ("q=toy", 200, [#"<select name="rate_10""#, #"<select name="rate_20""#, "No stars given yet"]),
            ("r=10:5&rate_30=4&q=", 200, ["Your top 10", #"<input type="hidden" name="r" value="10:5">"#, #"value="30:4""#, "because you rated", "★"]),
            ("r=10:5&rate_20=0", 200, ["Your top 10", "Your stars: Toy Story (1995) 5★"]),
            ("r=999:5", 200, ["None of your movies is in m@1", "movie 999 (not in the model)"]),
            ("r=abc", 400, ["r must be movieId:stars, not &#39;abc&#39;"]),
            ("x=1", 400, ["unknown form field &#39;x&#39;"]),
            ("r=10:9", 400, ["stars for movie 10: rating 9 is outside the scale 1–5"]),
            ("r=10:1e30", 400, ["stars for movie 10: rating 1e+30 is outside the scale 1–5"]),
            ("rate_x=4", 400, ["&#39;rate_x&#39; is not rate_&lt;movieId&gt;"]),
        ]
        try await app.test(.router) { client in
            for (form, status, expected) in cases {
                try await client.execute(uri: "/", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                         body: ByteBuffer(string: form)) { response in
                    let html = String(buffer: response.body)
                    #expect(response.status.code == status && response.headers[.contentType]?.hasPrefix("text/html") == true, "POST / \(form): \(response.status)")
                    for text in expected { #expect(html.contains(text), "POST / \(form): no '\(text)' in \(html.suffix(900))") }
                    #expect(!html.contains("<script"), "POST / \(form): a script")
                }
            }
        }
    }
}

extension Data {
    init(buffer: ByteBuffer) { self.init(buffer.readableBytesView) }
}
