import ArtifactStore
import Essentials
import Evaluation
import Foundation
import LinearAlgebra
import Models
import MovieLens
import ProjectorClient
import Ranking
import Testing
import TestSupport

/// Fold-in: a person's ratings in, the model's answers out, without retraining.
struct FoldInTests {
    /// Publishes `file` as `ml` (production) in a scratch store and opens it.
    static func open(_ file: ModelFile) throws -> (root: String, model: StoredModel) {
        let path = scratchPath("m.h5")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try file.write(to: path)
        return try open(path: path)
    }

    /// Publishes the model file at `path` as it is.
    static func open(path: String) throws -> (root: String, model: StoredModel) {
        let root = scratchStore()
        _ = try ModelStore(root: root).publish(model: path, name: "ml", promote: true, codeVersion: "t")
        return (root, try StoredModel.open(store: root, reference: "ml"))
    }

    /// A user's training ratings as given ratings (original ids).
    static func given(_ model: StoredModel, user: Int) -> [StoredModel.GivenRating] {
        let file = model.file
        return file.trainingMovies.range(user).map {
            StoredModel.GivenRating(movieID: file.metadata.movieIDs[Int(file.trainingMovies.columns[$0])], rating: file.trainingRatings![$0])
        }
    }

    /// EASE scores a history row exactly as a training user's row: a training user's own ratings,
    /// folded in anonymously, give back their stored list, movie for movie and score for score;
    /// the reasons are the exact terms w_j B[j, i], the largest first.
    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR"))
    func knownUsersFoldedInGetTheirStoredList() throws {
        guard let (file, _) = try ml100kServedModel(split: .default) else { return }
        let (root, model) = try Self.open(file)
        defer { try? FileManager.default.removeItem(atPath: root) }
        for user in stride(from: 0, to: file.metadata.userCount, by: 37) {
            let userID = file.metadata.userIDs[user]
            let stored = model.recommend(userID: userID, k: 20)
            let folded = try model.recommend(userID: nil, ratings: Self.given(model, user: user), k: 20, candidates: nil)
            #expect(folded.user == nil && !folded.coldStart && folded.ignored == [])
            #expect(folded.items.map(\.movieID) == stored.items.map(\.movieID), "user \(userID)")
            #expect(folded.items.map(\.score) == stored.items.map(\.score), "user \(userID)")
            // The same reasons as the stored answer's, from the same row.
            #expect(folded.items.map(\.because) == stored.items.map(\.because), "user \(userID)")
        }
        // The reasons of one answer, computed here from the file: liked (≥ 4) ratings weigh 1.5.
        let user = 0, answer = try model.recommend(userID: nil, ratings: Self.given(model, user: user), k: 5, candidates: nil)
        let ranking = file.rankingHead.model
        for item in answer.items {
            let target = file.metadata.movieIDs.firstIndex(of: item.movieID)!
            let terms = file.trainingMovies.range(user).map { entry -> (Int64, Float) in
                let source = Int(file.trainingMovies.columns[entry])
                let weight: Float = file.trainingRatings![entry] >= 4 ? 1.5 : 1
                return (file.metadata.movieIDs[source], weight * ranking.weight(from: source, to: target))
            }
            let top = terms.filter { $0.1 > 0 }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(3)
            #expect(item.because?.map(\.movieID) == top.map(\.0))
            #expect(item.because?.map(\.contribution) == top.map(\.1))
            // The terms sum to the score (float sums in another order: to rounding).
            #expect(abs(terms.reduce(0) { $0 + $1.1 } - item.score) < 1e-4)
            #expect(item.rating != nil)
        }
    }

    /// The factor head's posterior mean, checked against the normal equations solved here
    /// (Gaussian elimination in double) from the prior the file stores — through both of the
    /// solver's forms: a history shorter than k + 1 (Woodbury) and longer (precision form).
    /// A sparse item-item weight read by (row, column) — the interpolation search reasons use —
    /// equals the kept entry, 0 where nothing was kept, for rows short and long.
    @Test func sparseWeightsAreFoundExactly() {
        var generator = SeededGenerator(seed: 5)
        for (movies, keep) in [(7, 3), (300, 40), (600, 599)] {
            var dense = Matrix(rows: movies, columns: movies)
            for r in 0..<movies { for c in 0..<movies where r != c { dense.values[r * movies + c] = Float.random(in: -1...1, using: &generator) } }
            let sparse = ItemItemModel(weights: dense).sparsified(keep: keep)
            let model = LearnedModel.sparseItemItem(sparse)
            var kept: [Int: Float] = [:]
            for row in 0..<movies { for entry in sparse.rows.range(row) { kept[row * movies + Int(sparse.rows.columns[entry])] = sparse.rows.values[entry] } }
            for row in 0..<movies { for column in 0..<movies {
                #expect(model.weight(from: row, to: column) == (kept[row * movies + column] ?? 0), "\(movies) movies, (\(row), \(column))")
            } }
        }
    }

