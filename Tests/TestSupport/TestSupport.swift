import ArtifactStore
import Evaluation
import Foundation
import LinearAlgebra
import Models
import MovieLens
import Testing

/// Helpers every test target shares (one copy of each).

/// A new, empty folder under the system temp dir; the caller removes it.
public func scratchFolder() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("projector-test-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A path under the system temp dir that does not exist yet.
public func scratchPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("projector-test-\(UUID().uuidString)-\(name)").path
}

/// Whether a test of real release `name` should run: when the data is here, and always on CI
/// (where missing data must fail, not skip). Elsewhere a test without its data shows as skipped:
///
///     @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR"))
public func realDataRuns(_ name: String) -> Bool {
    DataLocator.folder(name) != nil || ProcessInfo.processInfo.environment["CI"] == "true"
}

/// The real MovieLens release `name` (e.g. "ml-100k") under `MOVIELENS_DIR`, or nil — a skip with a
/// note — when it is absent on a developer's machine. On CI (`CI=true`) a missing release is a
/// failure, never a skip.
public func realDataset(_ name: String) -> String? {
    if let folder = DataLocator.folder(name) { return folder }
    if ProcessInfo.processInfo.environment["CI"] == "true" {
        Issue.record("MovieLens \(name) is missing under \(DataLocator.root): CI must set MOVIELENS_DIR")
    } else {
        print("note: MovieLens \(name) not found under \(DataLocator.root); set MOVIELENS_DIR to run this test")
    }
    return nil
}

/// Real MovieLens 100K as if its last ratings had arrived later: `dir/old/` holds the ratings
/// before the `share` quantile of timestamps (u.data, u.item, u.genre), `dir/new/` the same plus
/// the rest as one update file (`updates/2026-11-29.csv`). Nil (skip, or a CI failure) without
/// the data.
public func ml100kArrivingLater(in dir: URL, share: Double = 0.85) throws -> (old: String, new: String)? {
    guard let source = realDataset("ml-100k") else { return nil }
    let lines = try String(contentsOfFile: source + "/u.data", encoding: .utf8).split(separator: "\n")
    let stamps = lines.map { Int($0.split(separator: "\t")[3])! }.sorted()
    let cut = stamps[Int(Double(stamps.count) * share)]
    var oldLines = "", newLines = "userId,movieId,rating,timestamp\n"
    var oldMovies = Set<Substring>()
    for line in lines {
        let fields = line.split(separator: "\t")
        if Int(fields[3])! < cut { oldLines += line + "\n"; oldMovies.insert(fields[1]) } else { newLines += fields.joined(separator: ",") + "\n" }
    }
    // The earlier release lists only the movies it has ratings of (the later ones did not exist
    // yet); u.item is ISO-8859-1, filtered as bytes by its leading id.
    let items = try Data(contentsOf: URL(fileURLWithPath: source + "/u.item"))
    let earlierItems = Data(items.split(separator: UInt8(ascii: "\n")).filter { line in
        oldMovies.contains(Substring(String(decoding: line.prefix { $0 != UInt8(ascii: "|") }, as: UTF8.self)))
    }.map { Data($0) + Data([UInt8(ascii: "\n")]) }.joined())
    var folders: [String] = []
    for name in ["old", "new"] {
        let folder = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: source + "/u.genre", toPath: folder.appendingPathComponent("u.genre").path)
        if name == "old" {
            try earlierItems.write(to: folder.appendingPathComponent("u.item"))
        } else {
            try FileManager.default.copyItem(atPath: source + "/u.item", toPath: folder.appendingPathComponent("u.item").path)
        }
        try oldLines.write(to: folder.appendingPathComponent("u.data"), atomically: true, encoding: .utf8)
        if name == "new" {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("updates"), withIntermediateDirectories: true)
            try newLines.write(to: folder.appendingPathComponent("updates/2026-11-29.csv"), atomically: true, encoding: .utf8)
        }
        folders.append(folder.path)
    }
    return (folders[0], folders[1])
}

/// RMSE, precision@10 and the users evaluated, recomputed independently by numpy/h5py
/// (`Tests/python/check_metrics.py`) from a model file and a ratings file.
public func checkMetrics(model: String, ratings: String) throws -> [String: Double] {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("python/check_metrics.py").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", script, model, ratings]
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let output = out.fileHandleForReading.readDataToEndOfFile()
    let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "check_metrics.py failed (numpy and h5py installed? Scripts/setup does it): \(errors)")
    return try JSONSerialization.jsonObject(with: output) as! [String: Double]
}

