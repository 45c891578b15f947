import ArtifactStore
import Essentials
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
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
            for uri in ["/healthz", "/healthz/", "/v1/models/m", "/v1/models/m/users/1/recommendations", "/"] {
                try await client.execute(uri: uri, method: method) { response in
                    #expect(response.status == .methodNotAllowed, "\(method) \(uri): \(response.status)")
                    #expect(response.headers[.allow] == "GET", "\(method) \(uri)")
                    let error = try JSONDecoder().decode([String: String].self, from: Data(buffer: response.body))
                    #expect(error["error"] == "method_not_allowed" && error["detail"] == "\(uri) answers GET, not \(method)")
                }
            }
            try await client.execute(uri: "/v2/nothing", method: method) { response in
                #expect(response.status == .notFound)
            }
        }
    }
}

extension Data {
    init(buffer: ByteBuffer) { self.init(buffer.readableBytesView) }
}