    @Test func factorFoldInIsThePosteriorMean() throws {
        let path = scratchPath("m.h5")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try writeModel(path, rmse: 0.9, precision: 0.1)
        let file = try ModelFile.read(path)
        let head = try #require(file.rating)
        guard case .factors(let prior)? = head.foldIn, let factors = head.model.factors else {
            Issue.record("a factor head written in format 3 carries a factor prior")
            return
        }
        // The prior is the training users' (b_u, P_u): their mean, and σ² their ratings' residuals.
        let users = (0..<file.metadata.userCount).filter { !file.trainingMovies.range($0).isEmpty }
        for c in 0...factors.rank {
            let values = users.map { c == 0 ? Double(factors.userBias[$0]) : Double(factors.userFactors[$0, c - 1]) }
            #expect(abs(values.reduce(0, +) / Double(users.count) - prior.mean[c]) < 1e-9)
        }
        var squared = 0.0
        for user in users {
            for entry in file.trainingMovies.range(user) {
                let error = Double(file.trainingRatings![entry]) - Double(factors.linearPrediction(user: user, movie: Int(file.trainingMovies.columns[entry])))
                squared += error * error
            }
        }
        #expect(abs(squared / Double(file.trainingMovies.columns.count) - prior.noiseVariance) < 1e-9)

        let foldIn = try ModelFile.FoldIn(file)
        let d = factors.rank + 1
        for pairs in [[(Int32(0), Float(5)), (2, 1)], [(0, 5), (1, 4), (2, 1), (3, 2), (4, 5)]] {
            let history = History(pairs.map { (movie: $0.0, rating: $0.1) })
            let person = foldIn.fold(history)
            // The centre: m plus the rated movies' implicit offsets over √h (each movie's row found here by a linear scan).
            let implicit = try #require(prior.implicit, "a factor head written with its training ratings carries implicit offsets")
            var centre = prior.mean
            for movie in history.movies {
                guard let row = implicit.movies.firstIndex(of: movie) else { continue }
                for c in 0..<d { centre[c] += Double(implicit.offsets[row * d + c]) / Double(history.count).squareRoot() }
            }
            #expect(centre != prior.mean)
            // A = S⁻¹ + XᵀX/σ², b = S⁻¹m' + Xᵀ(y − μ − c)/σ², z = A⁻¹ b.
            let sInverse = Self.inverse(prior.covariance, d)
            var a = sInverse, b = [Double](repeating: 0, count: d)
            for r in 0..<d { for c in 0..<d { b[r] += sInverse[r * d + c] * centre[c] } }
            for (movie, rating) in zip(history.movies, history.ratings) {
                let x = [1.0] + (0..<factors.rank).map { Double(factors.movieFactors[Int(movie), $0]) }
                let y = Double(rating) - Double(factors.globalMean) - Double(factors.movieBias[Int(movie)])
                for r in 0..<d {
                    b[r] += x[r] * y / prior.noiseVariance
                    for c in 0..<d { a[r * d + c] += x[r] * x[c] / prior.noiseVariance }
                }
            }
            let z = Self.solve(a, b, d)
            for movie in 0..<file.metadata.movieCount {
                let expected = Double(factors.globalMean) + z[0] + Double(factors.movieBias[movie])
                    + (0..<factors.rank).reduce(0.0) { $0 + z[1 + $1] * Double(factors.movieFactors[movie, $1]) }
                let clipped = min(5, max(1, expected))
                #expect(abs(Double(person.predict(movie: movie)!) - clipped) < 1e-5, "history of \(pairs.count), movie \(movie)")
            }
        }
    }

