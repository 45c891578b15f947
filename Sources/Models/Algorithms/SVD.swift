import Foundation
import LinearAlgebra
import ModelFormat

/// The classic recipe: truncated SVD of the normalised users × movies matrix (missing entries 0
/// after centring), rank k.
///
///     X ≈ U_k Σ_k V_kᵀ,   P = U_k,   Q = V_k Σ_k (the movie vectors for cosine similarity)
///
/// Solvers: `exact` — LAPACK `sgesdd` (divide and conquer) on the dense matrix; `randomized` —
/// Halko, Martinsson & Tropp (2011), Algorithm 4.4: a Gaussian sketch of k + oversampling
/// columns, `powerIterations` rounds of subspace iteration re-orthonormalised by QR, then the
/// exact SVD of the small projected matrix (`RandomizedSVD`), its products with X taken from
/// the sparse ratings (`RatingsOperator`) so the dense matrix is never formed. `auto` picks exact when
/// m·n·min(m, n) ≤ 4·10⁹ (ML-100K) and randomized above (ML-1M and larger).
///
/// Treating missing ratings as 0 biases predictions towards the centre; the held-out RMSE says
/// so honestly (ALS, which fits only observed entries, does better).
public struct SVD: Algorithm {
    public static let name = "svd"
    public static let summary = "truncated SVD of the normalised matrix (missing entries 0): exact LAPACK or randomised"
    public static let rank = Parameter.integer("rank", default: 50, minimum: 1, maximum: 10_000, help: "singular vectors kept")
    public static let solver = Parameter.choice("solver", default: "auto", ["auto", "exact", "randomized"], help: "exact (LAPACK gesdd), randomized (Halko et al.), or auto by size")
    public static let oversampling = Parameter.integer("oversampling", default: 10, minimum: 0, maximum: 10_000, help: "randomized: extra sketch columns")
    public static let powerIterations = Parameter.integer("power_iterations", default: 4, minimum: 0, maximum: 100, help: "randomized: subspace iterations")
    public static let parameters = [rank, solver, oversampling, powerIterations]

    public struct Parameters: Sendable, Equatable {
        public var rank: Int, solver: String, oversampling: Int, powerIterations: Int
    }

    public let values: ParameterValues
    public let parameters: Parameters

    public init(_ values: ParameterValues) throws {
        self.values = values
        parameters = Parameters(rank: values.integer(Self.rank), solver: values.text(Self.solver),
                                oversampling: values.integer(Self.oversampling), powerIterations: values.integer(Self.powerIterations))
    }

    public func validate(for data: TrainingSet) throws {
        try validateRank(parameters.rank, for: data)
        if resolvedSolver(rows: data.userCount, columns: data.movieCount) == "exact" {
            try validateDense(rows: data.userCount, columns: data.movieCount, for: data)
        }
    }

    /// The size rule of `auto` (shared with PCA): the exact decomposition when m·n·min(m, n) ≤
    /// 4·10⁹ (ML-100K), randomized above (ML-1M).
    public static func prefersExact(rows m: Int, columns n: Int) -> Bool {
        Double(m) * Double(n) * Double(min(m, n)) <= 4e9
    }

    /// The solver `auto` resolves to for an m × n matrix.
    public func resolvedSolver(rows m: Int, columns n: Int) -> String {
        guard parameters.solver == "auto" else { return parameters.solver }
        return Self.prefersExact(rows: m, columns: n) ? "exact" : "randomized"
    }

    public func fit(_ data: TrainingSet, progress: (TrainingProgress) -> Void) throws -> TrainedModel {
        try validate(for: data)
        let k = parameters.rank
        let u: Matrix, sigma: [Float], vt: Matrix, norm: Float
        if resolvedSolver(rows: data.userCount, columns: data.movieCount) == "exact" {
            let x = data.denseMatrix()
            (u, sigma, vt) = try LAPACK.svd(x)
            norm = x.frobeniusNorm
        } else {
            // The sparse ratings through products: the users × movies matrix is never formed.
            let x = RatingsOperator(data)
            (u, sigma, vt) = try randomized(x)
            norm = x.frobeniusNorm
        }
        guard u.allFinite && vt.allFinite && sigma.allSatisfy(\.isFinite) else {
            throw ModelsError.diverged("svd", iteration: 1, "NaN or Inf in the singular vectors")
        }
        let movieFactors = vt.leadingRows(k).transposed.scalingColumns(by: Array(sigma.prefix(k)))
        let model = data.factorModel(userFactors: u.leadingColumns(k), movieFactors: movieFactors)
        var curve = TrainingCurve()
        let point = data.curvePoint(model)
        curve.append(iteration: 1, train: point.train, test: point.test)
        progress(TrainingProgress(iteration: 1, of: 1, trainRMSE: point.train, testRMSE: point.test))
        return TrainedModel(model: .factors(model), curve: curve, extras: [
            "singular_values": sigma.prefix(k).map(Double.init),
            "frobenius_norm": [Double(norm)],
        ])
    }

    /// U, σ, Vᵀ with at least `rank` leading components, by the chosen solver.
    public func factorize(_ x: Matrix) throws -> (u: Matrix, sigma: [Float], vt: Matrix) {
        if resolvedSolver(rows: x.rows, columns: x.columns) == "exact" {
            return try LAPACK.svd(x)
        }
        return try randomized(x)
    }

    func randomized(_ x: some LinearOperator) throws -> (u: Matrix, sigma: [Float], vt: Matrix) {
        try RandomizedSVD.compute(x, rank: parameters.rank, oversampling: parameters.oversampling,
                                  powerIterations: parameters.powerIterations, seed: seed)
    }
}
