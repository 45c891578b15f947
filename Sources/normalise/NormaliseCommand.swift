import ArgumentParser
import Essentials
import Foundation
import Logging
import Models
import MovieLens
import StageContract
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

    @OptionGroup var options: NormaliseOptions

    @OptionGroup var logging: LoggingOptions

    func runStage(log: Logger) throws -> JSONValue {
        let table = try RatingsFile.read(files.input)
        let method = options.method
        let set = try TrainingSet.normalise(table, method: method, lambda: options.lambda, iterations: options.iterations)
        try set.write(to: files.output, createdBy: ProjectorVersion.createdBy("normalise"))
        log.info("\(method.rawValue): \(set.trainValue.count) training values, \(set.testRating.count) held out, global mean \(set.terms.globalMean) → \(files.output)")
        return [
            "output": .string(files.output), "method": .string(method.rawValue), "train": .int(set.trainValue.count),
            "test": .int(set.testRating.count), "global_mean": .number(Double(set.terms.globalMean)),
        ]
    }
}
