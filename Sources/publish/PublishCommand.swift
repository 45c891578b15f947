import ArgumentParser
import ArtifactStore
import Essentials
import Evaluation
import Foundation
import Logging
import MovieLens
import StageContract
import StageKit

/// `publish`: a model file → the next version of a model in the store.
struct PublishCommand: StageCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish a model file as the next version in the model store.",
        discussion: """
            Copies into a temporary folder inside the store, fsyncs, re-hashes, writes manifest.json, then \
            renames into <store>/<name>/<version>/ and moves the 'latest' alias. With --gate, the candidate is \
            compared with the production version on the same held-out ratings: with --data (the ratings file the \
            candidate was trained from) production is re-scored from its artifact on that file's held-out ratings; \
            without it the recorded metrics are compared, only when both come from the same data. RMSE (rating \
            head) and precision@k (ranking head) must stay within the tolerances, and with --floors the candidate \
            must clear absolute floors. A refusal exits 3 and writes nothing to the store; a pass publishes and \
            promotes to production. Exit codes: 0 success, 1 failure, 2 bad usage or bad input, 3 quality gate refused.
            """)

    @Option(help: "The model file to publish (projector.model, ideally evaluated).") var input: String
    @Option(help: "The model's name in the store (letters, digits, '.', '_', '-').") var name: String

    @OptionGroup var store: StoreOptions

    @OptionGroup var options: PublishOptions

    @Option(help: "Gate: the ratings file (projector.ratings) the model was trained from; production is re-scored on its held-out ratings.") var data: String?
    @Option(help: "Gate: write what the gate decided, and on which numbers, to this JSON file (projector.gate), whether it passed or not.") var gateReport: String?
    @Option(parsing: .upToNextOption, help: ArgumentHelp("Gate: metrics.json files of the same models evaluated by the new-users or new-movies protocol (their own splits); their new_users.* and new_movies.* metrics join the candidate's for --floors.", valueName: "metrics.json"))
    var protocolMetrics: [String] = []
    @Option(help: "Lineage: the pipeline run publishing this (<pipeline>/<run folder>), recorded in the manifest.") var runId: String?
    @Option(help: "Lineage: the sha256 of that run's manifest.") var runManifestSha256: String?

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if let problem = PlainName.problem(name) { throw ValidationError("--name '\(name)' \(problem)") }
        try PathCheck.input(input)
        if let data { try PathCheck.input(data, option: "--data") }
        if let floors = options.floors { try PathCheck.input(floors, option: "--floors") }
        if let gateReport { try PathCheck.output(gateReport, option: "--gate-report") }
        if !options.gate, data != nil || gateReport != nil || !protocolMetrics.isEmpty {
            throw ValidationError("--data, --gate-report and --protocol-metrics go with --gate")
        }
        for path in protocolMetrics { try PathCheck.input(path, option: "--protocol-metrics") }
        guard (runId == nil) == (runManifestSha256 == nil) else { throw ValidationError("--run-id and --run-manifest-sha256 go together") }
        if let runId {
            let parts = runId.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, parts.allSatisfy({ PlainName.problem($0) == nil }) else {
                throw ValidationError("--run-id '\(runId)' must be <pipeline>/<run folder>, two plain names")
            }
        }
        if let hex = runManifestSha256, hex.count != 64 || !hex.allSatisfy(\.isHexDigit) {
            throw ValidationError("--run-manifest-sha256 must be 64 hexadecimal digits")
        }
    }

    func runStage(log: Logger) throws -> PublishSummary {
        let start = Date()
        var rules: ChampionChallengerGate? = nil
        if options.gate {
            var challenger = ChallengerGate(tolerances: options.tolerances.gate, floors: try options.floors.map(Floors.read), relevance: options.relevance)
            challenger.protocolMetrics = try protocolMetrics.map(MetricsReport.readProtocolMetrics)
            rules = ChampionChallengerGate(rules: challenger, data: try data.map { (try RatingsFile.read($0), $0) })
        }
        let lineage = runId.map { Lineage(pipeline: String($0.prefix { $0 != "/" }), id: $0, manifestSHA256: runManifestSha256!) }
        let result: ModelStore.PublishResult
        do {
            result = try store.modelStore.publish(model: input, name: name, gate: rules, promote: options.promote,
                                                  codeVersion: ProjectorVersion.codeVersion, run: lineage)
        } catch let refusal as GateRefusal {
            try writeReport(refusal.decision.record)
            throw refusal
        }
        if let decision = result.gate { try writeReport(decision.record) }
        var removed: [Int] = []
        if let keep = options.keep {
            // Published already: a failed clean-up is a warning, not a failed publish (which a
            // pipeline would run again, publishing the same model twice).
            do { removed = try store.modelStore.gc(name, keep: keep) } catch {
                log.warning("published \(name)@\(result.version), but removing older versions (--keep \(keep)) failed: \(error)")
            }
        }
        log.info("published \(name)@\(result.version) (\(result.manifest.size) bytes, sha256 \(result.manifest.sha256.prefix(12))…)\(result.promoted ? ", now production" : "") in \(String(format: "%.2f", Date().timeIntervalSince(start))) s → \(store.root)")
        return PublishSummary(name: name, version: result.version, production: result.promoted,
                              sha256: result.manifest.sha256, store: store.root, removed: removed)
    }

    func writeReport(_ record: JSONValue) throws {
        guard let gateReport else { return }
        try AtomicFile.write(JSON.data(record, pretty: true), to: gateReport)
    }
}
