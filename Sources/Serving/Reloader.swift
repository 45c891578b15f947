import Dispatch
import Logging
import Metrics
import ServiceLifecycle

/// Reads the store's aliases at start and every `interval` (a quarter of --reload-interval), off Swift's cooperative threads (a
/// model load is file I/O and decompression), and publishes the served versions as the gauge
/// `projector_served_version{model, alias}`.
public struct Reloader: Service {
    let registry: ModelRegistry
    let interval: Duration
    let logger: Logger

    public init(registry: ModelRegistry, interval: Duration, logger: Logger) {
        self.registry = registry
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let events = await withCheckedContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(returning: registry.refresh()) }
            }
            report(events)
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) } } catch { break }
        }
    }

    func report(_ events: [ModelRegistry.Event]) {
        for event in events {
            switch event {
            case .served(let name, let alias, let version, let previous):
                Gauge(label: "projector_served_version", dimensions: [("model", name), ("alias", alias)]).record(version)
                logger.notice("\(name)@\(alias) now serves version \(version)\(previous.map { " (was \($0))" } ?? "")")
            case .refused(let name, let version, _):
                Counter(label: "projector_refused_versions_total", dimensions: [("model", name)]).increment()
                logger.error("\(name)@\(version) refused; see /readyz")
            case .removed(let name, let alias):
                Gauge(label: "projector_served_version", dimensions: [("model", name), ("alias", alias)]).record(0)
                logger.notice("\(name)@\(alias) is gone from the store")
            }
        }
    }
}
