import ArgumentParser
import Essentials
import Foundation
import Logging
import Models
import StageContract
import StageKit

/// `combine`: two projector.model files trained on the same data → one two-headed model.
///
///     combine --rating bpmf.h5 --ranking ease.h5 --output served.h5
struct CombineCommand: StageCommand {
    static let configuration = CommandConfiguration(
        commandName: "combine",
        abstract: "Join a rating model and a ranking model trained on the same data into one two-headed projector.model file.",
        discussion: """
            The rating head (rating predictions) comes from --rating, which must predict ratings (\(Algorithms.ratingNames.joined(separator: ", "))); \
            the ranking head (recommendations) from --ranking (its ranking head, e.g. ease, or a factor model). The two must \
            share data fingerprint, split, users, movies and training ratings: train both from one ingest. "Movies like \
            this one" keep the neighbours of --neighbours-from. Exit codes: 0 success, 1 failure, 2 bad usage or bad input \
            (nothing is written).
            """)

    @Option(help: "The model whose rating head predicts ratings (projector.model).") var rating: String
    @Option(help: "The model whose ranking head orders recommendations (projector.model).") var ranking: String
    @Option(help: "Where to write the two-headed model.") var output: String

    @OptionGroup var options: CombineOptions

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        try PathCheck.input(rating, option: "--rating")
        try PathCheck.input(ranking, option: "--ranking")
        try PathCheck.output(output)
    }

    func runStage(log: Logger) throws -> JSONValue {
        let neighboursFrom = options.neighboursFrom
        let combined = try ModelFile.combine(
            rating: try ModelFile.read(rating), ranking: try ModelFile.read(ranking),
            neighboursFrom: neighboursFrom, createdBy: ProjectorVersion.createdBy("combine"),
            names: ("--rating \(rating)", "--ranking \(ranking)"))
        try combined.write(to: output)
        log.info("rating head \(combined.rating!.algorithm), ranking head \(combined.rankingHead.algorithm), neighbours from \(neighboursFrom.rawValue) → \(output)")
        return [
            "output": .string(output), "algorithm": .string(combined.algorithm),
            "rating": .string(combined.rating!.algorithm), "ranking": .string(combined.rankingHead.algorithm),
        ]
    }
}
