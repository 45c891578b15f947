import Foundation
import LinearAlgebra
@testable import Models
import Testing
import TestSupport

/// The Bayesian FM's block bookkeeping against the FM written out feature by feature.
struct BayesianFMTests {
    static func data() throws -> TrainingSet {
        var rng = SeededGenerator(seed: 5)
        var train: [(Int, Int, Float)] = [], test: [(Int, Int, Float)] = []
        for u in 0..<12 {
            for m in 0..<9 where rng.nextUniform() < 0.55 {
                let rating = Float(1 + (u * 5 + m * 2) % 5)
                if rng.nextUniform() < 0.2 { test.append((u, m, rating)) } else { train.append((u, m, rating)) }
            }
        }
        var data = try trainingSet(users: 12, movies: 9, train: train, test: test, method: .none, scale: .wholeStars)
        data.metadata.genres = ["Drama|Comedy", "Comedy", "", "Action|Drama|War", "War", "Comedy|Romance", "Drama|Drama", "", "Romance"]
        data.metadata.years = [1995, 1995, 0, 1982, 2000, 1995, 0, 1982, 1999]
        return data
    }

    /// ŷ(u, i) from the sampler's parameters: the second-order FM over the row's features — user
    /// id, the user's training movies (1/√n_u), movie id, the movie's training raters (1/√m_i) —
    /// summed pair by pair, without any block sum.
    static func bruteForce(_ s: FMSampler, data: TrainingSet, parameters: BayesianFM.Parameters, user u: Int, movie i: Int) -> Double {
        let users = s.users, movies = s.movies, k = s.k
        var features: [(w: Double, v: [Double], x: Double)] = []
        func factors(_ values: [Double], count: Int, _ index: Int) -> [Double] { (0..<k).map { values[$0 * count + index] } }
        features.append((users.idW[u], factors(users.idV, count: users.count, u), 1))
        let rated = (0..<data.trainUser.count).filter { Int(data.trainUser[$0]) == u }.map { Int(data.trainMovie[$0]) }
        for (group, kind) in zip(users.groups, parameters.userGroups) where kind == .implicit {
            for j in rated { features.append((group.w[j], factors(group.v, count: group.count, j), 1 / Double(rated.count).squareRoot())) }
        }
        features.append((movies.idW[i], factors(movies.idV, count: movies.count, i), 1))
        let raters = (0..<data.trainMovie.count).filter { Int(data.trainMovie[$0]) == i }.map { Int(data.trainUser[$0]) }
        let vocabulary = Array(Set(data.metadata.genres.flatMap { $0.split(separator: "|").map(String.init) })).sorted()
        let years = Array(Set(data.metadata.years.filter { $0 > 0 })).sorted()
        for (group, kind) in zip(movies.groups, parameters.movieGroups) {
            let members: [(index: Int, x: Double)]
            switch kind {
            case .implicit: members = raters.map { ($0, 1 / Double(raters.count).squareRoot()) }
            case .genres:
                let names = Set(data.metadata.genres[i].split(separator: "|").map(String.init))  // a genre once
                members = names.map { (vocabulary.firstIndex(of: $0)!, 1 / Double(names.count).squareRoot()) }
            case .year:
                members = data.metadata.years[i] > 0 ? [(years.firstIndex(of: data.metadata.years[i])!, 1)] : []
            }
            for (index, x) in members { features.append((group.w[index], factors(group.v, count: group.count, index), x)) }
        }
        var y = s.global
        for f in features { y += f.w * f.x }
        for a in 0..<features.count {
            for b in (a + 1)..<features.count {
                var dot = 0.0
                for d in 0..<k { dot += features[a].v[d] * features[b].v[d] }
                y += dot * features[a].x * features[b].x
            }
        }
        return s.mean + y
    }

    static func folded(_ sample: FMSampler.Sample, users: Int, movies: Int, k: Int, user u: Int, movie i: Int) -> Double {
        var y = sample.global + sample.userBias[u] + sample.movieBias[i]
        for d in 0..<k { y += sample.userFactors[d * users + u] * sample.movieFactors[d * movies + i] }
        return y
    }

    @Test(arguments: [("both", "none"), ("users", "genres"), ("movies", "year"), ("none", "both"), ("both", "both")])
    func foldedPredictionsAndResidualsAreTheFM(implicit: String, attributes: String) throws {
        let data = try Self.data()
        let fm = try BayesianFM.make(["rank": 3, "samples": 4, "burn_in": 0, "keep": 1, "implicit": .text(implicit),
                                      "movie_attributes": .text(attributes)], seed: 9)
        var sampler = FMSampler(data: data, parameters: fm.parameters, seed: 9)
        for sweep in 0...3 {
            if sweep > 0 { try sampler.sweep(sweep) }
            let sample = sampler.sample()
            for r in 0..<data.trainUser.count {
                let u = Int(data.trainUser[r]), i = Int(data.trainMovie[r])
                let exact = Self.bruteForce(sampler, data: data, parameters: fm.parameters, user: u, movie: i)
                #expect(abs(Self.folded(sample, users: 12, movies: 9, k: 3, user: u, movie: i) - exact) < 1e-9, "sweep \(sweep) row \(r)")
                // The residual the sampler keeps is the value minus this prediction.
                #expect(abs(sampler.residual[r] - (Double(data.trainValue[r]) - exact)) < 1e-9, "sweep \(sweep) row \(r)")
            }
            // Held-out pairs too (the folded model predicts without the training data).
            for r in 0..<data.testUser.count {
                let u = Int(data.testUser[r]), i = Int(data.testMovie[r])
                #expect(abs(Self.folded(sample, users: 12, movies: 9, k: 3, user: u, movie: i) - Self.bruteForce(sampler, data: data, parameters: fm.parameters, user: u, movie: i)) < 1e-9)
            }
        }
    }
}
