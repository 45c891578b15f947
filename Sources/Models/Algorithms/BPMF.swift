import Essentials
import Foundation
import LinearAlgebra
import ModelFormat

/// Bayesian probabilistic matrix factorisation by Gibbs sampling (Salakhutdinov & Mnih, ICML
/// 2008), with user and movie biases.
///
/// Each user carries x_u = [p_u, b_u] and each movie y_i = [q_i, c_i] (d = rank + 1). With the
/// global mean m of the training values:
///
///     y(u, i) ~ N(m + b_u + c_i + p_u · q_i, 1/τ)
///     x_u ~ N(μ_U, Λ_U⁻¹),  (μ_U, Λ_U) ~ Normal-Wishart(0, β₀ = 2, W₀ = I, ν₀ = d); likewise y_i
///     τ ~ Gamma(1, 1)
///
/// One Gibbs sweep samples (μ_U, Λ_U) and (μ_V, Λ_V) from their Normal-Wishart posteriors
/// (Wishart by Bartlett's decomposition), then every user row from its Gaussian posterior —
/// precision `Λ_U + τ Σ ỹ ỹᵀ` summed straight from the partner rows (`OuterProducts`), factored
/// as UᵀU (`SmallCholesky`), mean by two triangular solves, noise U⁻¹z — users in parallel, then
/// every movie row, then τ. Each row draws
/// from its own random stream (seed, sweep, row), so the chain does not depend on the schedule.
///
/// Predictions average `keep` samples, evenly spaced over the `samples` sweeps after `burnIn`.
/// The kept samples' factors are stored side by side (rank × keep columns, scaled by 1/√keep)
/// and their biases averaged, so the stored model reproduces the averaged prediction exactly and
/// the training curve's last held-out RMSE is what evaluate measures.
public struct BPMF: Algorithm {
    public static let name = "bpmf"
    public static let summary = "Bayesian matrix factorisation by Gibbs sampling, averaged samples stored exactly"
    public static let rank = Parameter.integer("rank", default: 16, minimum: 1, maximum: 10_000, help: "latent factors")
    public static let samples = GibbsChain.samples(default: 200)
    public static let keep = GibbsChain.keep(default: 40)
    public static let parameters = [rank, samples, GibbsChain.burnIn, keep, GibbsChain.initScale]

    public struct Parameters: Sendable, Equatable {
        public var rank: Int
        public var chain: GibbsChain
    }

    public let values: ParameterValues
    public let parameters: Parameters

    public init(_ values: ParameterValues) throws {
        self.values = values
        let rank = values.integer(Self.rank)
        parameters = Parameters(rank: rank, chain: try GibbsChain(values, samples: Self.samples, keep: Self.keep, algorithm: Self.name, sideBySideRank: rank))
    }

    public func validate(for data: TrainingSet) throws { try validateRank(parameters.rank, for: data) }

