import Evaluation
import Foundation
import Models
import MovieLens
import ProjectorClient
import Testing
import TestSupport

/// The served answer is the evaluated one: on real data (MovieLens 100K, u1 split), a two-headed
/// model is trained, combined, evaluated and published by the real executables; then what the
/// store serves is measured again.
struct ServedAnswerTests {
    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR"))
    func servedTopTenIsEvaluatesTopTen() throws {
        guard let folder = realDataset("ml-100k") else { return }
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try publishedTwoHeaded(from: folder, split: ["--split", "files", "--split-name", "u1"], in: dir)

        // Every user's served top 10, scored against the held-out ratings as evaluate does,
        // gives evaluate's precision@10 and its user count exactly.
        let model = try StoredModel.open(store: path("store"), reference: "ml")
        let table = try RatingsFile.read(path("ratings.h5"))
        let test = table.sides().test
        var relevant: [Int64: Set<Int64>] = [:]
        for index in test.rating.indices where test.rating[index] >= 4 {
            relevant[table.userIDs[Int(test.user[index])], default: []].insert(table.movieIDs[Int(test.movie[index])])
        }
        var total = 0.0
        for (user, liked) in relevant {
            let served = model.recommend(userID: user, k: 10)
            #expect(!served.coldStart && served.items.count == 10)
            total += Double(served.items.filter { liked.contains($0.movieID) }.count) / 10
        }
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("metrics.json"))) as! [String: Any]
        let evaluated = (metrics["metrics"] as! [String: Any])["precision@10"] as! Double
        let users = (metrics["protocol"] as! [String: Any])["users_evaluated"] as! Int
        #expect(relevant.count == users)
        #expect(abs(total / Double(users) - evaluated) < 1e-12, "served \(total / Double(users)) vs evaluated \(evaluated)")
        #expect(evaluated > 0.2, "EASE on ML-100K u1 should beat the popularity chart (0.2136 at p@10 is its level)")

        // And `recommend --json` (a separate process reading the store) serves those same lists.
        for user in relevant.keys.sorted().prefix(12) {
            let cli = try runStage("recommend", ["--store", path("store"), "--model", "ml", "--json", "user", String(user), "-k", "10"])
            try #require(cli.status == 0, "\(cli.stderr)")
            let answer = try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as! [String: Any]
            let ids = (answer["items"] as! [[String: Any]]).map { Int64($0["movie_id"] as! Int) }
            #expect(ids == model.recommend(userID: user, k: 10).items.map(\.movieID), "user \(user)")
        }
    }
}
