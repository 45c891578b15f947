import ArtifactStore
import Essentials
import Foundation
import Models
import MovieLens
import ProjectorClient
import Ranking
import Testing
import TestSupport

/// A person's attributes in fold-in: the prior's mean shifted by the values they give
/// (`FoldInState.AttributePrior`), fitted on the training users' own vectors.
struct FoldInAttributesTests {
    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR"))
    func attributesShiftThePriorByTheRidgeFit() throws {
        guard let (file, _) = try ml100kServedModel(split: .default) else { return }
        let head = try #require(file.rating)
        guard case .factors(let prior)? = head.foldIn, let factors = head.model.factors else {
            Issue.record("the rating head has a factor prior")
            return
        }
        let attributes = try #require(prior.attributes, "ML-100K's users have attributes: the prior has offsets")
        let stored = try #require(file.userAttributes)
        #expect(attributes.known("gender") == ["F", "M"])
        #expect(attributes.known("age") == ["1", "18", "25", "35", "45", "50", "56"])
        #expect(attributes.known("occupation").contains("programmer") && attributes.known("occupation").count == 21)

        // The ridge normal equations (AᵀA + 10 I) W = Aᵀ (Z − m), built here from the training
        // users' stored (b_u, P_u) and attributes, hold for the stored offsets.
        let d = factors.rank + 1, p = attributes.values.count
        let users = (0..<file.metadata.userCount).filter { !file.trainingMovies.range($0).isEmpty }
        var residual = 0.0, scale = 0.0
        for column in 0..<d {
            var lhs = [Double](repeating: 0, count: p), rhs = [Double](repeating: 0, count: p)
            for user in users {
                let values = stored.values(of: user)
                let features = (0..<p).filter { values[attributes.groups[$0]] == attributes.values[$0] }
                let z = (column == 0 ? Double(factors.userBias[user]) : Double(factors.userFactors[user, column - 1])) - prior.mean[column]
                let fitted = features.reduce(0.0) { $0 + attributes.offsets[$1 * d + column] }
                for f in features { lhs[f] += fitted; rhs[f] += z }
            }
            for f in 0..<p {
                lhs[f] += FoldInState.AttributePrior.ridge * attributes.offsets[f * d + column]
                residual = max(residual, abs(lhs[f] - rhs[f]))
                scale = max(scale, abs(rhs[f]))
            }
        }
        #expect(residual <= 1e-9 * max(1, scale), "normal equations' residual \(residual)")

        // A person with attributes is the posterior mean under N(m + Σ W_v, S): an empty history gives that mean.
        let foldIn = try ModelFile.FoldIn(file)
        let given = ["gender": "F", "age": "25", "occupation": "programmer"]
        #expect(foldIn.knownAttributes(given) == given)
        #expect(foldIn.knownAttributes(["zip": "Q", "gender": "M"]) == ["gender": "M"])
        let mean = prior.mean(attributes: given)
        let person = foldIn.fold(History([]), attributes: given)
        for movie in [0, 10, 100] {
            let expected = Double(factors.globalMean) + mean[0] + Double(factors.movieBias[movie])
                + (0..<factors.rank).reduce(0.0) { $0 + mean[1 + $1] * Double(factors.movieFactors[movie, $1]) }
            #expect(abs(Double(person.predict(movie: movie)!) - min(5, max(1, expected))) < 1e-5)
        }
        var shifted = prior.mean
        for index in 0..<p where given[attributes.groups[index]] == attributes.values[index] {
            for c in 0..<d { shifted[c] += attributes.offsets[index * d + c] }
        }
        #expect(shifted == mean)
    }

