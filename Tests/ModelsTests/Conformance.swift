import Foundation
import LinearAlgebra
import Models
import Testing
import TestSupport

/// The suite every algorithm passes. An algorithm's own test file supplies only a factory
/// (`rank → Algorithm` configured to converge on small exact problems) and calls `run`.
enum Conformance {
    /// `recovery`: the train RMSE an algorithm must reach on an exact rank-2 matrix (a sampler
    /// keeps some posterior noise).
    static func run(recovery: Double = 2e-3, _ make: (Int) throws -> any Algorithm) throws {
        try deterministicForASeed(make)
        try refusesRanksOutsideTheData(make)
        try recoversAnExactLowRankMatrix(make, tolerance: recovery)
        try predictionsAreFiniteAndOnTheScale(make)
        try survivesASaveAndLoad(make)
    }

    static func small() throws -> TrainingSet {
        var rng = SeededGenerator(seed: 3)
        var train: [(Int, Int, Float)] = [], test: [(Int, Int, Float)] = []
        for u in 0..<30 {
            for m in 0..<20 where rng.nextUniform() < 0.5 {
                let rating = Float(1 + (u * 7 + m * 3) % 5)
                if rng.nextUniform() < 0.15 { test.append((u, m, rating)) } else { train.append((u, m, rating)) }
            }
        }
        return try trainingSet(users: 30, movies: 20, train: train, test: test, method: .baseline, scale: .wholeStars)
    }

    static func deterministicForASeed(_ make: (Int) throws -> any Algorithm) throws {
        let data = try small()
        let a = try make(4).fit(data).model.factors!, b = try make(4).fit(data).model.factors!
        #expect(a.userFactors == b.userFactors && a.movieFactors == b.movieFactors)
        #expect(a.userBias == b.userBias && a.movieBias == b.movieBias)
    }

    static func refusesRanksOutsideTheData(_ make: (Int) throws -> any Algorithm) throws {
        let data = try small()
        for rank in [21, 1000] {
            let algorithm = try make(rank)
            #expect(throws: ModelsError.badParameter("\(algorithm.name): rank \(rank) must be between 1 and min(users, movies) = 20")) {
                try algorithm.fit(data)
            }
        }
    }

    static func recoversAnExactLowRankMatrix(_ make: (Int) throws -> any Algorithm, tolerance: Double) throws {
        let data = try trainingSet(users: 25, movies: 15, train: lowRankTriplets(users: 25, movies: 15, rank: 2))
        let trained = try make(3).fit(data)
        let train = data.curvePoint(trained.model.factors!).train
        #expect(train < tolerance, "train RMSE \(train) on an exact rank-2 matrix")
    }

    static func predictionsAreFiniteAndOnTheScale(_ make: (Int) throws -> any Algorithm) throws {
        let data = try small()
        let trained = try make(5).fit(data)
        #expect(trained.model.allFinite && trained.model.predictsRatings)
        #expect(trained.curve.trainRMSE.allSatisfy(\.isFinite) && trained.curve.testRMSE.allSatisfy(\.isFinite))
        for u in 0..<data.userCount {
            for m in 0..<data.movieCount {
                let value = data.metadata.clip(trained.model.factors!.rawPrediction(user: u, movie: m))
                #expect(value >= 1 && value <= 5)
            }
        }
    }

    static func survivesASaveAndLoad(_ make: (Int) throws -> any Algorithm) throws {
        let data = try small()
        let algorithm = try make(3)
        let trained = try algorithm.fit(data)
        let file = ModelFile(algorithm: algorithm, trained: trained, data: data,
                             neighbours: Neighbours.compute(vectors: trained.model.movieVectors, k: 5),
                             createdBy: "test")
        let path = scratchPath("model.h5")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try file.write(to: path)
        let back = try ModelFile.read(path)
        #expect(back.algorithm == algorithm.name && back.parametersJSON == algorithm.parametersJSON && back.seed == algorithm.seed)
        let saved = back.model.factors!, original = trained.model.factors!
        #expect(saved.userFactors == original.userFactors && saved.movieFactors == original.movieFactors)
        #expect(saved.userBias == original.userBias && saved.movieBias == original.movieBias)
        #expect(back.neighbours == file.neighbours && back.curve == trained.curve)
        #expect(back.trainingMovies.pointers == file.trainingMovies.pointers && back.trainingMovies.columns == file.trainingMovies.columns)
        #expect(back.metadata == data.metadata)
        for u in 0..<data.userCount { #expect(back.predict(user: u, movie: 3) == file.predict(user: u, movie: 3)) }
    }
}

struct AlgorithmConformance {
    @Test func svdExact() throws { try Conformance.run { try SVD.make(["rank": .integer($0), "solver": "exact"]) } }
    @Test func svdRandomized() throws {
        try Conformance.run { try SVD.make(["rank": .integer($0), "solver": "randomized", "oversampling": 6, "power_iterations": 6]) }
    }
    @Test func pca() throws { try Conformance.run { try PCA.make(["rank": .integer($0)]) } }
    @Test func als() throws { try Conformance.run { try ALS.make(["rank": .integer($0), "iterations": 80, "lambda": 1e-4]) } }
    @Test func bpmf() throws {
        try Conformance.run(recovery: 0.05) { try BPMF.make(["rank": .integer($0), "samples": 60, "burn_in": 20, "keep": 10]) }
    }
}
