import ModelFormat
/// How ratings are centred before factorisation, and what is added back at prediction time.
///
/// Every method yields the same shape of terms: a prediction's base is
/// `globalMean + userOffset[u] + movieOffset[i]`, and the factoriser learns the residual.
///
/// | method      | globalMean | userOffset            | movieOffset                          |
/// |-------------|------------|-----------------------|--------------------------------------|
/// | `none`      | 0          | 0                     | 0                                    |
/// | `item-mean` | μ          | 0                     | mean of movie i − μ (the classic recipe) |
/// | `user-mean` | μ          | mean of user u − μ    | 0                                    |
/// | `baseline`  | μ          | b_u                   | b_i, fitted by regularised ALS       |
///
/// μ is the mean training rating. Only training ratings are used to fit anything; users or
/// movies without training ratings get offset 0.
public enum NormalisationMethod: String, CaseIterable, Sendable, Codable {
    case none
    case itemMean = "item-mean"
    case userMean = "user-mean"
    case baseline
}

public struct NormalisationTerms: Sendable, Equatable {
    /// The baseline's defaults (Koren 2010's λ and rounds): `normalise`'s options and the bias
    /// baseline `evaluate` reports take theirs from here.
    public static let defaultLambda = 10.0
    public static let defaultIterations = 10

    public var method: NormalisationMethod
    public var globalMean: Float
    public var userOffset: [Float]
    public var movieOffset: [Float]

    @inline(__always) public func base(user: Int, movie: Int) -> Float {
        globalMean + userOffset[user] + movieOffset[movie]
    }

    /// Fits the terms on training triplets.
    ///
    /// `baseline` alternates closed-form updates of the movie biases
    /// `b_i = Σ_u (r − μ − b_u) / (λ + n_i)` and the user biases
    /// `b_u = Σ_i (r − μ − b_i) / (λ + n_u)` for `iterations` rounds (Koren 2010, §2.1).
    public static func fit(
        method: NormalisationMethod, users: Int, movies: Int,
        user: [Int32], movie: [Int32], rating: [Float], lambda: Double = defaultLambda, iterations: Int = defaultIterations
    ) throws -> NormalisationTerms {
        guard lambda >= 0 else { throw ModelsError.badParameter("lambda \(lambda) must be ≥ 0") }
        guard iterations >= 1 else { throw ModelsError.badParameter("iterations \(iterations) must be ≥ 1") }
        let n = rating.count
        guard n > 0 else { throw ModelsError.badParameter("no training ratings to normalise") }
        let mu = rating.reduce(0.0) { $0 + Double($1) } / Double(n)
        var userOffset = [Double](repeating: 0, count: users)
        var movieOffset = [Double](repeating: 0, count: movies)
        func means(_ index: [Int32], count: Int, minus other: [Double], otherIndex: [Int32], lambda: Double) -> [Double] {
            var sum = [Double](repeating: 0, count: count)
            var seen = [Double](repeating: 0, count: count)
            for k in 0..<n {
                let target = Int(index[k])
                sum[target] += Double(rating[k]) - mu - other[Int(otherIndex[k])]
                seen[target] += 1
            }
            return (0..<count).map { seen[$0] + lambda > 0 ? sum[$0] / (seen[$0] + lambda) : 0 }
        }
        switch method {
        case .none:
            return NormalisationTerms(method: method, globalMean: 0, userOffset: [Float](repeating: 0, count: users),
                                      movieOffset: [Float](repeating: 0, count: movies))
        case .itemMean:
            movieOffset = means(movie, count: movies, minus: userOffset, otherIndex: user, lambda: 0)
        case .userMean:
            userOffset = means(user, count: users, minus: movieOffset, otherIndex: movie, lambda: 0)
        case .baseline:
            for _ in 0..<iterations {
                movieOffset = means(movie, count: movies, minus: userOffset, otherIndex: user, lambda: lambda)
                userOffset = means(user, count: users, minus: movieOffset, otherIndex: movie, lambda: lambda)
            }
        }
        return NormalisationTerms(method: method, globalMean: Float(mu), userOffset: userOffset.map(Float.init),
                                  movieOffset: movieOffset.map(Float.init))
    }
}
