import Essentials
import _CLinearAlgebra

/// A LAPACK routine reported failure: a numerical failure (exit 1).
public struct LinearAlgebraError: ProjectorError, Equatable {
    public var routine: String
    public var info: Int32
    public var message: String

    public var description: String { "\(routine) failed (info \(info)): \(message)" }
    public var exitCode: StageExitCode { .failure }
}

/// LAPACK routines (LAPACKE) on row-major matrices.
public enum LAPACK {
    /// Solves A x = b for symmetric positive-definite A (n×n, row-major, upper triangle read)
    /// in place with a Cholesky factorisation (`sposv`): `b` becomes x, `a` its factor.
    @inline(__always)
    public static func choleskySolve(
        n: Int, a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>
    ) throws {
        Parallel.configureBLAS()
        // The row-major upper triangle is the column-major lower one; calling the column-major
        // `_work` variant directly skips LAPACKE's transposition copy and NaN scan (8 % of an
        // ALS run) and allocates nothing, which matters for thousands of small solves.
        let info = LAPACKE_sposv_work(projector_lapack_col_major(), Int8(UInt8(ascii: "L")), Int32(n), 1, a, Int32(n), b, Int32(n))
        if info != 0 {
            throw LinearAlgebraError(routine: "sposv", info: info,
                                     message: info > 0 ? "matrix is not positive definite (leading minor \(info))" : "bad argument \(-info)")
        }
    }

    /// Thin SVD A = U Σ Vᵀ by divide and conquer (`sgesdd`, jobz = S). For an m×n A with
    /// r = min(m, n): U is m×r, σ has r values in decreasing order, Vᵀ is r×n.
    public static func svd(_ a: Matrix) throws -> (u: Matrix, sigma: [Float], vt: Matrix) {
        Parallel.configureBLAS()
        let m = a.rows, n = a.columns, r = min(m, n)
        var work = a.values
        var u = Matrix(rows: m, columns: r)
        var vt = Matrix(rows: r, columns: n)
        var sigma = [Float](repeating: 0, count: r)
        let info = LAPACKE_sgesdd(projector_lapack_row_major(), Int8(UInt8(ascii: "S")), Int32(m), Int32(n),
                                  &work, Int32(n), &sigma, &u.values, Int32(r), &vt.values, Int32(n))
        if info != 0 {
            throw LinearAlgebraError(routine: "sgesdd", info: info,
                                     message: info > 0 ? "did not converge" : "bad argument \(-info)")
        }
        fixSigns(vectorsInRowsOf: &vt, partnerColumnsOf: &u)
        return (u, sigma, vt)
    }

    /// The `count` largest eigenvalues (decreasing) and their eigenvectors (as columns of an
    /// n×count matrix) of a symmetric n×n matrix, by `ssyevr` (MRRR).
    public static func largestEigenpairs(_ a: Matrix, count: Int) throws -> (values: [Float], vectors: Matrix) {
        Parallel.configureBLAS()
        precondition(a.rows == a.columns && count >= 1 && count <= a.rows)
        let n = a.rows
        var work = a.values
        var found: Int32 = 0
        var values = [Float](repeating: 0, count: n)
        var vectors = Matrix(rows: n, columns: count)
        var support = [Int32](repeating: 0, count: 2 * count)
        let info = LAPACKE_ssyevr(projector_lapack_row_major(), Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "I")),
                                  Int8(UInt8(ascii: "U")), Int32(n), &work, Int32(n), 0, 0,
                                  Int32(n - count + 1), Int32(n), 0, &found, &values, &vectors.values,
                                  Int32(count), &support)
        if info != 0 || Int(found) != count {
            throw LinearAlgebraError(routine: "ssyevr", info: info, message: "eigen-decomposition failed (found \(found) of \(count))")
        }
        // ssyevr returns ascending order: reverse to largest first.
        let ascending = Array(values[0..<count])
        var reordered = Matrix(rows: n, columns: count)
        for column in 0..<count {
            for row in 0..<n { reordered[row, column] = vectors[row, count - 1 - column] }
        }
        var transposed = reordered.transposed
        var none = Matrix(rows: 0, columns: 0)
        fixSigns(vectorsInRowsOf: &transposed, partnerColumnsOf: &none)
        return (ascending.reversed(), transposed.transposed)
    }

    /// Replaces the columns of A (m×n, m ≥ n) by an orthonormal basis of their span
    /// (Householder QR: `sgeqrf` then `sorgqr`).
    public static func orthonormalizeColumns(_ a: inout Matrix) throws {
        Parallel.configureBLAS()
        let m = a.rows, n = a.columns
        precondition(m >= n)
        var tau = [Float](repeating: 0, count: n)
        var info = LAPACKE_sgeqrf(projector_lapack_row_major(), Int32(m), Int32(n), &a.values, Int32(n), &tau)
        if info == 0 {
            info = LAPACKE_sorgqr(projector_lapack_row_major(), Int32(m), Int32(n), Int32(n), &a.values, Int32(n), &tau)
        }
        if info != 0 {
            throw LinearAlgebraError(routine: "sgeqrf/sorgqr", info: info, message: "QR factorisation failed")
        }
    }

    /// Inverse of a symmetric positive-definite matrix (n×n) in place, through its Cholesky
    /// factor (`spotrf` then `spotri`, every core). Only the upper triangle (row-major) is read;
    /// both triangles are filled on return. Read column-major, that triangle is the lower one, so
    /// the column-major `_work` routines run on it directly: no transposed copy of the matrix.
    public static func invertPositiveDefinite(_ a: inout Matrix) throws {
        Parallel.configureBLAS()
        precondition(a.rows == a.columns, "invertPositiveDefinite: \(a.rows)×\(a.columns) is not square")
        let n = a.rows
        guard n > 0 else { return }
        let lower = Int8(UInt8(ascii: "L"))
        var info = LAPACKE_spotrf_work(projector_lapack_col_major(), lower, Int32(n), &a.values, Int32(n))
        if info != 0 {
            throw LinearAlgebraError(routine: "spotrf", info: info, message: "matrix is not positive definite")
        }
        info = LAPACKE_spotri_work(projector_lapack_col_major(), lower, Int32(n), &a.values, Int32(n))
        if info != 0 { throw LinearAlgebraError(routine: "spotri", info: info, message: "inversion failed") }
        a.mirrorUpperTriangle()
    }
}