/// A copy of HDF5 file `source` at `destination` written by h5py, without the datasets `dropping`
/// and with `format_version` set to `version`: how an older Projector wrote the file.
public func olderVersion(of source: String, at destination: String, version: Int, dropping: [String]) throws {
    let script = """
        import h5py, sys
        src, dst = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "w")
        for name in src: src.copy(src[name], dst, name)
        for key, value in src.attrs.items(): dst.attrs[key] = value
        for path in sys.argv[4:]: del dst[path]
        dst.attrs["format_version"] = int(sys.argv[3])
        dst.close()
        """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script, source, destination, String(version)] + dropping
    let err = Pipe()
    process.standardError = err
    try process.run()
    let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "python3 with h5py is needed (Scripts/setup installs it): \(errors)")
}

public func scratchStore() -> String { scratchFolder().path }

/// A scratch store with a small model file at `<root>/m.h5` published `versions` times as `name`.
/// The caller removes `root`.
public func publishedStore(_ name: String, versions: Int, promote: Bool = false) throws -> (root: String, store: ModelStore, model: String) {
    let root = scratchStore()
    let store = ModelStore(root: root)
    let model = root + "/m.h5"
    try writeModel(model, rmse: 0.9, precision: 0.1)
    for _ in 0..<versions { _ = try store.publish(model: model, name: name, promote: promote, codeVersion: "test") }
    return (root, store, model)
}

/// A model file with given metrics: a small rank-2 factor model on 6 users × 5 movies.
public func writeModel(_ path: String, rmse: Double?, precision: Double, seed: UInt64 = 1) throws {
    var rows: [(Int32, Int32, Float, UInt8)] = []
    for u in 0..<6 { for m in 0..<5 where (u + m) % 3 != 0 { rows.append((Int32(u), Int32(m), Float(1 + (u * m) % 5), (u + m) % 4 == 0 ? 1 : 0)) } }
    let table = RatingsTable(
        kind: "test", scale: .wholeStars, user: rows.map(\.0), movie: rows.map(\.1), rating: rows.map(\.2),
        timestamp: rows.map { _ in 0 }, isTest: rows.map(\.3), userIDs: (1...6).map(Int64.init), movieIDs: [10, 20, 30, 40, 50],
        titles: ["Toy Story (1995)", "Toy Story 2 (1999)", "Heat (1995)", "Casino (1995)", "Babe (1995)"],
        years: [1995, 1999, 1995, 1995, 1995], genres: ["", "", "", "", ""], split: .default, duplicatesDropped: 0,
        sourceFiles: [], sourceSHA256: [], fingerprint: "fixture")
    let data = try TrainingSet.normalise(table, method: .none)
    var rng = SeededGenerator(seed: seed)
    let model = FactorModel(globalMean: 3, userBias: [Float](repeating: 0, count: 6), movieBias: [0.1, 0.2, 0.3, 0.4, 0.5],
                            userFactors: rng.gaussianMatrix(rows: 6, columns: 2), movieFactors: rng.gaussianMatrix(rows: 5, columns: 2))
    var file = ModelFile(algorithm: try ALS.make(["rank": 2]), trained: TrainedModel(model: .factors(model), curve: TrainingCurve()),
                         data: data, neighbours: Neighbours.compute(vectors: model.movieFactors, k: 3), createdBy: "test")
    file.metrics = ["rmse": rmse ?? .nan, "precision@10": precision]
    try file.write(to: path)
}

/// A two-headed model trained in-process on real ML-100K (`split`): ALS rank 16 (rating head)
/// and EASE with liked weights (ranking head), combined as the nightly's model is, and the
/// ingested table. Nil (skip, or a CI failure) without the data.
public func ml100kServedModel(split: SplitStrategy, sparse: Bool = true) throws -> (file: ModelFile, table: RatingsTable)? {
    guard let folder = realDataset("ml-100k") else { return nil }
    let table = try Ingest.load(IngestSource(input: folder, split: split))
    let data = try TrainingSet.normalise(table, method: .none)
    let als = try ALS.make(["rank": 16, "iterations": 10])
    let alsFile = ModelFile(algorithm: als, trained: try als.fit(data), data: data,
                            neighbours: Neighbours(index: [], score: [], k: 0), createdBy: "test")
    let ease = try EASE.make(["lambda": 500, "liked_input_weight": 0.5, "liked_target_weight": 1, "keep_entries": sparse ? 200 : 0])
    let trained = try ease.fit(data)
    let easeFile = ModelFile(algorithm: ease, trained: trained, data: data,
                             neighbours: Neighbours.strongestWeights(of: trained.model, k: 10), createdBy: "test")
    var combined = try ModelFile.combine(rating: alsFile, ranking: easeFile, neighboursFrom: .ranking, createdBy: "test")
    // Through the file, as every consumer reads it (the fold-in state is made when it is written).
    let path = scratchPath("served.h5")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try combined.write(to: path)
    combined = try ModelFile.read(path)
    return (combined, table)
}
