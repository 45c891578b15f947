import Evaluation
import Foundation
import LinearAlgebra
import Models
import MovieLens
import Testing
import TestSupport


/// An ingested table with a hand-chosen split: 3 users × 4 movies.
func tinyTable() -> RatingsTable {
    // (user, movie, rating, test)
    let rows: [(Int32, Int32, Float, UInt8)] = [
        (0, 0, 5, 0), (0, 1, 3, 0), (0, 2, 4, 1), (0, 3, 2, 1),
        (1, 0, 4, 0), (1, 2, 5, 0), (1, 1, 4, 1),
        (2, 1, 2, 0), (2, 3, 5, 0), (2, 0, 1, 1),
    ].sorted { ($0.0, $0.1) < ($1.0, $1.1) }
    return RatingsTable(
        kind: "test", scale: .wholeStars, user: rows.map(\.0), movie: rows.map(\.1), rating: rows.map(\.2),
        timestamp: rows.map { _ in 0 }, isTest: rows.map(\.3), userIDs: [1, 2, 3], movieIDs: [10, 20, 30, 40],
        titles: ["A", "B", "C", "D"], years: [0, 0, 0, 0], genres: ["", "", "", ""], split: .default,
        duplicatesDropped: 0, sourceFiles: [], sourceSHA256: [], fingerprint: "tiny")
}

struct EvaluatorTests {
    /// A factor model with hand-set parameters: predictions and rankings are computable by hand.
    func handModel(_ table: RatingsTable) throws -> ModelFile {
        let data = try TrainingSet.normalise(table, method: .none)
        // rank 1: P = [1, 0, -1], Q = [0.5, 0, 1, -0.5]; global 3; biases 0.
        let model = FactorModel(globalMean: 3, userBias: [0, 0, 0], movieBias: [0, 0, 0, 0],
                                userFactors: Matrix(rows: 3, columns: 1, values: [1, 0, -1]),
                                movieFactors: Matrix(rows: 4, columns: 1, values: [0.5, 0, 1, -0.5]))
        return ModelFile(algorithm: try SVD.make(["rank": 1]), trained: TrainedModel(model: .factors(model), curve: TrainingCurve()),
                         data: data, neighbours: Neighbours.compute(vectors: model.movieFactors, k: 2), createdBy: "test")
    }

    @Test func everyNumberByHand() throws {
        let table = tinyTable()
        let e = try Evaluator.evaluate(model: try handModel(table), data: table, protocol: EvaluationProtocol(ks: [1, 2]))
        // Held out: (0,2)=4 → 3+1·1 = 4; (0,3)=2 → 3−0.5 = 2.5; (1,1)=4 → 3; (2,0)=1 → 3−0.5 = 2.5.
        let errors: [Double] = [0, 0.5, -1, 1.5]
        #expect(abs(e.rating!.rmse - (errors.map { $0 * $0 }.reduce(0, +) / 4).squareRoot()) < 1e-6)
        #expect(abs(e.rating!.mae - 3.0 / 4) < 1e-6)
        #expect(e.coldStartPredictions == 0)
        // Relevant (≥ 4): user 0 {2}, user 1 {1}; user 2 none → skipped.
        // User 0 candidates {2, 3}: scores 1, −0.5 → [2, 3]: p@1 1. User 1 candidates {1, 3}: all 0 → tie → [1, 3]: p@1 1.
        #expect(e.ranking.usersEvaluated == 2 && e.ranking.usersSkipped == 1)
        #expect(e.ranking.precision == [1, 0.5])
        #expect(e.ranking.recall == [1, 1])
        // Global mean of training = (5+3+4+5+2+5)/6 = 4: errors 0, 2, 0, 3.
        #expect(abs(e.globalMean.rmse - ((0 + 4 + 0 + 9) / 4.0).squareRoot()) < 1e-6)
        // Popularity (training counts: movie 0: 2, 1: 2, 2: 1, 3: 1): user 0 → [2, 3] (tie → lower index); user 1 → [1, 3].
        #expect(e.popularity.precision == [1, 0.5])
    }

    @Test func rankingOnlyModelsReportRMSEAsNotApplicable() throws {
        let table = tinyTable()
        let data = try TrainingSet.normalise(table, method: .none)
        let ease = try EASE.make(["lambda": 1])
        let trained = try ease.fit(data)
        let file = ModelFile(algorithm: ease, trained: trained, data: data, neighbours: Neighbours.compute(vectors: trained.model.movieVectors, k: 2),
                             createdBy: "test")
        let e = try Evaluator.evaluate(model: file, data: table, protocol: EvaluationProtocol(ks: [1]))
        #expect(e.rating == nil)
        let report = try MetricsReport(evaluation: e, model: file, modelPath: "m.h5", data: table, spec: EvaluationProtocol(ks: [1]))
        let json = try JSONSerialization.jsonObject(with: report.json) as! [String: Any]
        let metrics = json["metrics"] as! [String: Any]
        #expect(metrics["rmse"] is NSNull && metrics["mae"] is NSNull)
        #expect(metrics["precision@1"] is Double)
        #expect((json["protocol"] as! [String: Any])["rating_predictions"] as? String == "not applicable: ease ranks movies and predicts no ratings")
    }

