import ArgumentParser
import ArtifactStore
import Essentials
import Evaluation
import Foundation
import Logging
import StageKit

/// `publish`: a model file → the next version of a model in the store.
struct PublishCommand: StageCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish a model file as the next version in the model store.",
        discussion: """
            Copies into a temporary folder inside the store, fsyncs, re-hashes, writes manifest.json, then \
            renames into <store>/<name>/<version>/ and moves the 'latest' alias. With --gate, the model's \
            metrics (from evaluate) are compared to the production version's; a regression refuses the publish \
            (exit 3, nothing written), a pass publishes and promotes to production. Exit codes: 0 success, \
            1 failure, 2 bad usage or bad input, 3 quality gate refused.
            """)

    @Option(help: "The model file to publish (projector.model, ideally evaluated).")
    var input: String

    @Option(help: "The model's name in the store (letters, digits, '.', '_', '-').")
    var name: String

    @OptionGroup var store: StoreOptions

    @Flag(help: "Gate on the production version's metrics; promote to production when it passes.")
    var gate = false

    @Flag(help: "Also point 'production' at the new version (without a gate).")
    var promote = false

    @Option(help: "Gate: how much RMSE may rise over production.")
    var maxRmseIncrease: Double = 0.005

    @Option(help: "Gate: how much precision@k may fall below production.")
    var maxPrecisionDrop: Double = 0.01

    @Option(help: "Gate: which precision@k is compared.")
    var gateK: Int = 10

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if let problem = PlainName.problem(name) { throw ValidationError("--name '\(name)' \(problem)") }
        try PathCheck.input(input)
    }

    /// The one JSON line printed on stdout (the pipeline reads `version` from it).
    struct Summary: Encodable {
        var name: String
        var version: Int
        var production: Bool
        var sha256: String
        var store: String
    }

    func runStage(log: Logger) throws -> String {
        let start = Date()
        let result = try store.modelStore.publish(
            model: input, name: name,
            gate: gate ? QualityGate(maxRMSEIncrease: maxRmseIncrease, maxPrecisionDrop: maxPrecisionDrop, precisionK: gateK) : nil,
            promote: promote, codeVersion: ProjectorVersion.createdBy("publish"))
        log.info("published \(name)@\(result.version) (\(result.manifest.size) bytes, sha256 \(result.manifest.sha256.prefix(12))…)\(result.promoted ? ", now production" : "") in \(String(format: "%.2f", Date().timeIntervalSince(start))) s → \(store.root)")
        return JSON.line(Summary(name: name, version: result.version, production: result.promoted,
                                 sha256: result.manifest.sha256, store: store.root))
    }
}
