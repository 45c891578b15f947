import ArgumentParser
import Essentials
import Evaluation
import Foundation
import Logging
import Models
import MovieLens
import StageContract
import StageKit

/// `evaluate`: a model file + the ratings file it was trained from → metrics.json (+ report.html),
/// with the metrics also recorded in the model file, and an optional quality gate.
struct EvaluateCommand: StageCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure a model on held-out ratings against baselines; write metrics.json and report.html.",
        discussion: """
            RMSE and MAE from the rating head (n/a for ranking-only models), and from the ranking head for each k: precision, recall, NDCG, MAP, hit rate \
            and catalogue coverage, next to global-mean, bias-only and popularity baselines. With --reference, \
            compares against a previous metrics.json and exits 3 when quality regressed beyond the tolerances. \
            Exit codes: 0 success, 1 failure, 2 bad usage or bad input, 3 quality gate refused.
            """)

    @Option(help: "The model (projector.model HDF5 file). Its metric_* attributes are updated.") var model: String
    @Option(help: "The ratings file the model was trained from (projector.ratings).") var data: String
    @Option(help: "Where to write metrics.json.") var output: String
    @Option(help: "Also write a self-contained HTML report here.") var report: String?

    @OptionGroup var options: EvaluateOptions

    @Option(help: "A previous metrics.json to compare against (the quality gate).") var reference: String?

    @Flag(help: "Do not record the metrics in the model file.")
    var noRecord = false

    @Option(help: "Write the model with its metrics here instead of updating --model in place.") var modelOutput: String?

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        let gateK = options.tolerances.gateK
        if reference != nil, !options.k.contains(gateK) {
            throw ValidationError("--gate-k \(gateK) must be one of --k \(options.k.map(String.init).joined(separator: " ")) (the gate compares precision@\(gateK))")
        }
        try PathCheck.input(model, option: "--model")
        try PathCheck.input(data, option: "--data")
        if let reference { try PathCheck.input(reference, option: "--reference") }
        try PathCheck.output(output)
        if let report { try PathCheck.output(report, option: "--report") }
        if let modelOutput { try PathCheck.output(modelOutput, option: "--model-output") }
    }

    func runStage(log: Logger) throws -> JSONValue {
        let file = try ModelFile.read(model)
        let table = try RatingsFile.read(data)
        let referenceMetrics = try reference.map(MetricsReport.readMetrics)
        let spec = options.evaluationProtocol
        if table.split.kind == .newUsers || table.split.kind == .newMovies {
            return try coldStart(file: file, table: table, referenceMetrics: referenceMetrics, log: log)
        }
        let evaluation = try Evaluator.evaluate(model: file, data: table, protocol: spec)
        let metrics = try MetricsReport(evaluation: evaluation, model: file, modelPath: model, data: table, spec: spec)
        try write(metrics, file: file, html: { HTMLReport.render(report: metrics, evaluation: evaluation, model: file) })
        log.info("evaluated \(file.algorithm) on \(table.testCount) held-out ratings, \(evaluation.ranking.usersEvaluated) users, in \(String(format: "%.2f", evaluation.seconds)) s → \(output)")
        // The table is for people (stderr, the step's log; not with --quiet); the result is the summary.
        if log.logLevel <= .info { StandardError.write(metrics.table() + "\n") }
        if let referenceMetrics {
            let regressions = options.tolerances.gate.regressions(current: metrics.metrics, reference: referenceMetrics)
            if !regressions.isEmpty {
                throw EvaluationError(.qualityGate, "quality gate refused against \(reference!): " + regressions.map(\.description).joined(separator: "; "))
            }
            log.info("quality gate passed against \(reference!)")
        }
        return summary(metrics)
    }

    /// A `new-users` or `new-movies` split: its protocol (`ColdStartEvaluation`), the same outputs.
    func coldStart(file: ModelFile, table: RatingsTable, referenceMetrics: [String: Double?]?, log: Logger) throws -> JSONValue {
        guard referenceMetrics == nil else {
            throw EvaluationError(.badInput, "--reference compares the default protocol's rmse and precision@k; the \(table.split.name) protocol is guarded by the gate's floors (publish --floors)")
        }
        let evaluation = try ColdStartEvaluation.evaluate(model: file, data: table, relevance: options.relevance)
        let metrics = try MetricsReport(coldStart: evaluation, model: file, modelPath: model, data: table, relevance: options.relevance)
        try write(metrics, file: file, html: { HTMLReport.render(report: metrics, coldStart: evaluation, model: file) })
        log.info("evaluated \(file.algorithm) by the \(table.split.name) protocol on \(evaluation.targets) held-out ratings, \(evaluation.usersEvaluated) users, in \(String(format: "%.2f", evaluation.seconds)) s → \(output)")
        if log.logLevel <= .info { StandardError.write(metrics.table() + "\n") }
        return summary(metrics)
    }

    /// metrics.json, the report when asked, and the metrics recorded in the model file.
    func write(_ metrics: MetricsReport, file: ModelFile, html: () -> String) throws {
        try AtomicFile.write(metrics.json, to: output)
        if let report { try AtomicFile.write(Data(html().utf8), to: report) }
        if !noRecord {
            var recorded = file
            recorded.metrics = metrics.attributes
            try recorded.write(to: modelOutput ?? model)
        }
    }

    func summary(_ metrics: MetricsReport) -> JSONValue {
        ["output": .string(output), "model": .string(modelOutput ?? model), "metrics": .object(metrics.metrics.mapValues { $0.map(JSONValue.number) ?? .null })]
    }
}