    /// The answers' rules: never a rated movie, candidates only, the last rating of a movie given
    /// twice, unknown ids ignored (and listed), a known user's new ratings joining theirs.
    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR"))
    func foldInAnswerRules() throws {
        guard let (file, _) = try ml100kServedModel(split: .default) else { return }
        let (root, model) = try Self.open(file)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let ratings = [StoredModel.GivenRating(movieID: 50, rating: 5), .init(movieID: 181, rating: 4), .init(movieID: 1, rating: 2),
                       .init(movieID: 999_999, rating: 3)]
        let answer = try model.recommend(userID: nil, ratings: ratings, k: 10, candidates: nil)
        #expect(answer.ignored == [999_999] && answer.items.count == 10 && !answer.coldStart)
        #expect(Set(answer.items.map(\.movieID)).isDisjoint(with: [50, 181, 1]))
        #expect(answer.items.allSatisfy { item in (item.because ?? []).allSatisfy { [50, 181, 1].contains($0.movieID) } })
        // A movie given twice: the last rating counts.
        let twice = try model.recommend(userID: nil, ratings: [.init(movieID: 1, rating: 5)] + ratings, k: 10, candidates: nil)
        #expect(twice == answer)
        // Candidates: only those, best first, never a rated one.
        let candidates: [Int64] = [1, 2, 3, 4, 5, 6, 7, 8, 50, 123_456]
        let only = try model.recommend(userID: nil, ratings: ratings, k: 5, candidates: candidates)
        #expect(only.items.count == 5 && only.items.allSatisfy { candidates.contains($0.movieID) && $0.movieID != 1 && $0.movieID != 50 })
        #expect(only.ignored == [999_999, 123_456])
        let scores = only.items.map(\.score)
        #expect(scores == scores.sorted(by: >))
        // Only unknown ids: the cold-start answer, the ids listed.
        let unknown = try model.recommend(userID: nil, ratings: [.init(movieID: 999_999, rating: 5)], k: 3, candidates: nil)
        #expect(unknown.coldStart && unknown.items.count == 3 && unknown.ignored == [999_999])
        // A known user without new ratings: the stored answer; with new ones, never one of them.
        #expect(try model.recommend(userID: 1, ratings: [], k: 10, candidates: nil).items == model.recommend(userID: 1, k: 10).items)
        let more = try model.recommend(userID: 1, ratings: [.init(movieID: 1682, rating: 5)], k: 10, candidates: nil)
        #expect(more.user == 1 && !more.items.contains { $0.movieID == 1682 })
        // The answer's own JSON writer gives JSON.data's bytes (titles with quotes and commas, ignored ids, null user).
        for answer in [answer, only, unknown, more, model.recommend(userID: 13, k: 50), try model.recommend(userID: nil, ratings: ratings, k: 1000, candidates: nil)] {
            #expect(answer.jsonData == JSON.data(answer), "\(String(decoding: answer.jsonData, as: UTF8.self).prefix(300))")
            // And through the version's movie fragments (what the server sends).
            #expect(model.encoded(answer) == JSON.data(answer), "\(String(decoding: model.encoded(answer), as: UTF8.self).prefix(300))")
        }
        // Predictions: the same person, the stars on the scale; a known user as trained.
        let stars = try model.predict(userID: nil, ratings: ratings, movieIDs: [100, 200, 999_998])
        #expect(stars.items.map(\.movieID) == [100, 200] && stars.ignored == [999_999, 999_998] && stars.user == nil)
        #expect(stars.items.allSatisfy { (1...5).contains($0.rating) })
        let trained = try model.predict(userID: 1, ratings: [], movieIDs: [100])
        #expect(trained.items[0].rating == (try model.predict(userID: 1, movieID: 100)).rating)
    }

