import Foundation
import Testing
@_exported import TestSupport

/// Runs a stage executable built next to the test bundle, as a cron job or the runner would.
struct StageRun {
    var status: Int32
    var stdout: String
    var stderr: String
}

func productsFolder() -> URL {
    URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
}

func runStage(_ name: String, _ arguments: [String], environment: [String: String] = [:]) throws -> StageRun {
    let process = Process()
    process.executableURL = productsFolder().appendingPathComponent(name)
    process.arguments = arguments
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Both pipes drained at once: a stage that fills one (a long fit's progress events on
    // stderr) while the other is read to its end would block forever.
    nonisolated(unsafe) var errData = Data()
    let errDone = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        errData = err.fileHandleForReading.readDataToEndOfFile()
        errDone.signal()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    errDone.wait()
    process.waitUntilExit()
    return StageRun(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                    stderr: String(decoding: errData, as: UTF8.self))
}

/// The two-headed model the served-answer tests measure, made by the real executables in `dir`
/// from MovieLens `folder` with the ingest options `split`: ALS rank 8 (rating head) and sparse EASE
/// with liked weights (ranking head), combined, evaluated (`metrics.json`) and published as `ml`
/// (production) into `dir/store`. Returns the paths of `dir`'s files by name.
func publishedTwoHeaded(from folder: String, split: [String], in dir: URL) throws -> (String) -> String {
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
    func run(_ stage: String, _ arguments: [String]) throws {
        let result = try runStage(stage, arguments + ["--quiet"])
        try #require(result.status == 0, "\(stage): \(result.stderr)")
    }
    try run("ingest", ["--input", folder, "--output", path("ratings.h5")] + split)
    try run("normalise", ["--input", path("ratings.h5"), "--output", path("train.h5"), "--method", "none"])
    try run("factorise", ["--input", path("train.h5"), "--output", path("als.h5"), "--algorithm", "als", "--rank", "8", "--iterations", "5"])
    try run("factorise", ["--input", path("train.h5"), "--output", path("ease.h5"), "--algorithm", "ease", "--lambda", "500",
                          "--liked-input-weight", "0.5", "--liked-target-weight", "1", "--keep-entries", "300"])
    try run("combine", ["--rating", path("als.h5"), "--ranking", path("ease.h5"), "--output", path("served.h5")])
    try run("evaluate", ["--model", path("served.h5"), "--data", path("ratings.h5"), "--output", path("metrics.json")])
    try run("publish", ["--input", path("served.h5"), "--name", "ml", "--store", path("store"), "--promote"])
    return path
}

/// A tiny ML-1M-layout folder `dir/ml` (30 users × 20 movies, three in four rated): for pipeline
/// runs that need a data folder and no real MovieLens.
func tinyMovieLens(in dir: URL) throws -> URL {
    let data = dir.appendingPathComponent("ml")
    try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
    var ratings = ""
    for user in 1...30 { for movie in 1...20 where (user * 7 + movie * 3) % 4 != 0 {
        ratings += "\(user)::\(movie)::\(1 + (user + movie * 2) % 5)::\(user * 100 + movie)\n"
    } }
    try ratings.write(to: data.appendingPathComponent("ratings.dat"), atomically: true, encoding: .utf8)
    try "1::F::1::10::1\n".write(to: data.appendingPathComponent("users.dat"), atomically: true, encoding: .utf8)
    try (1...20).map { "\($0)::Movie \($0) (19\(50 + $0))::Drama\n" }.joined()
        .write(to: data.appendingPathComponent("movies.dat"), atomically: true, encoding: .utf8)
    return data
}
