import Models
import MovieLens
import Testing

struct NormalisationTests {
    // Hand-worked: users 0,1; movies 0,1. Training r(0,0)=5, r(0,1)=3, r(1,0)=4; held out r(1,1)=1.
    let train: [(Int, Int, Float)] = [(0, 0, 5), (0, 1, 3), (1, 0, 4)]
    let test: [(Int, Int, Float)] = [(1, 1, 1)]

    @Test func itemMean() throws {
        let set = try trainingSet(users: 2, movies: 2, train: train, test: test, method: .itemMean)
        #expect(set.terms.globalMean == 4)  // (5 + 3 + 4) / 3; the held-out 1 is not used
        #expect(set.terms.movieOffset == [0.5, -1])  // movie means 4.5 and 3
        #expect(set.terms.userOffset == [0, 0])
        #expect(set.trainValue == [0.5, 0, -0.5])
    }

    @Test func userMean() throws {
        let set = try trainingSet(users: 2, movies: 2, train: train, test: test, method: .userMean)
        #expect(set.terms.userOffset == [0, 0])  // user means 4 and 4
        #expect(set.trainValue == [1, -1, 0])
    }

    @Test func none() throws {
        let set = try trainingSet(users: 2, movies: 2, train: train, test: test, method: .none)
        #expect(set.terms.globalMean == 0 && set.trainValue == [5, 3, 4])
    }

    @Test func baselineWithLambdaZeroFitsTheMeansExactly() throws {
        // One round, λ = 0: b_i = mean(r − μ) per movie = [0.5, −1]; then b_u = mean(r − μ − b_i) = [0.25, −0.5].
        let set = try trainingSet(users: 2, movies: 2, train: train, test: test, method: .none)
        let terms = try NormalisationTerms.fit(method: .baseline, users: 2, movies: 2, user: set.trainUser,
                                               movie: set.trainMovie, rating: set.trainRating, lambda: 0, iterations: 1)
        #expect(terms.movieOffset == [0.5, -1] && terms.userOffset == [0.25, -0.5])
    }

    @Test func baselineShrinksWithLambda() throws {
        let set = try trainingSet(users: 2, movies: 2, train: train, method: .none)
        let terms = try NormalisationTerms.fit(method: .baseline, users: 2, movies: 2, user: set.trainUser,
                                               movie: set.trainMovie, rating: set.trainRating, lambda: 2, iterations: 1)
        #expect(terms.movieOffset == [0.25, -1.0 / 3.0])  // Σ(r − μ) / (λ + n): 1/4 and −1/3
    }

    @Test func badParameters() throws {
        #expect(throws: ModelsError.badParameter("lambda -1.0 must be ≥ 0")) {
            try NormalisationTerms.fit(method: .baseline, users: 1, movies: 1, user: [0], movie: [0], rating: [3], lambda: -1)
        }
    }
}
