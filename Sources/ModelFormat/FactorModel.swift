import Essentials
import LinearAlgebra

/// The learned state of a latent-factor model (SVD, PCA, ALS, BPMF):
///
///     r̂(u, i) = clip(globalMean + userBias[u] + movieBias[i] + P[u] · Q[i])
///
/// The biases include the normalisation terms, so the model predicts without the training data.
/// `movieFactors` (Q) are also the movie vectors whose cosine gives "movies like this one".
public struct FactorModel: Sendable {
    /// The widest factor matrices a model file holds (BPMF stores rank × kept samples columns).
    public static let maximumRank = 100_000

    public var globalMean: Float
    public var userBias: [Float]
    public var movieBias: [Float]
    /// P: users × rank.
    public var userFactors: Matrix
    /// Q: movies × rank.
    public var movieFactors: Matrix
    /// Ordered probit's link from the linear predictor η to the expected rating (nil: the
    /// prediction is η itself).
    public var ordinal: OrdinalLink?

    public init(globalMean: Float, userBias: [Float], movieBias: [Float], userFactors: Matrix, movieFactors: Matrix,
                ordinal: OrdinalLink? = nil) {
        precondition(userFactors.columns == movieFactors.columns)
        (self.globalMean, self.userBias, self.movieBias) = (globalMean, userBias, movieBias)
        (self.userFactors, self.movieFactors, self.ordinal) = (userFactors, movieFactors, ordinal)
    }

    public var rank: Int { userFactors.columns }
    public var userCount: Int { userFactors.rows }
    public var movieCount: Int { movieFactors.rows }

    /// The unclipped prediction: η, or with `ordinal` the expected rating given η.
    @inline(__always)
    public func rawPrediction(user: Int, movie: Int) -> Float {
        let eta = linearPrediction(user: user, movie: movie)
        guard let ordinal else { return eta }
        return ordinal.expected(eta, user: user, movie: movie)
    }

    /// η = global mean + user bias + movie bias + P[u] · Q[i].
    @inline(__always)
    public func linearPrediction(user: Int, movie: Int) -> Float {
        let k = rank
        let interaction = userFactors.values.withUnsafeBufferPointer { p in
            movieFactors.values.withUnsafeBufferPointer { q in
                dot(p.baseAddress! + user * k, q.baseAddress! + movie * k, k)
            }
        }
        return globalMean + userBias[user] + movieBias[movie] + interaction
    }

    /// Ranking scores of every movie for users `users` (a block × movies matrix), through one
    /// BLAS `gemm`: P[users] Qᵀ + movieBias. The user's own bias does not change a ranking and
    /// is left out — except under an ordinal link, whose scores are the expected ratings
    /// (`rawPrediction`: the link's movie scales make the order depend on η itself).
    public func scores(users: Range<Int>) -> Matrix {
        let k = rank
        let block = Matrix(rows: users.count, columns: k,
                           values: Array(userFactors.values[(users.lowerBound * k)..<(users.upperBound * k)]))
        var result = Matrix(rows: users.count, columns: movieCount)
        for row in 0..<users.count {
            for movie in 0..<movieCount { result.values[row * movieCount + movie] = movieBias[movie] }
        }
        BLAS.gemm(block, movieFactors, transposeB: true, alpha: 1, beta: 1, into: &result)
        if let ordinal {
            for (row, user) in users.enumerated() {
                let offset = globalMean + userBias[user]
                for movie in 0..<movieCount {
                    let index = row * movieCount + movie
                    result.values[index] = ordinal.expected(result.values[index] + offset, user: user, movie: movie)
                }
            }
        }
        return result
    }

    /// sums[i] += the raw prediction for (users[i], movies[i]), in parallel over blocks of pairs:
    /// the samplers average their kept samples' predictions with it.
    public func addRawPredictions(users: [Int32], movies: [Int32], into sums: inout [Double]) {
        let blocks = Parallel.ranges(sums.count, parts: Parallel.workers * 4)
        let link = ordinal
        sums.withUnsafeMutableBufferPointer { sums in
            let sums = UncheckedBuffer(sums)
            Parallel.forEach(blocks.count) { block in
                for index in blocks[block] {
                    // `rawPrediction` with the link bound once (not a copy per prediction).
                    let user = Int(users[index]), movie = Int(movies[index])
                    let eta = linearPrediction(user: user, movie: movie)
                    sums[index] += Double(link?.expected(eta, user: user, movie: movie) ?? eta)
                }
            }
        }
    }

    public var allFinite: Bool {
        globalMean.isFinite && userBias.allSatisfy(\.isFinite) && movieBias.allSatisfy(\.isFinite)
            && userFactors.allFinite && movieFactors.allFinite && (ordinal?.allFinite ?? true)
    }
}
