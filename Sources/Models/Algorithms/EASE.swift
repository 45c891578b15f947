import Foundation
import LinearAlgebra

/// EASE^R (Steck, WWW 2019): an item-item linear model for top-N recommendation with a closed form.
///
/// With X the binarised training matrix (users × movies: 1 where the user rated the movie, any
/// rating) and G = XᵀX + λI (BLAS `syrk`):
///
///     P = G⁻¹ (LAPACK Cholesky: spotrf + spotri),   B = I − P · diag(1 / diag(P)),   diag(B) = 0
///
/// i.e. B_ij = −P_ij / P_jj off the diagonal. A user's scores are x_u B. EASE ranks movies; it
/// predicts no ratings, so RMSE does not apply to it (evaluate reports "not applicable").
///
/// With `keep_entries` N > 0 only the N largest-magnitude entries of each column of B are kept
/// and stored sparse: N × movies entries instead of movies² (at 59k movies, N = 1000 is 0.47 GB
/// instead of 14 GB). The README has the measured precision against the dense matrix.
public struct EASE: Algorithm {
    public static let name = "ease"
    public static let summary = "EASE^R item-item model (ranks; predicts no ratings)"
    public static let lambda = Parameter.real("lambda", default: 1500, minimum: 0, exclusiveMinimum: true, maximum: 1e9, help: "L2 penalty λ (XᵀX alone is singular)")
    public static let keepEntries = Parameter.integer("keep_entries", default: 0, minimum: 0, maximum: 100_000, help: "largest-magnitude entries of B kept per column, stored sparse (0: all, dense)")
    public static let parameters = [lambda, keepEntries]
    public static let maximumMovies = 30_000

    public struct Parameters: Sendable, Equatable {
        public var lambda: Double
        /// 0: the dense matrix; else B sparsified to this many entries per column.
        public var keepEntries: Int
    }

    public let values: ParameterValues
    public let parameters: Parameters

    public init(_ values: ParameterValues) throws {
        self.values = values
        parameters = Parameters(lambda: values.real(Self.lambda), keepEntries: values.integer(Self.keepEntries))
    }

    public func validate(for data: TrainingSet) throws {
        guard data.movieCount <= Self.maximumMovies else {
            throw ModelsError.badParameter("ease: \(data.movieCount) movies make a \(data.movieCount)² item matrix (at most \(Self.maximumMovies))")
        }
        try validateDense(rows: data.userCount, columns: data.movieCount, for: data)
    }

    /// B from a binary users × movies matrix.
    public func weights(_ x: Matrix) throws -> Matrix {
        var g = BLAS.gram(x)
        let n = g.rows
        for i in 0..<n { g.values[i * n + i] += Float(parameters.lambda) }
        do {
            try LAPACK.invertPositiveDefinite(&g)
        } catch {
            throw ModelsError.diverged("ease", iteration: 1, "XᵀX + λI is not positive definite: \(error)")
        }
        var b = g
        for j in 0..<n {
            let scale = -1 / g.values[j * n + j]
            for i in 0..<n { b.values[i * n + j] = g.values[i * n + j] * scale }
            b.values[j * n + j] = 0
        }
        return b
    }

    public func fit(_ data: TrainingSet, progress: (TrainingProgress) -> Void) throws -> TrainedModel {
        try validate(for: data)
        var x = Matrix(rows: data.userCount, columns: data.movieCount)
        for index in 0..<data.trainUser.count {
            x.values[Int(data.trainUser[index]) * data.movieCount + Int(data.trainMovie[index])] = 1
        }
        let b = try weights(x)
        guard b.allFinite else { throw ModelsError.diverged("ease", iteration: 1, "NaN or Inf in B") }
        progress(TrainingProgress(iteration: 1, of: 1, trainRMSE: .nan, testRMSE: .nan))
        let dense = ItemItemModel(weights: b)
        let keep = parameters.keepEntries
        return TrainedModel(model: keep == 0 ? .itemItem(dense) : .sparseItemItem(dense.sparsified(keep: keep)), curve: TrainingCurve())
    }
}
