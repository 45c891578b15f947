import ArtifactStore
import Foundation
import LinearAlgebra
import Models
import MovieLens

import TestSupport

func scratchStore() -> String { scratchFolder().path }

/// A scratch store with a small model file at `<root>/m.h5` published `versions` times as `name`.
/// The caller removes `root`.
func publishedStore(_ name: String, versions: Int, promote: Bool = false) throws -> (root: String, store: ModelStore, model: String) {
    let root = scratchStore()
    let store = ModelStore(root: root)
    let model = root + "/m.h5"
    try writeModel(model, rmse: 0.9, precision: 0.1)
    for _ in 0..<versions { _ = try store.publish(model: model, name: name, promote: promote, codeVersion: "test") }
    return (root, store, model)
}

/// A model file with given metrics: a small rank-2 factor model on 6 users × 5 movies.
func writeModel(_ path: String, rmse: Double?, precision: Double, seed: UInt64 = 1) throws {
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
