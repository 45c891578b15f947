/// Cholesky factorisation and triangular solves for small symmetric positive-definite matrices
/// (n of a few dozen), on raw row-major buffers, in plain Swift, in `Float` (BPMF) or `Double`
/// (the Bayesian FM's joint id draws).
///
/// A Gibbs sweep of BPMF factors one 17 × 17 matrix per user and per movie: ten thousand calls a
/// sweep, millions a run. LAPACK's `spotrf` is built for large matrices; at this size its call
/// overhead (argument checks, level-2 BLAS calls) costs more than the arithmetic. These loops use
/// the upper form A = UᵀU (U upper triangular, row-major), whose every inner loop runs along a
/// contiguous row and so vectorises. Large factorisations stay with `LAPACK`.
///
///     // a = [[4, 2], [2, 3]]  →  U = [[2, 1], [0, √2]]
///     SmallCholesky.factor(a, n: 2)            // true; a's upper triangle is U
///     SmallCholesky.solve(a, n: 2, b)          // b ← A⁻¹ b
public enum SmallCholesky {
    /// Replaces the upper triangle of `a` (n×n, row-major) by U with A = UᵀU (right-looking:
    /// row j is scaled by its pivot, then subtracted from the trailing rows). The lower triangle
    /// is neither read nor kept. False when A is not (numerically) positive definite.
    @inlinable @inline(__always)
    public static func factor<Scalar: SIMDScalar & BinaryFloatingPoint>(_ a: UnsafeMutablePointer<Scalar>, n: Int) -> Bool {
        for j in 0..<n {
            let rowJ = a + j * n
            let diagonal = rowJ[j]
            guard diagonal > 0, diagonal.isFinite else { return false }
            let pivot = diagonal.squareRoot(), inverse = 1 / pivot
            rowJ[j] = pivot
            for c in (j + 1)..<max(j + 1, n) { rowJ[c] *= inverse }
            for i in (j + 1)..<max(j + 1, n) {
                OuterProducts.subtractScaled(rowJ[i], rowJ + i, from: a + i * n + i, count: n - i)
            }
        }
        return true
    }

    /// b ← U⁻ᵀ b (forward substitution, column-oriented) with U from `factor`.
    @inlinable @inline(__always)
    public static func solveTransposed<Scalar: SIMDScalar & BinaryFloatingPoint>(_ u: UnsafePointer<Scalar>, n: Int, _ b: UnsafeMutablePointer<Scalar>) {
        for j in 0..<n {
            let row = u + j * n
            let value = b[j] / row[j]
            b[j] = value
            OuterProducts.subtractScaled(value, row + j + 1, from: b + j + 1, count: n - j - 1)
        }
    }

    /// b ← U⁻¹ b (back substitution) with U from `factor`. If b ~ N(0, I), the result is
    /// N(0, A⁻¹): how a Gaussian with precision A is sampled.
    @inlinable @inline(__always)
    public static func solveUpper<Scalar: SIMDScalar & BinaryFloatingPoint>(_ u: UnsafePointer<Scalar>, n: Int, _ b: UnsafeMutablePointer<Scalar>) {
        for i in stride(from: n - 1, through: 0, by: -1) {
            let row = u + i * n
            b[i] = (b[i] - laneDot(row + i + 1, b + i + 1, n - i - 1)) / row[i]
        }
    }

    /// b ← A⁻¹ b with A = UᵀU from `factor`.
    @inlinable @inline(__always)
    public static func solve<Scalar: SIMDScalar & BinaryFloatingPoint>(_ u: UnsafePointer<Scalar>, n: Int, _ b: UnsafeMutablePointer<Scalar>) {
        solveTransposed(u, n: n, b)
        solveUpper(u, n: n, b)
    }
}
