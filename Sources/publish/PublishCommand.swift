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

    @OptionGroup var tolerances: GateOptions

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if let problem = PlainName.problem(name) { throw ValidationError("--name '\(name)' \(problem)") }
        try PathCheck.input(input)
    }

    func runStage(log: Logger) throws -> String {
        let start = Date()
        let result = try store.modelStore.publish(
            model: input, name: name,
            gate: gate ? tolerances.gate : nil,
            promote: promote, codeVersion: ProjectorVersion.createdBy("publish"))
        log.info("published \(name)@\(result.version) (\(result.manifest.size) bytes, sha256 \(result.manifest.sha256.prefix(12))…)\(result.promoted ? ", now production" : "") in \(String(format: "%.2f", Date().timeIntervalSince(start))) s → \(store.root)")
        return JSON.line([
            "name": .string(name), "version": .int(result.version), "production": .bool(result.promoted),
            "sha256": .string(result.manifest.sha256), "store": .string(store.root),
        ] as JSONValue)
    }
}
