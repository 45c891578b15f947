import Essentials
import _CLinearAlgebra

/// BLAS level-2/3 routines (OpenBLAS) on row-major `Matrix` values.
///
/// Calls made outside a `Parallel` loop use every core; inside one, OpenBLAS is on one thread
/// (see `Parallel`).
public enum BLAS {
    /// C = alpha · op(A) · op(B) + beta · C.
    public static func gemm(
        _ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false,
        alpha: Float = 1, beta: Float = 0, into c: inout Matrix
    ) {
        Parallel.configureBLAS()
        let m = transposeA ? a.columns : a.rows
        let k = transposeA ? a.rows : a.columns
        let n = transposeB ? b.rows : b.columns
        precondition((transposeB ? b.columns : b.rows) == k, "gemm: inner dimensions \(k) and \(transposeB ? b.columns : b.rows) differ")
        precondition(c.rows == m && c.columns == n, "gemm: result is \(c.rows)×\(c.columns), expected \(m)×\(n)")
        guard m > 0, n > 0 else { return }
        if k == 0 {
            for index in c.values.indices { c.values[index] *= beta }
            return
        }
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a.values, Int32(a.columns), b.values, Int32(b.columns),
            beta, &c.values, Int32(c.columns))
    }

    /// op(A) · op(B) as a new matrix.
    public static func multiply(_ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false) -> Matrix {
        var c = Matrix(rows: transposeA ? a.columns : a.rows, columns: transposeB ? b.rows : b.columns)
        gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: &c)
        return c
    }

    /// Gram matrix AᵀA (symmetric; both triangles filled), through `syrk`.
    public static func gram(_ a: Matrix) -> Matrix {
        Parallel.configureBLAS()
        var c = Matrix(rows: a.columns, columns: a.columns)
        guard a.rows > 0, a.columns > 0 else { return c }
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(a.columns), Int32(a.rows), 1,
                    a.values, Int32(a.columns), 0, &c.values, Int32(c.columns))
        c.mirrorUpperTriangle()
        return c
    }

    /// C = beta · C + A[0..<rows]ᵀ A[0..<rows], upper triangle only (row-major), through `syrk`
    /// on every core: for Gram matrices accumulated a block of rows at a time.
    public static func syrkUpper(_ a: Matrix, rows: Int, into c: inout Matrix, beta: Float) {
        Parallel.configureBLAS()
        precondition(rows <= a.rows && c.rows == a.columns && c.columns == a.columns, "syrkUpper: shapes")
        guard rows > 0, a.columns > 0 else { return }
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(a.columns), Int32(rows), 1,
                    a.values, Int32(a.columns), beta, &c.values, Int32(c.columns))
    }

    /// C = beta · C + A[0..<rows]ᵀ B[0..<rows] (`gemm` on every core), for cross products
    /// accumulated a block of rows at a time.
    public static func gemmTransposedA(_ a: Matrix, _ b: Matrix, rows: Int, into c: inout Matrix, beta: Float) {
        Parallel.configureBLAS()
        precondition(rows <= a.rows && rows <= b.rows && c.rows == a.columns && c.columns == b.columns, "gemmTransposedA: shapes")
        guard rows > 0, a.columns > 0, b.columns > 0 else { return }
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(a.columns), Int32(b.columns), Int32(rows), 1,
                    a.values, Int32(a.columns), b.values, Int32(b.columns), beta, &c.values, Int32(c.columns))
    }

    /// Raw `syrk` on row-major buffers: C(n×n, upper) += alpha · Aᵀ A with A (k×n, leading
    /// dimension `lda`). For hot loops that manage their own scratch memory.
    @inline(__always)
    public static func syrkUpperTransposed(
        n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int, beta: Float,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        Parallel.configureBLAS()
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(n), Int32(k), alpha, a, Int32(lda), beta, c, Int32(ldc))
    }

    /// `syrkUpperTransposed` in double precision (the Bayesian FM's per-entity statistics).
    @inline(__always)
    public static func syrkUpperTransposed(
        n: Int, k: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int, beta: Double,
        c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        Parallel.configureBLAS()
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(n), Int32(k), alpha, a, Int32(lda), beta, c, Int32(ldc))
    }

    /// Raw `gemv`: y = alpha · Aᵀ x + beta · y with A (k×n row-major, leading dimension `lda`).
    @inline(__always)
    public static func gemvTransposed(
        rows k: Int, columns n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>
    ) {
        Parallel.configureBLAS()
        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }
}
