import ArtifactStore
import Essentials
import Evaluation
import Foundation
import ProjectorClient
import Testing
import TestSupport

/// The library downstream Swift services link: a published model opened from the store answers
/// recommendations (never a training movie; cold start flagged), and "movies like" by title.
struct StoredModelTests {
    /// A small model published as `ml` (production) in a scratch store, opened by `reference`.
    static func published(_ reference: String) throws -> (root: String, model: StoredModel) {
        let root = scratchStore()
        try writeModel(root + "/m.h5", rmse: 0.9, precision: 0.1)
        _ = try ModelStore(root: root).publish(model: root + "/m.h5", name: "ml", promote: true, codeVersion: "t")
        return (root, try StoredModel.open(store: root, reference: reference))
    }

    @Test func storedModelAnswers() throws {
        let (root, model) = try Self.published("ml@production")
        defer { try? FileManager.default.removeItem(atPath: root) }
        for user in Int64(1)...6 {
            let answer = model.recommend(userID: user, k: 5)
            #expect(!answer.coldStart)
            // Never a movie the user rated in training.
            let u = Int(user - 1)
            let rated = Set(model.file.trainingMovies.range(u).map { model.file.metadata.movieIDs[Int(model.file.trainingMovies.columns[$0])] })
            #expect(answer.items.allSatisfy { !rated.contains($0.movieID) })
            #expect(answer.items.count == 5 - rated.count)
        }
        let cold = model.recommend(userID: 999, k: 2)
        #expect(cold.coldStart && cold.items.count == 2)
        #expect(try model.similar(title: "heat", k: 2).movie.title == "Heat (1995)")
        #expect(try model.similar(title: "TOY STORY (1995)", k: 2).movie.movieID == 10)
        #expect(throws: StoreError(.badInput, "'toy story' matches 2 movies; be more specific:\n  10  Toy Story (1995)\n  20  Toy Story 2 (1999)")) {
            try model.similar(title: "toy story", k: 2)
        }
    }

    /// The encoded answers a server sends are `recommend`'s JSON, the same bytes from the cache.
    @Test func encodedAnswersAreTheAnswersJSON() throws {
        let (root, model) = try Self.published("ml")
        defer { try? FileManager.default.removeItem(atPath: root) }
        for (user, k) in [(Int64(1), 3), (2, 5), (999, 2), (1, 3)] {
            #expect(model.encodedRecommendations(userID: user, k: k) == JSON.data(model.recommend(userID: user, k: k)), "user \(user), k \(k)")
        }
    }

    /// Warming a version (what serve does before it swaps one in) computes every training user's
    /// answer, and the bytes are those an unwarmed copy computes on request — for the warmed k
    /// and any other, and for a model whose deadline stopped it at once.
    @Test func warmedAnswersAreTheAnswersComputedOnRequest() throws {
        let (root, warmed) = try Self.published("ml")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fresh = try StoredModel.open(store: root, reference: "ml"), stopped = try StoredModel.open(store: root, reference: "ml")
        let users = (0..<warmed.file.metadata.userCount).filter { !warmed.file.trainingMovies.range($0).isEmpty }.count
        #expect(users > 0)
        #expect(warmed.warm(k: 3) == users)
        #expect(stopped.warm(k: 3, until: ContinuousClock.now) == 0)
        for user in warmed.file.metadata.userIDs + [999] {
            for k in [3, 5] {
                let answer = fresh.encodedRecommendations(userID: user, k: k)
                #expect(warmed.encodedRecommendations(userID: user, k: k) == answer, "user \(user), k \(k)")
                #expect(stopped.encodedRecommendations(userID: user, k: k) == answer, "user \(user), k \(k)")
            }
        }
    }
}
