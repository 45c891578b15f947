/// A rank-r approximation of a matrix that arrives as a stream of low-rank updates
/// A += scale · L Rᵀ, from one pass and fixed memory — the matrix itself is never formed (Tropp,
/// Yurtsever, Udell & Cevher 2017, "Practical sketching algorithms for low-rank matrix
/// approximation", §4): a range sketch Y = A Ω and a co-range sketch W = Ψ A with Gaussian test
/// matrices Ω (columns × k) and Ψ (l × rows), k = 2r + 1 and l = 2k + 1 (their recommendation;
/// k at most min(rows, columns)). Then Q = orth(Y), X = (ΨQ)⁺ W by the normal equations (ΨQ is
/// a Gaussian matrix times an orthonormal one: well conditioned), A ≈ Q X, and its SVD
/// truncated to rank r. When A's rank is at most k, Q X is A itself and the result is A's best
/// rank-r approximation (A exactly if its rank is at most r).
///
/// Memory: (rows + columns) × (k + l) floats held (Ω, Ψ, Y, W), whatever the number of updates,
/// and about as much again while `factors()` runs; an update costs O((rows + columns) × q × (k + l))
/// for a rank-q update.
///
///     var sketch = StreamingSketch(rows: 6040, columns: 3706, rank: 256, seed: 42)
///     for sample in samples { sketch.add(left: sample.p, right: sample.q, scale: 1 / 400) }
///     let (p, q) = try sketch.factors()   // A ≈ p · qᵀ, 256 columns each, √σ on both sides
public struct StreamingSketch: Sendable {
    /// The sketch's sizes for a rows × columns matrix and a requested rank.
    public struct Shape: Sendable, Equatable {
        public let rank: Int, k: Int, l: Int
        public let heldBytes: Int

        public init(rows: Int, columns: Int, rank: Int) {
            k = min(2 * rank + 1, rows, columns)
            l = 2 * k + 1
            self.rank = min(rank, k)
            heldBytes = (rows + columns) * (k + l) * MemoryLayout<Float>.size
        }
    }

    public let rows: Int, columns: Int
    /// The rank kept (at most k), the range sketch's width k and the co-range sketch's height l.
    public let rank: Int, k: Int, l: Int
    var omega: Matrix, psi: Matrix
    var y: Matrix, w: Matrix

    public init(rows: Int, columns: Int, rank: Int, seed: UInt64) {
        precondition(rows > 0 && columns > 0 && rank > 0, "StreamingSketch: empty matrix or rank")
        (self.rows, self.columns) = (rows, columns)
        let shape = Shape(rows: rows, columns: columns, rank: rank)
        (k, l, self.rank) = (shape.k, shape.l, shape.rank)
        var rng = SeededGenerator(seed: seed)
        omega = rng.gaussianMatrix(rows: columns, columns: k)
        psi = rng.gaussianMatrix(rows: l, columns: rows)
        y = Matrix(rows: rows, columns: k)
        w = Matrix(rows: l, columns: columns)
    }

    /// A += scale · left · rightᵀ (left: rows × q, right: columns × q).
    public mutating func add(left: Matrix, right: Matrix, scale: Float) {
        precondition(left.rows == rows && right.rows == columns && left.columns == right.columns, "StreamingSketch.add: shapes")
        let rightOmega = BLAS.multiply(right, transposeA: true, omega)   // q × k
        BLAS.gemm(left, rightOmega, alpha: scale, beta: 1, into: &y)
        let psiLeft = BLAS.multiply(psi, left)                             // l × q
        BLAS.gemm(psiLeft, right, transposeB: true, alpha: scale, beta: 1, into: &w)
    }

    /// The rank-r approximation as two factors with A ≈ left · rightᵀ, each scaled by √σ (so
    /// neither side carries the scale alone): left rows × r, right columns × r.
    public func factors() throws -> (left: Matrix, right: Matrix) {
        var q = y
        try LAPACK.orthonormalizeColumns(&q)                                // rows × k
        let psiQ = BLAS.multiply(psi, q)                                     // l × k
        var gram = BLAS.gram(psiQ)                                           // k × k
        try LAPACK.invertPositiveDefinite(&gram)
        let x = BLAS.multiply(gram, BLAS.multiply(psiQ, transposeA: true, w))  // k × columns
        let (u, sigma, vt) = try LAPACK.svd(x)                              // k × k', σ, k' × columns
        let r = min(rank, sigma.count)
        let leftBasis = BLAS.multiply(q, u)                                  // rows × k'
        var left = Matrix(rows: rows, columns: r), right = Matrix(rows: columns, columns: r)
        for c in 0..<r {
            let s = sigma[c].squareRoot()
            for row in 0..<rows { left.values[row * r + c] = leftBasis[row, c] * s }
            for column in 0..<columns { right.values[column * r + c] = vt[c, column] * s }
        }
        return (left, right)
    }
}
