import ArgumentParser
import Foundation
import Logging
import MovieLens
import StageContract
import StageKit

/// `ingest`: a MovieLens folder (or a plain CSV) → one `projector.ratings` HDF5 file.
struct IngestCommand: StageCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Read MovieLens ratings, split them, and write a projector.ratings HDF5 file.",
        discussion: """
            Detects ml-100k, ml-1m, ml-10m and the CSV releases (ml-20m, ml-25m, ml-32m, ml-latest, \
            ml-latest-small) from the files in --input (a MovieLens folder, or a user,item,rating[,timestamp] \
            CSV file with --format csv); --output is the projector.ratings file. Prints its stage result (JSON, with a summary) on stdout.
            Exit codes: 0 success, 1 failure, 2 bad usage or bad input.
            """)

    @OptionGroup var files: StageFiles

    @Option(help: "auto (detect the MovieLens release) or csv (a generic user,item,rating[,timestamp] file).")
    var format: DataFormat = .auto

    @OptionGroup var options: IngestOptions

    @OptionGroup var logging: LoggingOptions

    func runStage(log: Logger) throws -> IngestSummary {
        let strategy = options.strategy
        let start = Date()
        let table = try Ingest.load(IngestSource(input: files.input, genericCSV: format == .csv, split: strategy, scale: options.scale))
        try RatingsFile.write(table, sourcePath: files.input, to: files.output, createdBy: ProjectorVersion.createdBy("ingest"))
        log.info("\(table.kind): \(table.count) ratings, \(table.userCount) users, \(table.movieCount) movies; \(table.trainCount) train / \(table.testCount) held out (\(strategy)) in \(String(format: "%.2f", Date().timeIntervalSince(start))) s → \(files.output)")
        if table.duplicatesDropped > 0 {
            log.warning("\(table.duplicatesDropped) duplicate (user, movie) ratings dropped; the latest timestamp kept")
        }
        let untitled = Ingest.moviesWithoutTitles(table)
        if untitled > 0 { log.warning("\(untitled) rated movies have no metadata line (empty title)") }
        return IngestSummary(table: table, output: files.output)
    }
}
