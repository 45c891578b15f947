import Essentials
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MovieLens
import Testing
import TestSupport

/// The new-users protocol through the service: on real data (MovieLens 100K, `new-users` split), a
/// two-headed model is trained, combined, evaluated and published by the real executables; then
/// each test user's history is sent to a running `serve` (`POST …/recommendations` and
/// `…/predictions`), and the answers, scored as the protocol scores them, give evaluate's figures.
struct NewUsersServedTests {
    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR"))
    func foldInAnswersReproduceEvaluate() async throws {
        guard let folder = realDataset("ml-100k") else { return }
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try publishedTwoHeaded(from: folder, split: ["--split", "new-users", "--seed", "42"], in: dir)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("metrics.json")))) as! [String: Any]
        let metrics = report["metrics"] as! [String: Any]

        // Each test user's history (is_test 2) and targets (is_test 1), in original ids.
        let table = try RatingsFile.read(path("ratings.h5"))
        var history: [Int64: [(Int64, Float)]] = [:], targets: [Int64: [(Int64, Float)]] = [:]
        for index in 0..<table.count where table.isTest[index] != 0 {
            let user = table.userIDs[Int(table.user[index])], movie = table.movieIDs[Int(table.movie[index])]
            if table.isTest[index] == 2 { history[user, default: []].append((movie, table.rating[index])) }
            else { targets[user, default: []].append((movie, table.rating[index])) }
        }
        #expect(history.count > 50, "about a tenth of ML-100K's 943 users are test users")

        let server = try ServeTests.Server(store: path("store"))
        defer { server.stop() }
        _ = try await server.waitFor("/readyz") { $0["ready"] as? Bool == true }
        var recall20 = 0.0, recall50 = 0.0, ndcg = 0.0, users = 0, squared = 0.0, count = 0
        for user in Set(history.keys).union(targets.keys).sorted() {
            let ratings = (history[user] ?? []).map { ["movie_id": JSONValue.int(Int($0.0)), "rating": JSONValue.double(Double($0.1))] as JSONValue }
            let held = targets[user] ?? []
            // What the release says of the person, as a client sends it (evaluate folds it in too).
            let index = table.userIDs.firstIndex(of: user)!, known = table.userAttributes
            var attributes: [String: JSONValue] = [:]
            if !known.gender[index].isEmpty { attributes["gender"] = .string(known.gender[index]) }
            if known.age[index] > 0 { attributes["age"] = .int(Int(known.age[index])) }
            if !known.occupation[index].isEmpty { attributes["occupation"] = .string(known.occupation[index]) }
            if !known.zip[index].isEmpty { attributes["zip"] = .string(known.zip[index]) }
            if !held.isEmpty {
                let body: JSONValue = ["ratings": .array(ratings), "attributes": .object(attributes), "movie_ids": .array(held.map { .int(Int($0.0)) })]
                let (status, data, _) = try await server.post("/v1/models/ml/predictions", body: JSON.data(body))
                try #require(status == 200, "\(String(decoding: data, as: UTF8.self))")
                let items = (try JSONSerialization.jsonObject(with: data) as! [String: Any])["items"] as! [[String: Any]]
                for (item, truth) in zip(items, held) {
                    #expect(Int64(item["movie_id"] as! Int) == truth.0)
                    let error = Double(Float(item["rating"] as! Double)) - Double(truth.1)  // the Float the server encoded
                    squared += error * error
                    count += 1
                }
            }
            let relevant = Set(held.filter { $0.1 >= 4 }.map(\.0))
            guard !relevant.isEmpty else { continue }
            let body: JSONValue = ["ratings": .array(ratings), "attributes": .object(attributes), "k": .int(100)]
            let (status, data, _) = try await server.post("/v1/models/ml/recommendations", body: JSON.data(body))
            try #require(status == 200, "\(String(decoding: data, as: UTF8.self))")
            let ranked = ((try JSONSerialization.jsonObject(with: data) as! [String: Any])["items"] as! [[String: Any]]).map { Int64($0["movie_id"] as! Int) }
            let hits = ranked.map { relevant.contains($0) }
            recall20 += Double(hits.prefix(20).filter { $0 }.count) / Double(min(20, relevant.count))
            recall50 += Double(hits.prefix(50).filter { $0 }.count) / Double(min(50, relevant.count))
            let dcg = hits.enumerated().reduce(0.0) { $0 + ($1.element ? 1 / log2(Double($1.offset + 2)) : 0) }
            ndcg += dcg / (0..<min(100, relevant.count)).reduce(0.0) { $0 + 1 / log2(Double($1 + 2)) }
            users += 1
        }
        #expect((report["protocol"] as! [String: Any])["users_evaluated"] as? Int == users)
        for (name, served) in [("new_users.recall@20", recall20 / Double(users)), ("new_users.recall@50", recall50 / Double(users)),
                               ("new_users.ndcg@100", ndcg / Double(users)), ("new_users.rmse", (squared / Double(count)).squareRoot())] {
            let evaluated = try #require(metrics[name] as? Double, "metrics.json has \(name)")
            #expect(abs(served - evaluated) < 1e-9, "\(name): served \(served), evaluated \(evaluated)")
        }
        // And the fold-in beats the peers' floor on this protocol: the popularity chart.
        let popularity = (report["baselines"] as! [String: [String: Any]])["popularity"]!
        #expect((metrics["new_users.ndcg@100"] as! Double) > (popularity["new_users.ndcg@100"] as! Double))
        let userMean = (report["baselines"] as! [String: [String: Any]])["user_mean"]!
        #expect((metrics["new_users.rmse"] as! Double) < (userMean["new_users.rmse"] as! Double))
    }
}
