/// A matrix known only through its products with dense matrices: what randomized SVD needs, so a
/// sparse ratings matrix (or one centred on the fly) is never formed densely.
///
///     let a: some LinearOperator = Matrix(rows: 2, columns: 2, values: [1, 2, 3, 4])
///     a.times(b)           // A b
///     a.transposeTimes(c)  // Aᵀ c
public protocol LinearOperator {
    var rows: Int { get }
    var columns: Int { get }
    /// A b (rows × b.columns).
    func times(_ b: Matrix) -> Matrix
    /// Aᵀ b (columns × b.columns).
    func transposeTimes(_ b: Matrix) -> Matrix
}

extension Matrix: LinearOperator {
    public func times(_ b: Matrix) -> Matrix { BLAS.multiply(self, b) }
    public func transposeTimes(_ b: Matrix) -> Matrix { BLAS.multiply(self, transposeA: true, b) }
}

/// Truncated SVD by randomized subspace iteration (Halko, Martinsson & Tropp 2011): a Gaussian
/// sketch of `rank + oversampling` columns, `powerIterations` rounds of QR-orthonormalised
/// products with A and Aᵀ, then an exact SVD of the small projected matrix. Deterministic for a
/// seed; singular vectors get `LAPACK.svd`'s sign convention.
///
///     let (u, sigma, vt) = try RandomizedSVD.compute(a, rank: 50, oversampling: 10, powerIterations: 4, seed: 42)
public enum RandomizedSVD {
    public static func compute(
        _ a: some LinearOperator, rank: Int, oversampling: Int, powerIterations: Int, seed: UInt64
    ) throws -> (u: Matrix, sigma: [Float], vt: Matrix) {
        let l = min(rank + oversampling, min(a.rows, a.columns))
        var rng = SeededGenerator(seed: seed)
        let omega = rng.gaussianMatrix(rows: a.columns, columns: l)
        var y = a.times(omega)                                // m × l
        try LAPACK.orthonormalizeColumns(&y)
        for _ in 0..<powerIterations {
            var z = a.transposeTimes(y)                       // n × l
            try LAPACK.orthonormalizeColumns(&z)
            y = a.times(z)
            try LAPACK.orthonormalizeColumns(&y)
        }
        let b = a.transposeTimes(y).transposed                // l × n = Yᵀ A
        let small = try LAPACK.svd(b)                         // U_b l×l, σ, Vᵀ l×n
        return (BLAS.multiply(y, small.u), small.sigma, small.vt)
    }
}