    public func fit(_ data: TrainingSet, progress: (TrainingProgress) -> Void) throws -> TrainedModel {
        try validate(for: data)
        let k = parameters.rank, d = k + 1
        let byUser = data.byUser(), byMovie = data.byMovie()
        let mean = Float(data.trainValue.reduce(0.0) { $0 + Double($1) } / Double(max(1, data.trainValue.count)))
        let root = SeededGenerator(seed: seed)
        var initial = root.stream(0)
        var users = initial.gaussianMatrix(rows: data.userCount, columns: d, scale: Float(parameters.chain.initScale))
        var movies = initial.gaussianMatrix(rows: data.movieCount, columns: d, scale: Float(parameters.chain.initScale))
        var tau: Double = 2

        let total = parameters.chain.sweeps
        let keepAt = parameters.chain.keptSweeps
        var keptUsers: [Matrix] = [], keptMovies: [Matrix] = []
        var sumTrain = [Double](repeating: 0, count: data.trainRating.count)
        var sumTest = [Double](repeating: 0, count: data.testRating.count)
        var curve = TrainingCurve()
        var point: (train: Double, test: Double) = (.nan, .nan)

        // The sweeps' small LAPACK calls (the Normal-Wishart draws) run on one BLAS thread: see
        // `Parallel.withBLASThreads`.
        try Parallel.withBLASThreads(1) {
            for sweep in 1...total {
                var hyper = root.stream(1_000_000 + sweep)
                let userPrior = try sampleNormalWishart(users, rng: &hyper)
                let moviePrior = try sampleNormalWishart(movies, rng: &hyper)
                try sampleRows(&users, rows: byUser, partner: movies, mean: mean, tau: tau, prior: userPrior,
                               rng: root.stream(2 * sweep))
                try sampleRows(&movies, rows: byMovie, partner: users, mean: mean, tau: tau, prior: moviePrior,
                               rng: root.stream(2 * sweep + 1))
                guard users.allFinite && movies.allFinite else {
                    throw ModelsError.diverged("bpmf", iteration: sweep, "NaN or Inf in the sampled factors")
                }
                // Noise precision: Gamma(a₀ + N/2, b₀ + SSE/2) with a₀ = b₀ = 1.
                let sse = sumOfSquaredErrors(users: users, movies: movies, byUser: byUser, mean: mean)
                tau = hyper.nextGamma(shape: 1 + Double(data.trainValue.count) / 2) / (1 + sse / 2)

                // The curve: the sample's own RMSE until the first kept sample, then the running
                // average of the kept samples' predictions (which changes only when one is kept).
                if keepAt.contains(sweep) {
                    keptUsers.append(users)
                    keptMovies.append(movies)
                    let sample = model(users: [users], movies: [movies], mean: mean, data: data)
                    sample.addRawPredictions(users: data.trainUser, movies: data.trainMovie, into: &sumTrain)
                    sample.addRawPredictions(users: data.testUser, movies: data.testMovie, into: &sumTest)
                    point = (data.averagedRMSE(sumTrain, count: keptUsers.count, ratings: data.trainRating),
                             data.averagedRMSE(sumTest, count: keptUsers.count, ratings: data.testRating))
                } else if keptUsers.isEmpty {
                    point = data.curvePoint(model(users: [users], movies: [movies], mean: mean, data: data))
                }
                curve.append(iteration: sweep, train: point.train, test: point.test)
                progress(TrainingProgress(iteration: sweep, of: total, trainRMSE: point.train, testRMSE: point.test))
            }
        }
        let averaged = model(users: keptUsers, movies: keptMovies, mean: mean, data: data)
        return TrainedModel(model: .factors(averaged), curve: curve, extras: ["noise_precision": [tau], "kept_samples": [Double(keptUsers.count)]])
    }

    /// The model averaging the given samples: factors side by side scaled by 1/√S, biases averaged.
    func model(users: [Matrix], movies: [Matrix], mean: Float, data: TrainingSet) -> FactorModel {
        let k = parameters.rank, d = k + 1, s = users.count
        let scale = 1 / Float(s).squareRoot()
        func stack(_ samples: [Matrix]) -> (factors: Matrix, bias: [Float]) {
            let rows = samples[0].rows
            var factors = Matrix(rows: rows, columns: k * s)
            var bias = [Float](repeating: 0, count: rows)
            for (index, sample) in samples.enumerated() {
                for row in 0..<rows {
                    for c in 0..<k { factors.values[row * k * s + index * k + c] = sample.values[row * d + c] * scale }
                    bias[row] += sample.values[row * d + k] / Float(s)
                }
            }
            return (factors, bias)
        }
        let u = stack(users), v = stack(movies)
        var model = data.factorModel(userFactors: u.factors, movieFactors: v.factors, userBias: u.bias, movieBias: v.bias)
        model.globalMean += mean
        return model
    }

