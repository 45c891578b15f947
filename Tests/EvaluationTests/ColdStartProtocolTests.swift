import Evaluation
import Foundation
import LinearAlgebra
import Models
import MovieLens
import Ranking
import Testing
import TestSupport

/// The cold-start protocols on real data (MovieLens 100K): what answers a movie without ratings
/// (EASE completed from content, the content baseline's stars) beats what does not, and the new-
/// users protocol measures the fold-in.
struct ColdStartProtocolTests {
    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR"))
    func newMoviesAreAnsweredFromContent() throws {
        guard let folder = realDataset("ml-100k") else { return }
        let table = try Ingest.load(IngestSource(input: folder, split: .newMovies(seed: 42)))
        let data = try TrainingSet.normalise(table, method: .none)
        var counts = [Int](repeating: 0, count: data.movieCount)
        for movie in data.trainMovie { counts[Int(movie)] += 1 }
        let cold = (0..<data.movieCount).filter { counts[$0] == 0 }
        #expect(cold.count > 200, "a fifth of ML-100K's movies are cold")
        var results: [String: ColdStartEvaluation] = [:]
        for completion in ["none", "content"] {
            let ease = try EASE.make(["lambda": 500, "liked_input_weight": 0.5, "liked_target_weight": 1, "cold_movies": .text(completion)])
            let trained = try ease.fit(data)
            guard case .itemItem(let model) = trained.model else { Issue.record("dense EASE"); return }
            let m = data.movieCount
            let coldColumns = cold.reduce(0) { sum, movie in sum + (0..<m).filter { model.weights.values[$0 * m + movie] != 0 }.count }
            #expect(completion == "none" ? coldColumns == 0 : coldColumns > cold.count * 100, "\(completion): \(coldColumns) weights into cold movies")
            let file = ModelFile(algorithm: ease, trained: trained, data: data, neighbours: Neighbours.strongestWeights(of: trained.model, k: 10), createdBy: "test")
            results[completion] = try ColdStartEvaluation.evaluate(model: file, data: table, relevance: 4)
            // A cold movie's neighbours come from its completed row.
            #expect(completion == "none" || !file.neighbours.of(cold[0]).isEmpty)
        }
        #expect(abs(results["none"]!.metrics["new_movies.auc"]! - 0.5) < 0.02, "no weights: every cold movie ties")
        #expect(results["content"]!.metrics["new_movies.auc"]! > 0.78)
        // Stars: the content baseline against the genre-mean baseline, on the same held-out ratings.
        let als = try ALS.make(["rank": 8, "iterations": 5])
        let alsFile = ModelFile(algorithm: als, trained: try als.fit(data), data: data, neighbours: Neighbours(index: [], score: [], k: 0), createdBy: "test")
        let path = scratchPath("als.h5")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try alsFile.write(to: path)
        let written = try ModelFile.read(path)
        #expect(written.coldMovies != nil)
        let stars = try ColdStartEvaluation.evaluate(model: written, data: table, relevance: 4)
        let own = try ColdStartEvaluation.evaluate(model: alsFile, data: table, relevance: 4)  // in memory: no content baseline
        let baseline = stars.baselines["genre_mean"]!["new_movies.rmse"]!
        #expect(stars.metrics["new_movies.rmse"]! < baseline - 0.01, "content baseline \(stars.metrics["new_movies.rmse"]!) vs genre mean \(baseline)")
        #expect(own.metrics["new_movies.rmse"]! > stars.metrics["new_movies.rmse"]!, "ALS's own cold predictions are worse")
    }
}