    /// Bad questions: exact messages, and nothing answered.
    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR"))
    func badQuestions() throws {
        guard let (file, _) = try ml100kServedModel(split: .default) else { return }
        let (root, model) = try Self.open(file)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let one = [StoredModel.GivenRating(movieID: 1, rating: 4)]
        let cases: [(String, () throws -> Void)] = [
            ("ratings[1].rating (movie 2): rating 6 is outside the scale 1–5", { _ = try model.recommend(userID: nil, ratings: one + [.init(movieID: 2, rating: 6)], k: 10, candidates: nil) }),
            ("ratings[0].rating (movie 2): rating 3.5 is not a multiple of 1 on the scale 1–5", { _ = try model.predict(userID: nil, ratings: [.init(movieID: 2, rating: 3.5)], movieIDs: [1]) }),
            ("k: must be from 1 to 1000, not 0", { _ = try model.recommend(userID: nil, ratings: one, k: 0, candidates: nil) }),
            ("k: 3 is more than the 2 candidates given", { _ = try model.recommend(userID: nil, ratings: one, k: 3, candidates: [1, 2]) }),
            ("ratings: 10001 given, at most 10000", { _ = try model.recommend(userID: nil, ratings: Array(repeating: one[0], count: 10_001), k: 1, candidates: nil) }),
            ("movie_ids: give at least one movie id", { _ = try model.predict(userID: nil, ratings: one, movieIDs: []) }),
        ]
        for (message, ask) in cases {
            #expect(throws: StoreError(.badInput, message)) { try ask() }
        }
        // A model file without fold-in state (format 2) refuses, saying why.
        let old = scratchPath("v2.h5"), current = scratchPath("v3.h5")
        defer { for path in [old, current] { try? FileManager.default.removeItem(atPath: path) } }
        try file.write(to: current)
        try olderVersion(of: current, at: old, version: 2, dropping: ["rating/fold_in", "ranking/fold_in"])
        let (oldRoot, oldModel) = try Self.open(path: old)
        defer { try? FileManager.default.removeItem(atPath: oldRoot) }
        #expect(throws: StoreError(.badInput, "ml@1: the ranking head (ease) cannot fold in new ratings: its model file has no fold-in state (format 3 writes it: re-run factorise and combine, then publish)")) {
            _ = try oldModel.recommend(userID: nil, ratings: one, k: 10, candidates: nil)
        }
        // …while what needs no fold-in still answers.
        #expect(try oldModel.recommend(userID: 1, ratings: [], k: 5, candidates: nil).items.count == 5)
    }

    /// `recommend history`'s CSV: a header optional, exact errors naming the line.
    @Test func ratingsCSV() throws {
        #expect(try StoredModel.GivenRating.parseCSV("movie_id,rating\n1,5\r\n\n2571, 4.5\n", source: "f.csv")
                == [.init(movieID: 1, rating: 5), .init(movieID: 2571, rating: 4.5)])
        #expect(try StoredModel.GivenRating.parseCSV("", source: "f.csv").isEmpty)
        for (text, message) in [
            ("1;5\n", "f.csv:1: expected 'movie_id,rating', got 1 field: '1;5'"),
            ("movie_id,rating\n1,5,3\n", "f.csv:2: expected 'movie_id,rating', got 3 fields: '1,5,3'"),
            ("x,5\n", "f.csv:1: movie_id 'x' is not a whole number"),
            ("1,five\n", "f.csv:1: rating 'five' is not a number"),
            ("1,nan\n", "f.csv:1: rating 'nan' is not a number"),
        ] {
            #expect(throws: StoreError(.badInput, message)) { try StoredModel.GivenRating.parseCSV(text, source: "f.csv") }
        }
    }

    static func inverse(_ m: [Double], _ n: Int) -> [Double] {
        (0..<n).map { c in solve(m, (0..<n).map { $0 == c ? 1 : 0 }, n) }.enumerated()
            .reduce(into: [Double](repeating: 0, count: n * n)) { out, column in for r in 0..<n { out[r * n + column.offset] = column.element[r] } }
    }

    /// Gaussian elimination with partial pivoting.
    static func solve(_ m: [Double], _ b: [Double], _ n: Int) -> [Double] {
        var a = m, x = b
        for col in 0..<n {
            let pivot = (col..<n).max { abs(a[$0 * n + col]) < abs(a[$1 * n + col]) }!
            if pivot != col {
                for c in 0..<n { a.swapAt(col * n + c, pivot * n + c) }
                x.swapAt(col, pivot)
            }
            for row in (col + 1)..<n {
                let f = a[row * n + col] / a[col * n + col]
                for c in col..<n { a[row * n + c] -= f * a[col * n + c] }
                x[row] -= f * x[col]
            }
        }
        for row in stride(from: n - 1, through: 0, by: -1) {
            var sum = x[row]
            for c in (row + 1)..<n { sum -= a[row * n + c] * x[c] }
            x[row] = sum / a[row * n + row]
        }
        return x
    }
}
