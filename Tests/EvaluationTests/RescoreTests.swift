import Evaluation
import Foundation
import Models
import MovieLens
import Ranking
import Testing
import TestSupport

/// A model re-scored on newer data (`ModelFile.reindexed`, the gate's champion): the same
/// numbers as on its own data when nothing changed, numpy's numbers when the data grew, and
/// nothing it never saw in its lists.
struct RescoreTests {
    /// BPMF-free and quick: ALS predicts, a sparsified EASE with liked weights ranks.
    func twoHeaded(_ table: RatingsTable) throws -> ModelFile {
        let data = try TrainingSet.normalise(table, method: .none)
        let als = try ALS.make(["rank": 8, "iterations": 4])
        let ease = try EASE.make(["lambda": 300, "keep_entries": 100, "liked_input_weight": 0.5, "liked_target_weight": 1])
        func file(_ algorithm: any Algorithm) throws -> ModelFile {
            let trained = try algorithm.fit(data)
            return ModelFile(algorithm: algorithm, trained: trained, data: data, neighbours: Neighbours(index: [], score: [], k: 0), createdBy: "test")
        }
        return try ModelFile.combine(rating: file(als), ranking: file(ease), neighboursFrom: .rating, createdBy: "test")
    }

    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR"))
    func rescoredOnGrownDataMatchesNumpyAndNeverRanksWhatItNeverSaw() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        guard let (oldFolder, newFolder) = try ml100kArrivingLater(in: dir) else { return }
        let old = try Ingest.load(IngestSource(input: oldFolder)), new = try Ingest.load(IngestSource(input: newFolder))
        let production = try twoHeaded(old)

        // On its own data, moving it changes nothing.
        let own = try Evaluator.evaluate(model: production, data: old)
        let same = production.reindexed(to: production.metadata)
        #expect(same.unknownMovies.isEmpty)
        let again = try Evaluator.evaluate(model: same.model, data: old)
        #expect(again.rating!.rmse == own.rating!.rmse && again.ranking.precision == own.ranking.precision)

        // On the grown data: new users and movies exist, and the numbers are numpy's.
        let (moved, unknown) = production.reindexed(to: DatasetMetadata(new))
        #expect(!unknown.isEmpty && new.userCount > old.userCount)
        let e = try Evaluator.evaluate(model: moved, data: new, unknownMovies: unknown)
        #expect(e.coldStartPredictions > 0)
        let modelPath = dir.appendingPathComponent("production.h5").path, ratingsPath = dir.appendingPathComponent("new.h5").path
        try production.write(to: modelPath)
        try RatingsFile.write(new, sourcePath: newFolder, to: ratingsPath, createdBy: "test")
        let numpy = try checkMetrics(model: modelPath, ratings: ratingsPath)
        #expect(abs(numpy["rmse"]! - e.rating!.rmse) < 1e-6, "numpy \(numpy) vs \(e.rating!.rmse)")
        #expect(abs(numpy["precision@10"]! - e.ranking.precision[1]) < 1e-6, "numpy \(numpy) vs \(e.ranking.precision)")
        #expect(Int(numpy["users"]!) == e.ranking.usersEvaluated)

        // No list holds a movie production never saw; a user production never saw gets its most popular movies.
        let unknownSet = Set(unknown)
        let newUser = new.userIDs.firstIndex { !old.userIDs.contains($0) }!
        var popular: [Int32] = []
        moved.rank(users: 0..<new.userCount, k: 20, unknownMovies: unknown) { user, list, _ in
            #expect(!list.contains { unknownSet.contains($0) })
            if user == newUser { popular = list }
        }
        let counts = moved.trainingMovies.columnCounts(new.movieCount)
        #expect(popular.count == 20 && zip(popular, popular.dropFirst()).allSatisfy { counts[Int($0)] >= counts[Int($1)] })
        #expect(counts[Int(popular[0])] == counts.max())
    }
}
