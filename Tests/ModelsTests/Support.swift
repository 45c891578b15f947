import Foundation
import LinearAlgebra
import Models
import MovieLens
import Testing
import TestSupport

/// A training set built in memory from (user, movie, rating) triplets, normalised by `method`.
func trainingSet(
    users: Int, movies: Int, train: [(Int, Int, Float)], test: [(Int, Int, Float)] = [],
    method: NormalisationMethod = .none, scale: RatingScale = RatingScale(minimum: -100, maximum: 100, step: 0)
) throws -> TrainingSet {
    var table = RatingsTable(
        kind: "test", scale: scale, user: [], movie: [], rating: [], timestamp: [], isTest: [],
        userIDs: (0..<users).map { Int64($0 + 1) }, movieIDs: (0..<movies).map { Int64($0 + 1) },
        titles: (0..<movies).map { "Movie \($0 + 1)" }, years: [Int32](repeating: 0, count: movies),
        genres: [String](repeating: "", count: movies), split: .default, duplicatesDropped: 0,
        sourceFiles: [], sourceSHA256: [], fingerprint: "test")
    for (triplets, flag) in [(train, UInt8(0)), (test, UInt8(1))] {
        for (u, m, r) in triplets {
            table.user.append(Int32(u))
            table.movie.append(Int32(m))
            table.rating.append(r)
            table.timestamp.append(Int64(table.timestamp.count) * 25_000)  // a few ratings a day, over many days
            table.isTest.append(flag)
        }
    }
    return try TrainingSet.normalise(table, method: method)
}

/// A fully observed users × movies matrix of exact rank `rank` (values around 3).
func lowRankTriplets(users: Int, movies: Int, rank: Int, seed: UInt64 = 7) -> [(Int, Int, Float)] {
    var rng = SeededGenerator(seed: seed)
    let p = rng.gaussianMatrix(rows: users, columns: rank, scale: 0.7)
    let q = rng.gaussianMatrix(rows: movies, columns: rank, scale: 0.7)
    var triplets: [(Int, Int, Float)] = []
    for u in 0..<users {
        for m in 0..<movies {
            var value: Float = 3
            for c in 0..<rank { value += p[u, c] * q[m, c] }
            triplets.append((u, m, value))
        }
    }
    return triplets
}

/// The real ML-100K u1 split, normalised by `method`, or nil (skip) off CI when absent.
func ml100kU1(_ method: NormalisationMethod) throws -> TrainingSet? {
    guard let folder = realDataset("ml-100k") else { return nil }
    let table = try Ingest.load(IngestSource(input: folder, split: .files(name: "u1")))
    return try TrainingSet.normalise(table, method: method)
}

