import Essentials
import HDF5
import LinearAlgebra
import MovieLens

/// What a head needs to answer a person who is not in its training data from the ratings they
/// give (fold-in, `ModelFile.foldIn` in `Ranking`), stored in the head's `fold_in` group
/// (model format 3). A head without it (older files) refuses fold-in rather than guess.
///
/// - **Factor heads** (SVD, PCA, ALS, BPMF, the Bayesian FM): an empirical Gaussian prior over a
///   user's term and vector z = (b_u, P_u) — the mean and covariance of the training users' own
///   (b_u, P_u) — and the noise variance σ² of the training ratings around the model's
///   predictions. A new user's z is its posterior mean given their ratings y (the movies' terms
///   and vectors fixed): with x_j = (1, Q_j) and y_j − global mean − movie bias,
///
///       z = m + S Xᵀ (σ² I + X S Xᵀ)⁻¹ (y − X m)
///
///   For a user of the training data with many ratings this is close to their stored (b_u, P_u);
///   with none it is the average user. Sizes: (k + 1) + (k + 1)² doubles (rank 256: 0.5 MB).
/// - **Item-item heads** (EASE): the weight each rating gives its movie in the user's input row
///   (1, or EASE's liked weight 1 + β), as a table of the training ratings' values: a history
///   row is scored exactly as a training user's (`H/input_weight` maps each training rating the
///   same way). A few bytes.
///
///     let state = FoldInState.estimate(head: head, training: file.trainingMovies, ratings: file.trainingRatings!)
public enum FoldInState: Sendable, Equatable {
    case factors(FactorPrior)
    case itemItem(InputRule)

    /// The empirical prior of a factor head (see `FoldInState`).
    public struct FactorPrior: Sendable, Equatable {
        /// m: (k + 1), the mean of the training users' (b_u, P_u).
        public var mean: [Double]
        /// S: (k + 1) × (k + 1), row-major, their covariance plus `ridge` on the diagonal.
        public var covariance: [Double]
        /// σ²: the mean squared difference between the training ratings and the head's predictions.
        public var noiseVariance: Double

        public var dimension: Int { mean.count }

        public init(mean: [Double], covariance: [Double], noiseVariance: Double) {
            precondition(covariance.count == mean.count * mean.count, "FactorPrior: (k + 1)² covariance entries")
            (self.mean, self.covariance, self.noiseVariance) = (mean, covariance, noiseVariance)
        }
    }

    /// The input weight of each training rating value, for item-item heads.
    public struct InputRule: Sendable, Equatable {
        /// Distinct training rating values, ascending.
        public var ratings: [Float]
        /// The weight a rating of `ratings[i]` gives its movie.
        public var weights: [Float]

        public init(ratings: [Float], weights: [Float]) {
            precondition(ratings.count == weights.count, "InputRule: one weight per rating")
            (self.ratings, self.weights) = (ratings, weights)
        }

        /// The weight of `rating`: its table entry, or the nearest value's (the lower on a tie)
        /// for a rating on the scale that no training rating had.
        public func weight(_ rating: Float) -> Float {
            guard !ratings.isEmpty else { return 1 }
            var best = 0
            for index in ratings.indices where abs(ratings[index] - rating) < abs(ratings[best] - rating) { best = index }
            return weights[best]
        }
    }

    /// The diagonal added to the users' covariance, relative to its mean diagonal: keeps the
    /// prior proper along directions the training users hardly vary in (a sketch's last columns).
    public static let relativeRidge = 1e-6

    /// The state of `head` from the file's training movies (by user, ascending) and their
    /// ratings; nil for a head that cannot fold in (an ordered-probit head; an item-item head
    /// whose input weights give one rating value two weights; no training users).
    public static func estimate(head: ModelHead, training: SparseRows, ratings: [Float]) -> FoldInState? {
        precondition(ratings.count == training.columns.count, "estimate: one rating per training movie")
        switch head.model {
        case .factors(let factors):
            guard factors.ordinal == nil else { return nil }
            return factorPrior(factors, training: training, ratings: ratings).map { .factors($0) }
        case .itemItem, .sparseItemItem:
            var table: [Float: Float] = [:]
            for (index, rating) in ratings.enumerated() {
                let weight = head.inputWeights?[index] ?? 1
                if let known = table[rating], known != weight { return nil }
                table[rating] = weight
            }
            let values = table.keys.sorted()
            return .itemItem(InputRule(ratings: values, weights: values.map { table[$0]! }))
        }
    }

