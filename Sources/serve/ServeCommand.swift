import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import Serving
import ServiceLifecycle
import StageContract
import StageKit

/// `serve`: the models of a store over HTTP, following its aliases without a restart.
///
///     serve --store Artifacts --host 127.0.0.1 --port 8080 --reload-interval 2
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model store over HTTP: JSON API, a web page, health, readiness and Prometheus metrics.",
        discussion: """
            Routes are documented in Sources/serve/openapi.yaml (serve --openapi prints it). Four times per --reload-interval the store's aliases \
            are read; a version an alias newly names is loaded and verified in the background and swapped in; one \
            that fails is refused (logged, reported by /readyz) and the old version keeps serving. SIGTERM or SIGINT: \
            stop accepting, finish requests in flight, exit 0. Exit codes: 0 after a graceful stop, 1 failure, 2 bad usage.
            """)

    @OptionGroup var store: StoreOptions

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port (0: any free port, printed on stderr).")
    var port = 8080

    @Option(help: ArgumentHelp("Seconds within which a moved alias is served: the aliases are read four times per interval, and a new version is loaded and verified in the rest of it.", valueName: "seconds"))
    var reloadInterval: Double = 2

    @OptionGroup var logging: LoggingOptions

    @Flag(help: "Print the OpenAPI document of the routes (generated from their declarations) and exit.")
    var openapi = false

    func validate() throws {
        if openapi { return }
        guard port >= 0 && port <= 65535 else { throw ValidationError("--port must be between 0 and 65535, not \(port)") }
        guard reloadInterval.isFinite, reloadInterval >= 0.05, reloadInterval <= 86_400 else {
            throw ValidationError("--reload-interval must be between 0.05 and 86400 seconds, not \(reloadInterval)")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: store.root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("--store \(store.root) is not a folder (publish a model there first)")
        }
    }

    func run() async throws {
        if openapi {
            print(OpenAPIDocument.yaml)
            return
        }
        var logger = Logger(label: "serve") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = logging.level
        var factory = PrometheusMetricsFactory(registry: PrometheusCollectorRegistry())
        factory.defaultDurationHistogramBuckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5].map { .milliseconds($0 * 1000) }
        MetricsSystem.bootstrap(factory)

        let registry = ModelRegistry(store: store.root, logger: logger)
        let app = ServingApplication.application(registry: registry, metrics: factory.registry, host: host, port: port, logger: logger)
        let reloader = Reloader(registry: registry, interval: .milliseconds(Int64(reloadInterval * 1000 / 4)), logger: logger)
        var configuration = ServiceGroupConfiguration(
            services: [
                .init(service: app),
                // Stops first on SIGTERM (services stop in reverse order), then the server drains.
                .init(service: reloader, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        // Requests in flight get this long (systemd's TimeoutStopSec is 30 s in the README's unit).
        configuration.maximumGracefulShutdownDuration = .seconds(25)
        try await ServiceGroup(configuration: configuration).run()
        logger.notice("stopped")
    }
}
