import Foundation
import HDF5
import LinearAlgebra
import Models
import Testing
import TestSupport

/// projector.model version 2 (heads) and the version-1 files written before it.
struct ModelFileVersionTests {
    /// A version-1 file, in the layout version 1 documented (one model in /model, its attributes
    /// at the root, the curve in /curve), reads as a one-head file that predicts and ranks the same.
    @Test func versionOneFilesStillRead() throws {
        let data = try Conformance.small()
        let als = try ALS.make(["rank": 3, "iterations": 4])
        let trained = try als.fit(data)
        let current = ModelFile(algorithm: als, trained: trained, data: data,
                                neighbours: Neighbours.compute(vectors: trained.model.movieVectors, k: 3), createdBy: "test")
        let factors = try #require(trained.model.factors)
        let path = scratchPath("v1.h5")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try writeHDF5Atomically(to: path) { file in
            for (name, value) in [("format", "projector.model"), ("algorithm", "als"), ("params", als.parametersJSON), ("model_kind", "factors"),
                                  ("normalisation", "baseline"), ("created_by", "projector 0.1 factorise")] {
                try file.setAttribute(name, value)
            }
            for (name, value) in [("format_version", Int64(1)), ("schema_version", 1), ("seed", 42), ("rank", 3), ("predicts_ratings", 1)] {
                try file.setAttribute(name, value)
            }
            try file.setAttribute("metric_rmse", 0.9)
            try data.metadata.write(to: file)
            let model = try file.createGroup("model")
            try model.setAttribute("global_mean", Double(factors.globalMean))
            try model.write("user_bias", factors.userBias)
            try model.write("movie_bias", factors.movieBias)
            try model.write("user_factors", factors.userFactors.values, shape: [factors.userCount, 3])
            try model.write("movie_factors", factors.movieFactors.values, shape: [factors.movieCount, 3])
            let near = try file.createGroup("neighbours")
            try near.setAttribute("k", Int64(3))
            try near.write("index", current.neighbours.index, shape: [data.movieCount, 3])
            try near.write("score", current.neighbours.score, shape: [data.movieCount, 3])
            let train = try file.createGroup("train")
            try train.write("user_ptr", current.trainingMovies.pointers.map(Int64.init))
            try train.write("movie", current.trainingMovies.columns)
            let curve = try file.createGroup("curve")
            try curve.write("iteration", trained.curve.iteration)
            try curve.write("train_rmse", trained.curve.trainRMSE)
            try curve.write("test_rmse", trained.curve.testRMSE)
        }
        let back = try ModelFile.read(path)
        #expect(back.ranking == nil && back.rating?.algorithm == "als" && back.algorithm == "als" && back.neighboursFrom == .rating)
        #expect(back.rating?.curve == trained.curve && back.metrics == ["rmse": 0.9] && back.neighbours == current.neighbours)
        for user in 0..<data.userCount {
            for movie in 0..<data.movieCount { #expect(back.predict(user: user, movie: movie) == current.predict(user: user, movie: movie)) }
        }
        // Written again, it is a version-2 file with the same answers.
        let again = scratchPath("v2.h5")
        defer { try? FileManager.default.removeItem(atPath: again) }
        try back.write(to: again)
        #expect(try HDF5File.open(again).attribute("format_version", as: Int64.self) == ModelFile.formatVersion)
        #expect(try ModelFile.read(again).predict(user: 1, movie: 2) == current.predict(user: 1, movie: 2))
    }

    /// combine: a rating head and a ranking head in one file, round trip; mismatched data refused.
    @Test func combinedFilesRoundTripAndMismatchesAreRefused() throws {
        let data = try Conformance.small()
        func file(_ algorithm: any Algorithm) throws -> ModelFile {
            let trained = try algorithm.fit(data)
            return ModelFile(algorithm: algorithm, trained: trained, data: data,
                             neighbours: Neighbours.compute(vectors: trained.model.movieVectors, k: 2), createdBy: "test")
        }
        let als = try file(ALS.make(["rank": 2, "iterations": 3])), ease = try file(EASE.make(["lambda": 5, "keep_entries": 4]))
        let combined = try ModelFile.combine(rating: als, ranking: ease, neighboursFrom: .ranking, createdBy: "test")
        #expect(combined.algorithm == "als+ease" && combined.neighbours == ease.neighbours)
        let path = scratchPath("combined.h5")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try combined.write(to: path)
        let back = try ModelFile.read(path)
        #expect(back.rating?.algorithm == "als" && back.ranking?.algorithm == "ease" && back.rankingHead.model.kind == "sparse-item-item")
        #expect(back.neighboursFrom == .ranking && back.predict(user: 0, movie: 1) == als.predict(user: 0, movie: 1))
        let training = data.byUser().binary()
        #expect(back.rankingHead.model.scores(users: 0..<5, training: training).values
                == ease.rankingHead.model.scores(users: 0..<5, training: training).values)

        #expect(throws: ModelsError.badParameter("--rating is ease, which predicts no ratings: the rating head must be a factor model (svd, pca, als, bpmf, bayesian-fm, spark-als)")) {
            try ModelFile.combine(rating: ease, ranking: als, neighboursFrom: .rating, createdBy: "test")
        }
        var other = ease
        other.metadata.splitParameters = #"{"fraction":0.2,"seed":1}"#
        #expect(throws: ModelsError.badParameter(#"--rating and --ranking were not trained on the same data: split \#(als.metadata.split) \#(als.metadata.splitParameters) ≠ \#(als.metadata.split) {"fraction":0.2,"seed":1}; train both from one ingest"#)) {
            try ModelFile.combine(rating: als, ranking: other, neighboursFrom: .rating, createdBy: "test")
        }
        other = ease
        other.trainingMovies.columns.swapAt(0, 1)
        #expect(throws: ModelsError.badParameter("--rating and --ranking were not trained on the same data: training ratings; train both from one ingest")) {
            try ModelFile.combine(rating: als, ranking: other, neighboursFrom: .rating, createdBy: "test")
        }
    }
}