    static func factorPrior(_ model: FactorModel, training: SparseRows, ratings: [Float]) -> FactorPrior? {
        let k = model.rank, d = k + 1
        let users = (0..<training.rowCount).filter { !training.range($0).isEmpty }
        guard users.count >= 2 else { return nil }
        // (b_u, P_u) of the users with training ratings, as a users × d matrix (double).
        var z = [Double](repeating: 0, count: users.count * d)
        for (row, user) in users.enumerated() {
            z[row * d] = Double(model.userBias[user])
            for c in 0..<k { z[row * d + 1 + c] = Double(model.userFactors.values[user * k + c]) }
        }
        var mean = [Double](repeating: 0, count: d)
        for row in 0..<users.count { for c in 0..<d { mean[c] += z[row * d + c] } }
        for c in 0..<d { mean[c] /= Double(users.count) }
        for row in 0..<users.count { for c in 0..<d { z[row * d + c] -= mean[c] } }
        // S = ZᵀZ / (n − 1): one BLAS call in double, on one thread (the same bytes on any machine).
        var covariance = [Double](repeating: 0, count: d * d)
        Parallel.withBLASThreads(1) {
            z.withUnsafeBufferPointer { a in
                covariance.withUnsafeMutableBufferPointer { c in
                    BLAS.syrkUpperTransposed(n: d, k: users.count, alpha: 1, a: a.baseAddress!, lda: d, beta: 0, c: c.baseAddress!, ldc: d)
                }
            }
        }
        for r in 0..<d { for c in 0..<r { covariance[r * d + c] = covariance[c * d + r] } }
        let scale = 1 / Double(users.count - 1)
        var trace = 0.0
        for index in covariance.indices { covariance[index] *= scale }
        for c in 0..<d { trace += covariance[c * d + c] }
        let ridge = max(relativeRidge * trace / Double(d), 1e-12)
        for c in 0..<d { covariance[c * d + c] += ridge }
        // σ²: the training ratings around the head's own (unclipped) predictions.
        var squared = 0.0
        for user in users {
            for entry in training.range(user) {
                let error = Double(ratings[entry]) - Double(model.linearPrediction(user: user, movie: Int(training.columns[entry])))
                squared += error * error
            }
        }
        let noise = squared / Double(max(1, training.columns.count))
        guard noise.isFinite, noise > 0, covariance.allSatisfy(\.isFinite) else { return nil }
        return FactorPrior(mean: mean, covariance: covariance, noiseVariance: noise)
    }

    // MARK: The file's `H/fold_in` group

    /// Writes the state into `group` (a head's `fold_in`).
    func write(to group: HDF5Group) throws {
        switch self {
        case .factors(let prior):
            try group.setAttribute("kind", "factor-prior")
            try group.setAttribute("noise_variance", prior.noiseVariance)
            try group.write("prior_mean", prior.mean)
            try group.write("prior_covariance", prior.covariance, shape: [prior.dimension, prior.dimension])
        case .itemItem(let rule):
            try group.setAttribute("kind", "input-rule")
            try group.write("rating", rule.ratings)
            try group.write("input_weight", rule.weights)
        }
    }

    /// Reads a head's `fold_in` group, checked against the head's model and the rating scale.
    static func read(_ group: HDF5Group, at location: String, model: LearnedModel, scale: RatingScale, check: ContentCheck) throws -> FoldInState {
        let kind = try group.stringAttribute("kind")
        switch (kind, model) {
        case ("factor-prior", .factors(let factors)):
            let d = factors.rank + 1
            let noise = try group.attribute("noise_variance", as: Double.self)
            guard noise >= 1e-12, noise <= 1e12 else { throw check.fail("\(location) attribute 'noise_variance'", "is \(noise): it must be from 1e-12 to 1e12") }
            let mean: [Double] = try group.read("prior_mean", shape: [d], why: "rank + 1")
            let covariance: [Double] = try group.read("prior_covariance", shape: [d, d], why: "(rank + 1) × (rank + 1)")
            try check.finite(mean, location + "/prior_mean")
            try check.finite(covariance, location + "/prior_covariance")
            if let position = (mean + covariance).firstIndex(where: { abs($0) > 1e12 }) {
                throw check.fail(location, "prior value \(position) is beyond ±1e12: not a prior of factors")
            }
            for r in 0..<d {
                guard covariance[r * d + r] >= 1e-12 else { throw check.fail(location + "/prior_covariance", "diagonal entry \(r) is \(covariance[r * d + r]): a covariance's diagonal must be at least 1e-12") }
                for c in 0..<r where covariance[r * d + c] != covariance[c * d + r] {
                    throw check.fail(location + "/prior_covariance", "entries (\(r), \(c)) and (\(c), \(r)) differ: a covariance is symmetric")
                }
            }
            // Fold-in factors it (Cholesky): a matrix that is not positive definite is refused here.
            var factor = covariance
            let definite = factor.withUnsafeMutableBufferPointer { SmallCholesky.factor($0.baseAddress!, n: d) }
            guard definite else { throw check.fail(location + "/prior_covariance", "is not positive definite (a covariance plus a ridge is)") }
            return .factors(FactorPrior(mean: mean, covariance: covariance, noiseVariance: noise))
        case ("input-rule", .itemItem), ("input-rule", .sparseItemItem):
            let count = try group.dataset("rating").shape.first ?? 0
            let ratings: [Float] = try group.read("rating", shape: [count], why: "one per input weight")
            let weights: [Float] = try group.read("input_weight", shape: [count], why: "/rating's length")
            if let position = ratings.firstIndex(where: { !scale.contains($0) }) {
                throw check.fail(location + "/rating", "position \(position): \(scale.problem(with: ratings[position])!)")
            }
            try check.strictlyIncreasing(ratings, location + "/rating", what: "ratings")
            try check.finite(weights, location + "/input_weight")
            return .itemItem(InputRule(ratings: ratings, weights: weights))
        default:
            throw check.fail(location, "attribute 'kind' is '\(kind)', which does not fold in a \(model.kind) head (factor-prior for factors, input-rule for item-item)")
        }
    }
}
