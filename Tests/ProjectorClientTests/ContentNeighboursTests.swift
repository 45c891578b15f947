import Foundation
import ModelFormat
import ProjectorClient
import Testing
import TestSupport

/// `similar` for a movie with few training ratings answers from content: the nearest by the
/// cosine of `ContentFeatures` vectors, computed here by brute force; movies with enough ratings
/// keep their stored (learned) neighbours.
struct ContentNeighboursTests {
    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR"))
    func fewRatingsAnswerFromContent() throws {
        guard let (file, _) = try ml100kServedModel(split: .default) else { return }
        let (root, model) = try FoldInTests.open(file)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let counts = file.trainingMovies.columnCounts(file.metadata.movieCount)
        let features = ContentFeatures(file.metadata)
        func cosine(_ a: Int, _ b: Int) -> Float {
            var sum: Float = 0
            for x in features.rows.range(a) {
                for y in features.rows.range(b) where features.rows.columns[x] == features.rows.columns[y] {
                    sum += features.rows.values[x] * features.rows.values[y]
                }
            }
            return sum
        }
        let few = try #require((0..<counts.count).filter { (1..<ContentNeighbours.ratingsNeeded).contains(counts[$0]) }.prefix(5).map { $0 })
        #expect(few.count == 5, "ML-100K has movies with 1–19 training ratings")
        for movie in few {
            let id = file.metadata.movieIDs[movie]
            #expect(model.similarBasis(id) == "content")
            let answer = try model.similar(movieID: id, k: 10)
            // Brute force: every other movie's cosine, best first, ties to the lower index, positives only.
            var scored: [(movie: Int, score: Float)] = []
            for other in 0..<counts.count where other != movie {
                let score = cosine(movie, other)
                if score > 0 { scored.append((other, score)) }
            }
            scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.movie < $1.movie }
            let expected = Array(scored.prefix(10))
            #expect(answer.map(\.movieID) == expected.map { file.metadata.movieIDs[$0.movie] }, "movie \(id)")
            for (item, pair) in zip(answer, expected) { #expect(abs(item.score - pair.score) < 1e-6) }
        }
        // A movie with many ratings: its stored neighbours, as before.
        let popular = try #require((0..<counts.count).max { counts[$0] < counts[$1] })
        let id = file.metadata.movieIDs[popular]
        #expect(model.similarBasis(id) == "ratings")
        #expect(try model.similar(movieID: id, k: 5).map(\.movieID) == file.neighbours.of(popular).prefix(5).map { file.metadata.movieIDs[$0.movie] })
    }
}
