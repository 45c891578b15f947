import ArgumentParser
import Essentials
import Foundation
import Logging
import Models
import MovieLens
import StageKit

/// `normalise`: a projector.ratings file → a projector.normalised file (training values + terms).
struct NormaliseCommand: StageCommand {
    static let configuration = CommandConfiguration(
        commandName: "normalise",
        abstract: "Centre the training ratings and write the values a factoriser fits, plus the terms to add back.",
        discussion: """
            Methods: none, item-mean (subtract each movie's mean: the classic recipe), user-mean, baseline \
            (global mean + user bias + movie bias by regularised alternating least squares). Only training \
            ratings are used to fit anything. --input: the ingested ratings (projector.ratings); --output: the \
            projector.normalised file. Exit codes: 0 success, 1 failure, 2 bad usage or bad input.
            """)

    @OptionGroup var files: StageFiles

    @Option(help: "none, item-mean, user-mean or baseline.")
    var method: String = "baseline"

    @Option(help: "baseline: regularisation λ of the biases (≥ 0).")
    var lambda: Double = 10

    @Option(help: "baseline: alternating rounds (≥ 1).")
    var iterations: Int = 10

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard NormalisationMethod(rawValue: method) != nil else {
            throw ValidationError("--method must be one of \(NormalisationMethod.allCases.map(\.rawValue).joined(separator: ", ")), not '\(method)'")
        }
        guard lambda >= 0 && lambda <= 1e9 else { throw ValidationError("--lambda must be between 0 and 1e9, not \(lambda)") }
        guard iterations >= 1 && iterations <= 10_000 else { throw ValidationError("--iterations must be between 1 and 10000, not \(iterations)") }
    }

    func runStage(log: Logger) throws -> String {
        let table = try RatingsFile.read(files.input)
        let set = try TrainingSet.normalise(table, method: NormalisationMethod(rawValue: method)!, lambda: lambda, iterations: iterations)
        try set.write(to: files.output, createdBy: ProjectorVersion.createdBy("normalise"))
        log.info("\(method): \(set.trainValue.count) training values, \(set.testRating.count) held out, global mean \(set.terms.globalMean) → \(files.output)")
        return JSON.line([
            "output": .string(files.output), "method": .string(method), "train": .int(set.trainValue.count),
            "test": .int(set.testRating.count), "global_mean": .number(Double(set.terms.globalMean)),
        ] as JSONValue)
    }
}