    /// Which movies a person rated shift the prior (`FoldInState.ImplicitPrior`): the stored
    /// offsets satisfy the ridge normal equations (NᵀN + 10 I) V = Nᵀ R, built here from the
    /// training users' stored vectors, attributes and training movies (n_u = 1/√|N_u|).
    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR"))
    func ratedMoviesShiftThePriorByTheRidgeFit() throws {
        guard let (file, _) = try ml100kServedModel(split: .default) else { return }
        let head = try #require(file.rating)
        guard case .factors(let prior)? = head.foldIn, let factors = head.model.factors else {
            Issue.record("the rating head has a factor prior")
            return
        }
        let implicit = try #require(prior.implicit, "a factor head written with its training ratings has implicit offsets")
        let stored = try #require(file.userAttributes)
        let d = factors.rank + 1, size = implicit.movies.count
        #expect(size == (0..<file.metadata.movieCount).filter { file.trainingMovies.columnCounts(file.metadata.movieCount)[$0] > 0 }.count)
        let slot = Dictionary(uniqueKeysWithValues: implicit.movies.enumerated().map { (Int($1), $0) })
        let users = (0..<file.metadata.userCount).filter { !file.trainingMovies.range($0).isEmpty }
        var residual = 0.0, scale = 0.0
        for column in [0, 1, d / 2, d - 1] {
            var lhs = [Double](repeating: 0, count: size), rhs = [Double](repeating: 0, count: size)
            for user in users {
                let range = file.trainingMovies.range(user)
                let n = 1 / Double(range.count).squareRoot()
                let rated = range.compactMap { slot[Int(file.trainingMovies.columns[$0])] }
                var r = (column == 0 ? Double(factors.userBias[user]) : Double(factors.userFactors[user, column - 1])) - prior.mean[column]
                if let attributes = prior.attributes {
                    let values = stored.values(of: user)
                    for index in 0..<attributes.values.count where values[attributes.groups[index]] == attributes.values[index] {
                        r -= attributes.offsets[index * d + column]
                    }
                }
                let fitted = rated.reduce(0.0) { $0 + n * Double(implicit.offsets[$1 * d + column]) }
                for j in rated { lhs[j] += n * fitted; rhs[j] += n * r }
            }
            for j in 0..<size {
                lhs[j] += FoldInState.ImplicitPrior.ridge * Double(implicit.offsets[j * d + column])
                residual = max(residual, abs(lhs[j] - rhs[j]))
                scale = max(scale, abs(rhs[j]))
            }
        }
        // The offsets are stored in single precision: the equations hold to its rounding.
        #expect(residual <= 1e-5 * max(1, scale), "normal equations' residual \(residual) (scale \(scale))")
        #expect(residual > 0 || scale == 0)
    }

    /// Through the client: attributes change a fold-in's stars, values the model never saw are
    /// not used, a model without attribute priors refuses them.
    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR"))
    func clientAnswersWithAttributes() throws {
        guard let (file, _) = try ml100kServedModel(split: .default) else { return }
        let (root, model) = try FoldInTests.open(file)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let ratings = [StoredModel.GivenRating(movieID: 50, rating: 5), .init(movieID: 181, rating: 4)]
        let plain = try model.predict(userID: nil, ratings: ratings, movieIDs: [1, 100, 313])
        let young = try model.predict(userID: nil, ratings: ratings, attributes: .init(gender: "M", age: 19, occupation: "student", zip: "Q9999"), movieIDs: [1, 100, 313])
        #expect(plain.items.map(\.rating) != young.items.map(\.rating))
        #expect(young.basis.hasSuffix("2 ratings and age, gender, occupation"), "\(young.basis): zip region Q is unknown, not used")
        // Only attributes: the prior's mean for them.
        let only = try model.predict(userID: nil, ratings: [], attributes: .init(gender: "F"), movieIDs: [1])
        #expect(only.basis.contains("with their gender"))

        // A file whose users had no attributes: refused with the reason.
        var bare = file
        bare.userAttributes = nil
        for (role, head) in bare.heads {
            var cleared = head
            cleared.foldIn = nil
            if role == .rating { bare.rating = cleared } else { bare.ranking = cleared }
        }
        let (bareRoot, bareModel) = try FoldInTests.open(bare)
        defer { try? FileManager.default.removeItem(atPath: bareRoot) }
        #expect(throws: StoreError(.badInput, "ml@1: attributes: this model's fold-in prior has no user attributes (its training data had none, or the file predates them): leave attributes out")) {
            try bareModel.predict(userID: nil, ratings: ratings, attributes: .init(gender: "F"), movieIDs: [1])
        }
        // A known user without new ratings keeps their stored answer, whatever the model's prior.
        let knownUser = bare.metadata.userIDs[0]
        #expect(try bareModel.recommend(userID: knownUser, ratings: [], attributes: .init(gender: "F"), k: 3, candidates: nil).items.count == 3)
        #expect(try bareModel.predict(userID: knownUser, ratings: [], attributes: .init(gender: "F"), movieIDs: [1]).basis.hasPrefix("user \(knownUser) as trained"))
        #expect(throws: StoreError(.badInput, "attributes.age: must be from 1 to 200 (years, or ML-1M's age-group code), not 0")) {
            try model.predict(userID: nil, ratings: ratings, attributes: .init(age: 0), movieIDs: [1])
        }
    }
}
