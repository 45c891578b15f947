import Essentials
import Foundation
import Hummingbird
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// The whole HTTP application, built in one place: the routes of `HTTPAPI` (each a thin call into
/// `ServingAPI` or the page), metrics and error middleware, and the reloader that follows the
/// store's aliases. `serve` runs it; the tests run its router in-process (`app.test(.router)`).
///
///     let registry = ModelRegistry(store: "Artifacts", logger: logger)
///     let app = ServingApplication.application(registry: registry, metrics: PrometheusCollectorRegistry(),
///                                              host: "127.0.0.1", port: 8080, logger: logger)
public enum ServingApplication {
    /// The router: every route of `HTTPAPI.routes`, answers as JSON (the page as HTML, metrics as
    /// text), every error as `{error, detail}` with its status, a method a path does not serve 405
    /// with `Allow`.
    public static func router(api: ServingAPI, page: WebPage, metrics: PrometheusCollectorRegistry) -> Router<BasicRequestContext> {
        let router = Router()
        // Metrics outermost, so they record the status each error became.
        router.middlewares.add(MetricsMiddleware())
        router.middlewares.add(ErrorMiddleware())
        for route in HTTPAPI.routes {
            let handler = self.handler(route.id, api: api, page: page, metrics: metrics)
            router.on(RouterPath(route.routerPath), method: route.method) { (request: Request, context: BasicRequestContext) async throws -> Response in
                do throws(ServingError) { try route.checkQuery(request.uri.query) } catch {
                    guard route.id == .page || route.id == .pageRatings else { return json(error, status: .init(code: error.status)) }
                    return html(page.render(error: error))
                }
                return try await handler(request, context)
            }
        }
        return router
    }

    typealias Handler = @Sendable (Request, BasicRequestContext) async throws -> Response

    /// What each route answers; a route of `HTTPAPI` without a handler cannot be written (the switch is exhaustive).
    static func handler(_ id: HTTPAPI.RouteID, api: ServingAPI, page: WebPage, metrics: PrometheusCollectorRegistry) -> Handler {
        switch id {
        case .health:
            return { _, _ in json(["status": "ok"]) }
        case .readiness:
            return { _, _ in
                let readiness = api.registry.readiness()
                return json(readiness, status: readiness.ready ? .ok : .serviceUnavailable)
            }
        case .metrics:
            return { _, _ in
                Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                         body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
            }
        case .models:
            return { _, _ in try json(api.models()) }
        case .model:
            return { _, context in try await json(api.model(ref: context.parameters.require("ref"))) }
        case .recommendations:
            return { request, context in
                let body = try await api.recommendationsJSON(ref: context.parameters.require("ref"), userID: context.parameters.require("userId"),
                                                             k: query(request, "k"))
                return Response(status: .ok, headers: [.contentType: jsonType], body: .init(byteBuffer: ByteBuffer(bytes: body)))
            }
        case .similar:
            return { request, context in
                try await json(api.similar(ref: context.parameters.require("ref"), movieID: context.parameters.require("movieId"),
                                           k: query(request, "k")))
            }
        case .prediction:
            return { _, context in
                try await json(api.prediction(ref: context.parameters.require("ref"), userID: context.parameters.require("userId"),
                                              movieID: context.parameters.require("movieId")))
            }
        case .movies:
            return { request, context in
                try await json(api.movies(ref: context.parameters.require("ref"), query: query(request, "q"), limit: query(request, "limit")))
            }
        case .personRecommendations:
            return { request, context in
                let answer = try await api.personRecommendations(ref: context.parameters.require("ref"), body: body(request))
                return Response(status: .ok, headers: [.contentType: jsonType], body: .init(byteBuffer: ByteBuffer(bytes: answer)))
            }
        case .personPredictions:
            return { request, context in
                try await json(api.personPredictions(ref: context.parameters.require("ref"), body: body(request)))
            }
        case .pageRatings:
            return { request, _ in
                do {
                    let buffer = try await request.body.collect(upTo: HTTPAPI.maximumFormBytes)
                    return html(await page.render(form: String(decoding: buffer.readableBytesView, as: UTF8.self)))
                } catch {
                    return html(page.render(error: ServingError(status: 413, error: "too_large", detail: "the form is larger than 1 MiB")))
                }
            }
        case .page:
            return { request, _ in
                var parameters: [String: String] = [:]
                for parameter in HTTPAPI.route(.page).parameters { parameters[parameter.name] = query(request, parameter.name) }
                return html(await page.render(query: parameters))
            }
        }
    }

    /// The application `serve` runs: the router on `host:port` (port 0: any free one); it logs
    /// the address it listens on.
    public static func application(registry: ModelRegistry, metrics: PrometheusCollectorRegistry,
                                   host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        let api = ServingAPI(registry: registry)
        return Application(
            router: router(api: api, page: WebPage(api: api), metrics: metrics),
            configuration: .init(address: .hostname(host, port: port), serverName: "projector-serve"),
            onServerRunning: { channel in logger.notice("listening on http://\(host):\(channel.localAddress?.port ?? port)") },
            logger: logger)
    }

    /// A request's body, at most `HTTPAPI.maximumBodyBytes` (413 beyond: read no further).
    static func body(_ request: Request) async throws(ServingError) -> Data {
        do {
            let buffer = try await request.body.collect(upTo: HTTPAPI.maximumBodyBytes)
            return Data(buffer.readableBytesView)
        } catch {
            throw ServingError(status: 413, error: "too_large", detail: "body: larger than \(HTTPAPI.maximumBodyBytes >> 20) MiB (10,000 ratings fit in about 300 kB)")
        }
    }

    /// A query parameter, as `HTTPAPI.queryPairs` reads the query.
    static func query(_ request: Request, _ name: String) -> String? { HTTPAPI.query(request.uri.query, name) }

    static func html(_ page: (status: Int, html: String)) -> Response {
        Response(status: .init(code: page.status), headers: [.contentType: "text/html; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: page.html)))
    }

    static let jsonType = "application/json; charset=utf-8"

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: jsonType],
                 body: .init(byteBuffer: ByteBuffer(bytes: JSON.data(value))))
    }
}

/// Every error as JSON `{error, detail}`: the API's own with their status, Hummingbird's mapped
/// (no such route: 404, or 405 with `Allow` when the path is served with other methods; a missing
/// path parameter: 400), anything else 500.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ServingError {
            return ServingApplication.json(error, status: .init(code: error.status))
        } catch let error as HTTPError {
            if error.status == .notFound {
                let allowed = HTTPAPI.methods(forPath: request.uri.path)
                guard allowed.isEmpty else {
                    var response = ServingApplication.json(
                        ServingError(status: 405, error: "method_not_allowed",
                                     detail: "\(request.uri.path) answers \(allowed.map(\.rawValue).joined(separator: ", ")), not \(request.method)"),
                        status: .methodNotAllowed)
                    response.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
                    return response
                }
                return ServingApplication.json(ServingError.notFound("no route \(request.method) \(request.uri.path)"), status: .notFound)
            }
            let answer = ServingError(status: Int(error.status.code), error: error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_"),
                                      detail: error.body ?? error.status.reasonPhrase)
            return ServingApplication.json(answer, status: error.status)
        } catch {
            return ServingApplication.json(ServingError.failure("\(error)"), status: .internalServerError)
        }
    }
}