    private func sumOfSquaredErrors(users: Matrix, movies: Matrix, byUser: SparseRows, mean: Float) -> Double {
        let d = users.columns, k = d - 1
        // A fixed number of partial sums, whatever the cores: the same sum, so the same τ and bytes, on any machine.
        let blocks = Parallel.ranges(byUser.rowCount, parts: 16)
        let parts = try! Parallel.map(blocks.count) { block in
            users.values.withUnsafeBufferPointer { u in
                movies.values.withUnsafeBufferPointer { v in
                    var sum = 0.0
                    for user in blocks[block] {
                        for entry in byUser.range(user) {
                            let movie = Int(byUser.columns[entry])
                            let prediction = mean + u[user * d + k] + v[movie * d + k]
                                + dot(u.baseAddress! + user * d, v.baseAddress! + movie * d, k)
                            let error = Double(byUser.values[entry] - prediction)
                            sum += error * error
                        }
                    }
                    return sum
                }
            }
        }
        return parts.reduce(0, +)
    }

    /// A draw of (μ, Λ) from the Normal-Wishart posterior given the rows of `x` (N × d), prior
    /// μ₀ = 0, β₀ = 2, W₀ = I, ν₀ = d (Salakhutdinov & Mnih, eq. 14).
    func sampleNormalWishart(_ x: Matrix, rng: inout SeededGenerator) throws -> (mean: [Float], precision: [Float]) {
        let n = x.rows, d = x.columns
        let beta0 = 2.0, nu0 = Double(d)
        var xbar = [Double](repeating: 0, count: d)
        for row in 0..<n { for c in 0..<d { xbar[c] += Double(x.values[row * d + c]) } }
        for c in 0..<d { xbar[c] /= Double(max(1, n)) }
        // N·S = Σ (x − x̄)(x − x̄)ᵀ, in double precision. Plain loops, not BLAS: a multi-threaded
        // BLAS call here would wake OpenBLAS's threads, which then spin against the sampler's.
        var scatter = [Double](repeating: 0, count: d * d)
        var centred = [Double](repeating: 0, count: d)
        x.values.withUnsafeBufferPointer { values in
            for row in 0..<n {
                for c in 0..<d { centred[c] = Double(values[row * d + c]) - xbar[c] }
                for r in 0..<d {
                    let scale = centred[r]
                    for c in 0..<d { scatter[r * d + c] += scale * centred[c] }
                }
            }
        }
        var wInverse = [Double](repeating: 0, count: d * d)
        let shrink = beta0 * Double(n) / (beta0 + Double(n))
        for r in 0..<d {
            for c in 0..<d {
                wInverse[r * d + c] = (r == c ? 1 : 0) + scatter[r * d + c] + shrink * xbar[r] * xbar[c]
            }
        }
        let w = try LAPACK.inversePositiveDefinite(wInverse, n: d)
        let nu = nu0 + Double(n)
        // Wishart(W, ν) by Bartlett: Λ = L A Aᵀ Lᵀ, W = L Lᵀ, A lower with A_ii² ~ χ²(ν − i), A_ij ~ N(0, 1).
        let l = try LAPACK.choleskyLower(w, n: d)
        var a = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            a[i * d + i] = rng.nextChiSquared(degrees: nu - Double(i)).squareRoot()
            for j in 0..<i { a[i * d + j] = rng.nextGaussian() }
        }
        var la = [Double](repeating: 0, count: d * d)
        for i in 0..<d { for j in 0..<d { var s = 0.0; for t in 0..<d { s += l[i * d + t] * a[t * d + j] }; la[i * d + j] = s } }
        var lambda = [Double](repeating: 0, count: d * d)
        for i in 0..<d { for j in 0..<d { var s = 0.0; for t in 0..<d { s += la[i * d + t] * la[j * d + t] }; lambda[i * d + j] = s } }
        // μ ~ N(μ*, (β* Λ)⁻¹), μ* = N x̄ / (β₀ + N): μ = μ* + L_Λ⁻ᵀ z / √β*, where β* Λ = β* L_Λ L_Λᵀ.
        let betaStar = beta0 + Double(n)
        let lLambda = try LAPACK.choleskyLower(lambda, n: d)
        var z = (0..<d).map { _ in rng.nextGaussian() / betaStar.squareRoot() }
        for i in stride(from: d - 1, through: 0, by: -1) {
            var s = z[i]
            for j in (i + 1)..<max(i + 1, d) { s -= lLambda[j * d + i] * z[j] }
            z[i] = s / lLambda[i * d + i]
        }
        let mean = (0..<d).map { Float(Double(n) * xbar[$0] / betaStar + z[$0]) }
        return (mean, lambda.map(Float.init))
    }

    /// Samples every row of one side from its Gaussian conditional, in parallel.
    ///
    /// For a row with partner rows ỹ = [q, 1] and targets t = value − m − c: precision
    /// A = Λ + τ Σ ỹỹᵀ, mean A⁻¹(Λμ + τ Σ t ỹ). Σ qqᵀ (`OuterProducts`), Σ q, Σ t q and Σ t are
    /// accumulated straight from the partner matrix (no gathered copy), the (rank+1)² system is
    /// factored by `SmallCholesky` (A = UᵀU), and the draw is mean + U⁻¹z with z ~ N(0, I). No BLAS or LAPACK call is
    /// made inside the loop: at this size their call overhead exceeds the arithmetic.
    private func sampleRows(
        _ target: inout Matrix, rows: SparseRows, partner: Matrix, mean: Float, tau: Double,
        prior: (mean: [Float], precision: [Float]), rng: SeededGenerator
    ) throws {
        let d = target.columns, k = d - 1
        let tauF = Float(tau)
        // Λ μ of the prior, added to every row's right-hand side.
        var priorTerm = [Float](repeating: 0, count: d)
        for r in 0..<d { for c in 0..<d { priorTerm[r] += prior.precision[r * d + c] * prior.mean[c] } }
        let blocks = Parallel.ranges(rows.rowCount, parts: Parallel.workers * 16)
        let failures = try target.values.withUnsafeMutableBufferPointer { out in
            let out = UncheckedBuffer(out)
            return try Parallel.map(blocks.count) { block -> Int in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: k * k + 3 * d + d * d)
                defer { scratch.deallocate() }
                let outer = scratch, linear = scratch + k * k, b = linear + d, z = b + d, a = z + d
                var failed = 0
                partner.values.withUnsafeBufferPointer { q in
                    rows.columns.withUnsafeBufferPointer { columns in
                        rows.values.withUnsafeBufferPointer { values in
                            prior.precision.withUnsafeBufferPointer { precision in
                                for row in blocks[block] {
                                    var stream = rng.stream(row)
                                    outer.update(repeating: 0, count: k * k)
                                    linear.update(repeating: 0, count: 2 * d)   // Σ q, then Σ t q
                                    let range = rows.range(row)
                                    let targetSum = OuterProducts.accumulate(
                                        partner: q.baseAddress!, d: d, k: k, columns: columns.baseAddress!, values: values.baseAddress!,
                                        range: range, mean: mean, outer: outer, linear: linear, weighted: b)
                                    // A = Λ + τ [[Σ qqᵀ, Σ q], [Σ qᵀ, n]] (upper triangle), b = τ [Σ t q; Σ t] + Λμ.
                                    for r in 0..<k {
                                        for c in r..<k { a[r * d + c] = tauF * OuterProducts.entry(outer, k: k, r, c) + precision[r * d + c] }
                                        a[r * d + k] = tauF * linear[r] + precision[r * d + k]
                                    }
                                    a[k * d + k] = tauF * Float(range.count) + precision[k * d + k]
                                    for c in 0..<k { b[c] = tauF * b[c] + priorTerm[c] }
                                    b[k] = tauF * targetSum + priorTerm[k]
                                    var c = 0
                                    while c < d {
                                        let (first, second) = stream.nextGaussianPair()
                                        z[c] = Float(first)
                                        if c + 1 < d { z[c + 1] = Float(second) }
                                        c += 2
                                    }
                                    guard SmallCholesky.factor(a, n: d) else {
                                        failed += 1
                                        continue
                                    }
                                    SmallCholesky.solve(a, n: d, b)
                                    SmallCholesky.solveUpper(a, n: d, z)
                                    for c in 0..<d { out[row * d + c] = b[c] + z[c] }
                                }
                            }
                        }
                    }
                }
                return failed
            }
        }
        let failed = failures.reduce(0, +)
        if failed > 0 {
            throw ModelsError.diverged("bpmf", iteration: 0, "\(failed) posterior precisions were not positive definite")
        }
    }
}