/// Singular and eigen vectors are defined up to sign; LAPACK's choice depends on its internals
/// (and on the BLAS thread count). Each vector is flipped so that its largest-magnitude entry
/// (the first, among equals) is positive, and the partner vector (U's column for a row of Vᵀ) with
/// it, so that results are reproducible and comparable between solvers.
func fixSigns(vectorsInRowsOf vectors: inout Matrix, partnerColumnsOf partner: inout Matrix) {
    for row in 0..<vectors.rows {
        var best: Float = 0
        for column in 0..<vectors.columns where abs(vectors[row, column]) > abs(best) { best = vectors[row, column] }
        guard best < 0 else { continue }
        for column in 0..<vectors.columns { vectors[row, column] = -vectors[row, column] }
        if partner.columns > row {
            for r in 0..<partner.rows { partner[r, row] = -partner[r, row] }
        }
    }
}

extension LAPACK {
    /// Lower Cholesky factor L (A = L Lᵀ) of a small symmetric positive-definite matrix in double
    /// precision, row-major n×n (`dpotrf`); the upper triangle of the result is zeroed.
    public static func choleskyLower(_ a: [Double], n: Int) throws -> [Double] {
        Parallel.configureBLAS()
        var l = a
        // Row-major lower = column-major upper.
        let info = LAPACKE_dpotrf(projector_lapack_col_major(), Int8(UInt8(ascii: "U")), Int32(n), &l, Int32(n))
        if info != 0 { throw LinearAlgebraError(routine: "dpotrf", info: info, message: "matrix is not positive definite") }
        for r in 0..<n { for c in (r + 1)..<max(r + 1, n) { l[r * n + c] = 0 } }
        return l
    }

    /// Solves A X = B in double precision for symmetric positive-definite A (n × n, row-major,
    /// both triangles filled: LAPACK reads the lower one) and B (n × columns, row-major), by
    /// Cholesky (`dposv`); B becomes X and A its factor. Call
    /// it inside `Parallel.withBLASThreads(1)` where the bytes must not depend on the thread count.
    public static func choleskySolve(_ a: inout [Double], n: Int, _ b: inout [Double], columns: Int) throws {
        precondition(a.count == n * n && b.count == n * columns, "choleskySolve: shapes")
        Parallel.configureBLAS()
        // In place, without LAPACKE's row-major copies (for the fold-in's implicit prior, a
        // 3,693² matrix: three 109 MB copies of it were the fit's peak memory): a symmetric A reads
        // the same in either order, so the row-major buffer is handed to LAPACK as column-major
        // with the upper triangle, as LAPACKE's transposed copy would be — the same dposv on the
        // same values. B is transposed to column-major and back (exact).
        var bColumns = [Double](repeating: 0, count: b.count)
        for row in 0..<n { for column in 0..<columns { bColumns[column * n + row] = b[row * columns + column] } }
        let info = LAPACKE_dposv_work(projector_lapack_col_major(), Int8(UInt8(ascii: "U")), Int32(n), Int32(columns), &a, Int32(max(1, n)),
                                      &bColumns, Int32(max(1, n)))
        if info != 0 {
            throw LinearAlgebraError(routine: "dposv", info: info, message: info > 0 ? "matrix is not positive definite (leading minor \(info))" : "bad argument \(-info)")
        }
        for row in 0..<n { for column in 0..<columns { b[row * columns + column] = bColumns[column * n + row] } }
    }

    /// Inverse of a small symmetric positive-definite matrix in double precision (`dpotrf` + `dpotri`).
    public static func inversePositiveDefinite(_ a: [Double], n: Int) throws -> [Double] {
        Parallel.configureBLAS()
        var m = a
        var info = LAPACKE_dpotrf(projector_lapack_col_major(), Int8(UInt8(ascii: "U")), Int32(n), &m, Int32(n))
        if info == 0 { info = LAPACKE_dpotri(projector_lapack_col_major(), Int8(UInt8(ascii: "U")), Int32(n), &m, Int32(n)) }
        if info != 0 { throw LinearAlgebraError(routine: "dpotri", info: info, message: "matrix is not positive definite") }
        // Column-major upper = row-major lower: mirror it.
        for r in 0..<n { for c in (r + 1)..<max(r + 1, n) { m[r * n + c] = m[c * n + r] } }
        return m
    }
}