    @Test func refusesAModelFromOtherData() throws {
        var table = tinyTable()
        let model = try handModel(table)
        table.fingerprint = "other"
        #expect(throws: EvaluationError(.badInput, "the model was trained on data with fingerprint tiny…, but these ratings have other…: evaluate a model on the ratings file it was trained from")) {
            try Evaluator.evaluate(model: model, data: table)
        }
    }

    @Test func htmlReportIsSelfContained() throws {
        let table = tinyTable()
        let model = try handModel(table)
        let e = try Evaluator.evaluate(model: model, data: table, protocol: EvaluationProtocol(ks: [1, 2]))
        let report = try MetricsReport(evaluation: e, model: model, modelPath: "m.h5", data: table, spec: EvaluationProtocol(ks: [1, 2]))
        let html = HTMLReport.render(report: report, evaluation: e, model: model)
        #expect(html.contains("<svg") && html.contains("precision@k") && html.contains("by true rating"))
        // Self-contained: apart from the SVG namespace name (an identifier, never fetched), nothing
        // points off the page, and nothing runs.
        let body = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        for external in ["http:", "https:", "//", "src=", "<link", "@import", "url(", "<script", "<iframe"] {
            #expect(!body.contains(external), "the report contains \(external)")
        }
        #expect(html.contains("xmlns=\"http://www.w3.org/2000/svg\""))
    }

    /// RMSE and precision@10 of a real ML-100K model, recomputed by numpy/h5py from the files:
    /// ALS, and the Bayesian FM (whose blocks are folded into the same factor-model layout; with
    /// ordered probit, its link too: predictions and rankings are expected ratings).
    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR"),
          arguments: [("als", ["rank": "16", "iterations": "5"]), ("bayesian-fm", ["rank": "8", "burn_in": "5", "samples": "20", "keep": "5"]),
                      ("bayesian-fm", ["rank": "8", "burn_in": "5", "samples": "20", "keep": "5", "time": "day", "movie_attributes": "both"]),
                      ("bayesian-fm", ["rank": "8", "burn_in": "5", "samples": "20", "keep": "5", "likelihood": "ordinal"]),
                      // The ordered probit model as the ranking head of a two-headed file (ALS predicts).
                      ("bayesian-fm", ["rank": "8", "burn_in": "5", "samples": "20", "keep": "5", "likelihood": "ordinal", "ranking head of": "als"])])
    func agreesWithAnIndependentNumpyComputation(algorithm name: String, parameters: [String: String]) throws {
        guard let folder = realDataset("ml-100k") else { return }
        let table = try Ingest.load(IngestSource(input: folder, split: .files(name: "u1")))
        let data = try TrainingSet.normalise(table, method: .none)
        func fitted(_ name: String, _ parameters: [String: String]) throws -> ModelFile {
            let algorithm = try Algorithms.make(name, text: parameters)
            let trained = try algorithm.fit(data)
            return ModelFile(algorithm: algorithm, trained: trained, data: data, neighbours: Neighbours.compute(vectors: trained.model.movieVectors, k: 10),
                             createdBy: "test")
        }
        var file = try fitted(name, parameters.filter { $0.key != "ranking head of" })
        if let rating = parameters["ranking head of"] {
            file = try ModelFile.combine(rating: try fitted(rating, ["rank": "16", "iterations": "5"]), ranking: file, neighboursFrom: .ranking, createdBy: "test")
            #expect(file.ranking?.model.kind == "ordinal-factors")
        }
        let modelPath = scratchPath("model.h5"), ratingsPath = scratchPath("ratings.h5")
        defer { try? FileManager.default.removeItem(atPath: modelPath); try? FileManager.default.removeItem(atPath: ratingsPath) }
        try file.write(to: modelPath)
        try RatingsFile.write(table, sourcePath: folder, to: ratingsPath, createdBy: "test")
        let e = try Evaluator.evaluate(model: file, data: table)

        let numpy = try checkMetrics(model: modelPath, ratings: ratingsPath)
        #expect(abs(numpy["rmse"]! - e.rating!.rmse) < 1e-6, "\(name): numpy RMSE \(numpy["rmse"]!) vs \(e.rating!.rmse)")
        // Scores are float32 sums in another order (numpy's sgemm, ours): a near tie at the 10th
        // place may fall either way. The FM's stored rank 256 sums 256 products per score: at
        // most one such hit in all its lists (seen: a 1.4e-7 gap, one list, which numpy's own
        // float32 and float64 scores also rank differently).
        let tolerance = name == "bayesian-fm" ? 1.5 / Double(e.ranking.usersEvaluated * 10) : 1e-6
        #expect(abs(numpy["precision@10"]! - e.ranking.precision[1]) < tolerance, "\(name): numpy p@10 \(numpy["precision@10"]!) vs \(e.ranking.precision[1])")
        #expect(Int(numpy["users"]!) == e.ranking.usersEvaluated)
    }
}
