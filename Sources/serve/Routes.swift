import Essentials
import Foundation
import Hummingbird
import Prometheus
import Serving

/// The router, built in one place: each route a thin call into `ServingAPI` (or the page), its
/// answer as JSON, every error as `{error, detail}` with its status.
enum Routes {
    static func build(api: ServingAPI, page: WebPage, metrics: PrometheusCollectorRegistry) -> Router<BasicRequestContext> {
        let router = Router()
        // Metrics outermost, so they record the status each error became.
        router.middlewares.add(MetricsMiddleware())
        router.middlewares.add(ErrorMiddleware())

        router.get("/healthz") { _, _ in json(["status": "ok"]) }
        router.get("/readyz") { _, _ in
            let readiness = api.registry.readiness()
            return json(readiness, status: readiness.ready ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
        }
        router.get("/v1/models") { _, _ in try json(api.models()) }
        router.get("/v1/models/:ref") { _, context in try await json(api.model(ref: context.parameters.require("ref"))) }
        router.get("/v1/models/:ref/users/:userId/recommendations") { request, context in
            try await json(api.recommendations(ref: context.parameters.require("ref"), userID: context.parameters.require("userId"),
                                         k: query(request, "k")))
        }
        router.get("/v1/models/:ref/movies/:movieId/similar") { request, context in
            try await json(api.similar(ref: context.parameters.require("ref"), movieID: context.parameters.require("movieId"),
                                 k: query(request, "k")))
        }
        router.get("/v1/models/:ref/users/:userId/movies/:movieId/prediction") { _, context in
            try await json(api.prediction(ref: context.parameters.require("ref"), userID: context.parameters.require("userId"),
                                    movieID: context.parameters.require("movieId")))
        }
        router.get("/v1/models/:ref/movies") { request, context in
            try await json(api.movies(ref: context.parameters.require("ref"), query: query(request, "q"), limit: query(request, "limit")))
        }
        router.get("/") { request, _ in
            var parameters: [String: String] = [:]
            for name in ["model", "user", "movie", "q"] { parameters[name] = query(request, name) }
            let (status, html) = await page.render(query: parameters)
            return Response(status: .init(code: status), headers: [.contentType: "text/html; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: html)))
        }
        return router
    }

    /// A query parameter: `+` read as a space (HTML forms send them so), then percent-decoded.
    static func query(_ request: Request, _ name: String) -> String? {
        for pair in (request.uri.query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts[0] == name[...] else { continue }
            let raw = parts.count > 1 ? String(parts[1]).replacingOccurrences(of: "+", with: " ") : ""
            return raw.removingPercentEncoding ?? raw
        }
        return nil
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: JSON.data(value))))
    }
}

/// Every error as JSON `{error, detail}`: the API's own with their status, Hummingbird's (no such
/// route: 404; a missing path parameter: 400) mapped, anything else 500.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ServingError {
            return Routes.json(error, status: .init(code: error.status))
        } catch let error as HTTPError {
            let answer = error.status == .notFound
                ? ServingError.notFound("no route \(request.method) \(request.uri.path)")
                : ServingError(status: Int(error.status.code), error: error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_"),
                               detail: error.body ?? error.status.reasonPhrase)
            return Routes.json(answer, status: error.status)
        } catch {
            return Routes.json(ServingError.failure("\(error)"), status: .internalServerError)
        }
    }
}
