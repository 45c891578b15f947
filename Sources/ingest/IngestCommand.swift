import ArgumentParser
import Foundation
import Logging
import MovieLens
import StageKit

/// `ingest`: a MovieLens folder (or a plain CSV) → one `projector.ratings` HDF5 file.
struct IngestCommand: StageCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Read MovieLens ratings, split them, and write a projector.ratings HDF5 file.",
        discussion: """
            Detects ml-100k, ml-1m, ml-10m and the CSV releases (ml-20m, ml-25m, ml-32m, ml-latest, \
            ml-latest-small) from the files in --input (a MovieLens folder, or a user,item,rating[,timestamp] \
            CSV file with --format csv); --output is the projector.ratings file. Prints a JSON summary on stdout.
            Exit codes: 0 success, 1 failure, 2 bad usage or bad input.
            """)

    @OptionGroup var files: StageFiles

    @Option(help: "auto (detect the MovieLens release) or csv (a generic user,item,rating[,timestamp] file).")
    var format: String = "auto"

    @Option(help: "Split strategy: hash, files (ml-100k's predefined splits) or temporal.")
    var split: String = "hash"

    @Option(help: "hash split: seed.")
    var seed: UInt64 = 42

    @Option(help: "hash split: fraction of ratings held out, in (0, 1).")
    var testFraction: Double = 0.1

    @Option(help: "files split: which predefined ml-100k split (u1…u5, ua, ub).")
    var splitName: String = "u1"

    @Option(help: "temporal split: how many of each user's latest ratings are held out.")
    var holdoutPerUser: Int = 5

    @Option(help: "Override the rating scale's minimum (default: the release's).")
    var ratingMin: Float?

    @Option(help: "Override the rating scale's maximum (default: the release's).")
    var ratingMax: Float?

    @Option(help: "Override the rating scale's step (default: the release's).")
    var ratingStep: Float?

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard ["auto", "csv"].contains(format) else { throw ValidationError("--format must be auto or csv, not '\(format)'") }
        guard ["hash", "files", "temporal"].contains(split) else {
            throw ValidationError("--split must be hash, files or temporal, not '\(split)'")
        }
        guard testFraction > 0 && testFraction < 1 else { throw ValidationError("--test-fraction must be in (0, 1), not \(testFraction)") }
        guard holdoutPerUser > 0 else { throw ValidationError("--holdout-per-user must be at least 1") }
        guard SplitStrategy.predefinedSplits.contains(splitName) else {
            throw ValidationError("--split-name must be one of \(SplitStrategy.predefinedSplits.joined(separator: ", "))")
        }
        if ratingMin != nil || ratingMax != nil || ratingStep != nil {
            guard let ratingMin, let ratingMax, let ratingStep, ratingMin < ratingMax, ratingStep > 0,
                  abs(ratingMin) <= 1e6, abs(ratingMax) <= 1e6, ratingStep <= ratingMax - ratingMin else {
                throw ValidationError("--rating-min, --rating-max and --rating-step go together, with min < max, step > 0 and at most max − min, all within ±1e6")
            }
        }
    }

    func runStage(log: Logger) throws -> String {
        let strategy: SplitStrategy = switch split {
        case "files": .files(name: splitName)
        case "temporal": .temporal(perUser: holdoutPerUser)
        default: .hash(seed: seed, fraction: testFraction)
        }
        let scale = ratingMin.map { RatingScale(minimum: $0, maximum: ratingMax!, step: ratingStep!) }
        let start = Date()
        let table = try Ingest.load(IngestOptions(input: files.input, genericCSV: format == "csv", split: strategy, scale: scale))
        try RatingsFile.write(table, sourcePath: files.input, to: files.output, createdBy: ProjectorVersion.createdBy("ingest"))
        log.info("\(table.kind): \(table.count) ratings, \(table.userCount) users, \(table.movieCount) movies; \(table.trainCount) train / \(table.testCount) held out (\(strategy)) in \(String(format: "%.2f", Date().timeIntervalSince(start))) s → \(files.output)")
        if table.duplicatesDropped > 0 {
            log.warning("\(table.duplicatesDropped) duplicate (user, movie) ratings dropped; the latest timestamp kept")
        }
        let untitled = Ingest.moviesWithoutTitles(table)
        if untitled > 0 { log.warning("\(untitled) rated movies have no metadata line (empty title)") }
        return IngestSummary.line(table: table, output: files.output)
    }
}
