import ArgumentParser
import Essentials
import Foundation
import Logging
import Models
import SparkEngine
import StageContract
import StageKit

/// `factorise`: a projector.normalised file → a projector.model file.
///
/// The algorithm's parameters are not declared here: each algorithm declares its own (`Algorithms`),
/// and they arrive as `--name value` after the common options.
///
///     factorise --input train.h5 --output model.h5 --algorithm als --rank 32 --lambda 0.1
struct FactoriseCommand: StageCommand {
    static let configuration = CommandConfiguration(
        commandName: "factorise",
        abstract: "Train a recommendation model and write it, with its movie neighbours, as a projector.model file.",
        usage: "factorise --input <input> --output <output> [--algorithm <algorithm>] [--seed <seed>] [--neighbours <n>] [--PARAMETER <value> ...]",
        discussion: """
            --input: normalised training data (projector.normalised); --output: the projector.model file. \
            Each algorithm takes its own parameters as --name value; a parameter another algorithm has is \
            refused. Exit codes: 0 success, 1 failure (e.g. divergence), 2 bad usage or bad input.

            Algorithms and their parameters (default; range):
            \(Algorithms.helpText)
            """)

    @OptionGroup var files: StageFiles

    @OptionGroup var options: FactoriseOptions

    @OptionGroup var logging: LoggingOptions

    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The algorithm's parameters, as --name value (listed above).", valueName: "parameters"))
    var parameters: [String] = []

    /// `--rank 32 --init-scale=0.1` → ["rank": "32", "init_scale": "0.1"].
    func givenParameters() throws -> [String: String] {
        var given: [String: String] = [:]
        var index = 0
        while index < parameters.count {
            let word = parameters[index]
            guard word.hasPrefix("--"), word.count > 2 else {
                throw ValidationError("unexpected argument '\(word)': algorithm parameters are given as --name value")
            }
            var name = String(word.dropFirst(2)), value: String
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            } else {
                guard index + 1 < parameters.count else { throw ValidationError("\(word) needs a value") }
                value = parameters[index + 1]
                index += 1
            }
            let key = name.replacingOccurrences(of: "-", with: "_")
            guard given[key] == nil else { throw ValidationError("\(word) is given twice") }
            given[key] = value
            index += 1
        }
        return given
    }

    func makeAlgorithm() throws -> any Algorithm { try options.makeAlgorithm(parameters: try givenParameters()) }

    func validate() throws { _ = try makeAlgorithm() }

    func runStage(log: Logger) throws -> JSONValue {
        let algorithm = options.algorithm.name
        let data = try TrainingSet.read(files.input)
        let trainer = try makeAlgorithm()
        try trainer.validate(for: data)
        if let head = trainer as? any SparkHead {
            return try runOnSpark(head, data: data, log: log)
        }
        log.info("\(algorithm) \(trainer.parametersJSON) on \(data.userCount) users × \(data.movieCount) movies, \(data.trainValue.count) ratings")
        let start = Date()
        let trained = try trainer.fit(data) { step in
            Self.progress(done: step.iteration, total: step.of, trainRMSE: step.trainRMSE, testRMSE: step.testRMSE)
            log.info("\(algorithm) iteration \(step.iteration)/\(step.of): train RMSE \(String(format: "%.4f", step.trainRMSE)), held-out RMSE \(String(format: "%.4f", step.testRMSE))")
        }
        let seconds = Date().timeIntervalSince(start)
        let near = Neighbours.strongestWeights(of: trained.model, k: options.neighbours)
        let file = ModelFile(algorithm: trainer, trained: trained, data: data, neighbours: near,
                             createdBy: ProjectorVersion.createdBy("factorise"))
        try file.write(to: files.output)
        let test = trained.storedTestRMSE
        log.info("trained in \(String(format: "%.2f", seconds)) s; held-out RMSE \(String(format: "%.4f", test)) → \(files.output)")
        return [
            "output": .string(files.output), "algorithm": .string(algorithm), "params": trainer.values.jsonValue,
            "seconds": .number(seconds), "test_rmse": .number(test),
        ]
    }

    /// `--engine spark`: the head trained by Spark (`SparkTraining`), then the same file as in-process.
    func runOnSpark(_ head: any SparkHead, data: TrainingSet, log: Logger) throws -> JSONValue {
        let settings = try options.sparkSettings()
        log.info("\(head.name) \(head.parametersJSON) on Spark (\(settings.master)) for \(data.userCount) users × \(data.movieCount) movies, \(data.trainValue.count) ratings")
        let start = Date()
        let run = try SparkTraining.train(head, input: files.input, data: data, settings: settings, echo: !logging.quiet)
        let seconds = Date().timeIntervalSince(start)
        let parameters = run.parameters(head, conf: settings.conf)
        let near = Neighbours.strongestWeights(of: run.trained.model, k: options.neighbours)
        let file = ModelFile(algorithm: head, trained: run.trained, data: data, neighbours: near,
                             createdBy: ProjectorVersion.createdBy("factorise"), parametersJSON: JSON.line(parameters))
        try file.write(to: files.output)
        let test = run.trained.storedTestRMSE
        log.info("Spark application \(run.applicationID) (Spark \(run.sparkVersion)): export \(String(format: "%.2f", run.exportSeconds)) s, Spark \(String(format: "%.2f", run.sparkSeconds)) s, import \(String(format: "%.2f", run.importSeconds)) s; held-out RMSE \(String(format: "%.4f", test)) → \(files.output)")
        return [
            "output": .string(files.output), "algorithm": .string(head.name), "params": parameters,
            "seconds": .number(seconds), "test_rmse": .number(test), "engine": .string(TrainingEngine.spark.rawValue),
            "application_id": .string(run.applicationID), "spark_version": .string(run.sparkVersion), "master": .string(run.master),
            "phases": ["export_seconds": .number(run.exportSeconds), "spark_seconds": .number(run.sparkSeconds),
                       "import_seconds": .number(run.importSeconds)],
        ]
    }
}
