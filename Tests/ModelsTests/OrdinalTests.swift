import Essentials
import Foundation
import LinearAlgebra
@testable import Models
import MovieLens
import Testing
import TestSupport

/// Ordered probit (`bayesian-fm --likelihood ordinal`): the latent values, the cut-points' draws,
/// the link the stored model predicts with.
struct OrdinalTests {
    /// After every sweep each row's latent value lies in its class's interval, the residual the
    /// sampler keeps is that latent value minus the FM written out, and the cut-points stay
    /// ascending with the ends fixed half a star inside the scale.
    @Test(arguments: ["gaussian", "both"])
    func latentValuesLieInTheirClasses(noise: String) throws {
        let data = try BayesianFMTests.data()
        let fm = try BayesianFM.make(["rank": 3, "samples": 4, "burn_in": 2, "keep": 1, "likelihood": "ordinal", "noise": .text(noise),
                                      "time": "day"], seed: 21)
        var sampler = FMSampler(data: data, parameters: fm.parameters, seed: 21)
        var moved = 0
        for sweep in 1...6 {
            let before = sampler.ordinal!.latent
            try sampler.sweep(sweep)
            let ordinal = sampler.ordinal!
            #expect(ordinal.cuts.first == 1.5 && ordinal.cuts.last == 4.5 && zip(ordinal.cuts, ordinal.cuts.dropFirst()).allSatisfy { $0 < $1 })
            for r in 0..<sampler.rowCount {
                let c = Int(ordinal.classes[r])
                #expect(c == Int(data.trainRating[r]) - 1)
                let low = c == 0 ? -Double.infinity : ordinal.cuts[c - 1], high = c == 4 ? Double.infinity : ordinal.cuts[c]
                #expect(ordinal.latent[r] > low && ordinal.latent[r] <= high, "sweep \(sweep) row \(r): \(ordinal.latent[r]) outside (\(low), \(high)]")
                let exact = BayesianFMTests.predict(sampler, data: data, parameters: fm.parameters, row: r)
                #expect(abs(sampler.residual[r] - (ordinal.latent[r] - exact)) < 1e-9, "sweep \(sweep) row \(r)")
                if ordinal.latent[r] != before[r] { moved += 1 }
            }
        }
        #expect(moved == 6 * sampler.rowCount)
    }

    /// Ratings drawn from an ordered probit with known inner cut-points (2.2, 3.7) and latent
    /// noise precision 4: the chain's cut-points and α average to them.
    @Test func recoversKnownCutPoints() throws {
        var rng = SeededGenerator(seed: 31)
        let users = 300, movies = 60, truth = [1.5, 2.2, 3.7, 4.5], precision = 4.0
        let userBias = (0..<users).map { _ in 0.6 * rng.nextGaussian() }, movieBias = (0..<movies).map { _ in 0.6 * rng.nextGaussian() }
        var train: [(Int, Int, Float)] = []
        for u in 0..<users {
            for m in 0..<movies where rng.nextUniform() < 0.5 {
                let z = 3 + userBias[u] + movieBias[m] + rng.nextGaussian() / precision.squareRoot()
                train.append((u, m, Float(1 + truth.filter { z > $0 }.count)))
            }
        }
        let data = try trainingSet(users: users, movies: movies, train: train, method: .none, scale: .wholeStars)
        let fm = try BayesianFM.make(["rank": 1, "burn_in": 60, "implicit": "none", "user_attributes": "none", "noise": "gaussian",
                                      "likelihood": "ordinal"], seed: 32)
        var sampler = FMSampler(data: data, parameters: fm.parameters, seed: 32)
        var cuts = [0.0, 0.0], alpha = 0.0, kept = 0.0
        for sweep in 1...260 {
            try sampler.sweep(sweep)
            guard sweep > 60 else { continue }
            cuts[0] += sampler.ordinal!.cuts[1]
            cuts[1] += sampler.ordinal!.cuts[2]
            alpha += sampler.alpha
            kept += 1
        }
        #expect(abs(cuts[0] / kept - 2.2) < 0.04 && abs(cuts[1] / kept - 3.7) < 0.04, "cut-points \(cuts.map { $0 / kept })")
        #expect(abs(alpha / kept / precision - 1) < 0.1, "α \(alpha / kept)")
        // The walk's step adapts towards an acceptance of ¼.
        let acceptance = Double(sampler.ordinal!.accepted) / Double(sampler.ordinal!.proposed)
        #expect(sampler.ordinal!.proposed == 200 && acceptance > 0.15 && acceptance < 0.35, "acceptance \(acceptance)")
    }

    /// The stored model's link by hand: whole stars, cut-points 1.5 … 4.5, s_u s_i = 1 at η = 4:
    /// 1 + Φ(2.5) + Φ(1.5) + Φ(0.5) + Φ(−0.5) = 3.926983; at s_u s_i = 2 and η = 3 the classes
    /// balance: 3 exactly.
    @Test func linkByHand() {
        let link = OrdinalLink(cutPoints: [1.5, 2.5, 3.5, 4.5], userScale: [1, 0.5], movieScale: [1, 4], minimum: 1, step: 1)
        #expect(abs(link.expected(4, user: 0, movie: 0) - 3.926983) < 1e-6)
        #expect(abs(link.expected(3, user: 1, movie: 1) - 3) < 1e-6)
        // Half stars: minimum 0.5, step 0.5, nine cut-points; η far above every cut-point gives the top.
        let half = OrdinalLink(cutPoints: (1...9).map { 0.25 + 0.5 * Float($0) }, userScale: [1], movieScale: [1], minimum: 0.5, step: 0.5)
        #expect(abs(half.expected(40, user: 0, movie: 0) - 5) < 1e-6 && abs(half.expected(-40, user: 0, movie: 0) - 0.5) < 1e-6)
    }

    /// A factor model with a link ranks by expected rating: its `scores` are `rawPrediction`
    /// (user bias included), and predictions never leave the scale.
    @Test func scoresAreTheExpectedRatings() {
        var rng = SeededGenerator(seed: 33)
        let users = 4, movies = 7
        let model = FactorModel(
            globalMean: 3.2, userBias: (0..<users).map { _ in Float(rng.nextGaussian()) }, movieBias: (0..<movies).map { _ in Float(rng.nextGaussian()) },
            userFactors: rng.gaussianMatrix(rows: users, columns: 2), movieFactors: rng.gaussianMatrix(rows: movies, columns: 2),
            ordinal: OrdinalLink(cutPoints: [1.5, 2.4, 3.3, 4.5], userScale: (0..<users).map { _ in Float(0.5 + rng.nextUniform()) },
                                 movieScale: (0..<movies).map { _ in Float(0.5 + rng.nextUniform()) }, minimum: 1, step: 1))
        let scores = model.scores(users: 1..<4)
        for (row, u) in (1..<4).enumerated() {
            for i in 0..<movies {
                let expected = model.rawPrediction(user: u, movie: i)
                #expect(abs(scores[row, i] - expected) < 1e-5 && expected > 1 && expected < 5)
                // The link of η written out.
                var eta = model.globalMean + model.userBias[u] + model.movieBias[i]
                for d in 0..<2 { eta += model.userFactors[u, d] * model.movieFactors[i, d] }
                let s = Double(model.ordinal!.userScale[u] * model.ordinal!.movieScale[i])
                let byHand = 1 + [1.5, 2.4, 3.3, 4.5].reduce(0.0) { $0 + 0.5 * erfc(-s * (Double(eta) - $1) / 2.0.squareRoot()) }
                #expect(abs(Double(expected) - byHand) < 1e-5)
            }
        }
    }

    /// Ordered probit fits the ratings themselves, on a scale of whole steps.
    @Test func refusesNormalisedOrStepFreeData() throws {
        let triplets: [(Int, Int, Float)] = [(0, 0, 4), (0, 1, 3), (1, 0, 5), (1, 1, 2)]
        let fm = try BayesianFM.make(["rank": 1, "likelihood": "ordinal"])
        let normalised = try trainingSet(users: 2, movies: 2, train: triplets, method: .baseline, scale: .wholeStars)
        #expect(throws: ModelsError.badParameter("bayesian-fm: likelihood 'ordinal' fits the ratings themselves, but this training set is normalised 'baseline': normalise with --method none")) {
            try fm.fit(normalised)
        }
        let stepFree = try trainingSet(users: 2, movies: 2, train: triplets, method: .none)
        #expect(throws: ModelsError.badParameter("bayesian-fm: likelihood 'ordinal' needs a scale of 3 to 1,001 ratings in whole steps; this data's is -100–100 in steps of 0.0")) {
            try fm.fit(stepFree)
        }
        let binary = try trainingSet(users: 2, movies: 2, train: triplets.map { ($0.0, $0.1, $0.2 > 3 ? 1 : 0) }, method: .none,
                                     scale: RatingScale(minimum: 0, maximum: 1, step: 1))
        #expect(throws: ModelsError.badParameter("bayesian-fm: likelihood 'ordinal' needs a scale of 3 to 1,001 ratings in whole steps; this data's is 0–1 in steps of 1.0")) {
            try fm.fit(binary)
        }
        #expect(RatingScale.wholeStars.levels == 5 && RatingScale.halfStars.levels == 10)
        #expect(RatingScale(minimum: 1, maximum: 5, step: 0).levels == nil && RatingScale(minimum: 1, maximum: 5, step: 0.3).levels == nil)
    }
}

/// The champion/challenger gate moves an ordered probit model onto newer data's users and movies:
/// each known user and movie keeps its scale, and its predictions stay the same.
struct OrdinalReindexTests {
    @Test func reindexedKeepsTheLink() throws {
        let data = try Conformance.small(method: .none)
        let fm = try BayesianFM.make(["rank": 2, "samples": 10, "burn_in": 5, "keep": 5, "likelihood": "ordinal"])
        let file = ModelFile(algorithm: fm, trained: try fm.fit(data), data: data,
                             neighbours: Neighbours.compute(vectors: try fm.fit(data).model.movieVectors, k: 3), createdBy: "test")
        // Newer data (ids ascending): the first user and movie gone, a new one of each last.
        var target = data.metadata
        target.userIDs = Array(target.userIDs.dropFirst()) + [999]
        target.movieIDs = Array(target.movieIDs.dropFirst()) + [999]
        target.titles = Array(target.titles.dropFirst()) + ["New"]
        target.years = Array(target.years.dropFirst()) + [0]
        target.genres = Array(target.genres.dropFirst()) + [""]
        let (moved, unknown) = file.reindexed(to: target)
        #expect(unknown == [Int32(data.movieCount - 1)])
        let old = file.rating!.model.factors!, new = moved.rating!.model.factors!
        #expect(new.ordinal?.cutPoints == old.ordinal?.cutPoints)
        #expect(new.ordinal?.userScale == Array(old.ordinal!.userScale.dropFirst()) + [1])
        #expect(new.ordinal?.movieScale == Array(old.ordinal!.movieScale.dropFirst()) + [1])
        for u in 1..<data.userCount {
            for i in 1..<data.movieCount {
                #expect(new.rawPrediction(user: u - 1, movie: i - 1) == old.rawPrediction(user: u, movie: i))
            }
        }
    }
}
