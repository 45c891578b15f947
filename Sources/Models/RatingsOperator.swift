import Essentials
import LinearAlgebra
import ModelFormat

/// The users × movies matrix of a training set's normalised values (missing entries 0),
/// optionally with its column means subtracted (PCA's centring), applied to dense matrices from
/// the sparse ratings: `times` by user rows, `transposeTimes` by movie rows, both in parallel.
/// Memory is the ratings plus the products (users × l, movies × l), never users × movies: on
/// ML-1M the dense matrix alone was 90 MB, and PCA's centred copy and covariance 200 MB more.
///
///     let x = RatingsOperator(data)              // X
///     let centred = RatingsOperator(data, centred: true)   // X − 1 μᵀ
///     let sketch = x.times(omega)               // X Ω, users × l
public struct RatingsOperator: LinearOperator {
    public let byUser: SparseRows
    public let byMovie: SparseRows
    /// μ: each movie's mean over all users (missing entries 0), when centred.
    public let columnMeans: [Float]?

    public var rows: Int { byUser.rowCount }
    public var columns: Int { byMovie.rowCount }

    public init(_ data: TrainingSet, centred: Bool = false) {
        let byMovie = data.byMovie()
        self.byUser = data.byUser()
        self.byMovie = byMovie
        if centred {
            let users = Double(max(1, data.userCount))
            columnMeans = (0..<data.movieCount).map { movie in
                Float(byMovie.range(movie).reduce(0.0) { $0 + Double(byMovie.values[$1]) } / users)
            }
        } else {
            columnMeans = nil
        }
    }

    /// Σ over each sparse row's entries of value · b[column], one output row per sparse row.
    static func product(_ sparse: SparseRows, _ b: Matrix) -> Matrix {
        let l = b.columns
        var out = Matrix(rows: sparse.rowCount, columns: l)
        let blocks = Parallel.ranges(sparse.rowCount, parts: Parallel.workers * 8)
        out.values.withUnsafeMutableBufferPointer { result in
            let result = UncheckedBuffer(result)
            b.values.withUnsafeBufferPointer { dense in
                Parallel.forEach(blocks.count) { block in
                    for row in blocks[block] {
                        let target = result.base.baseAddress! + row * l
                        for entry in sparse.range(row) {
                            OuterProducts.subtractScaled(-sparse.values[entry], dense.baseAddress! + Int(sparse.columns[entry]) * l,
                                                         from: target, count: l)
                        }
                    }
                }
            }
        }
        return out
    }

    /// (X − 1μᵀ) b = X b − 1 (μᵀ b).
    public func times(_ b: Matrix) -> Matrix {
        precondition(b.rows == columns, "RatingsOperator.times: b has \(b.rows) rows, the operator \(columns) columns")
        var out = Self.product(byUser, b)
        if let means = columnMeans { Self.subtractRankOne(&out, left: nil, right: b, weights: means) }
        return out
    }

    /// (X − 1μᵀ)ᵀ b = Xᵀ b − μ (1ᵀ b).
    public func transposeTimes(_ b: Matrix) -> Matrix {
        precondition(b.rows == rows, "RatingsOperator.transposeTimes: b has \(b.rows) rows, the operator \(rows) rows")
        var out = Self.product(byMovie, b)
        if let means = columnMeans { Self.subtractRankOne(&out, left: means, right: b, weights: nil) }
        return out
    }

    /// The centring's rank-one term: out −= a (bᵀ w)ᵀ, with a = `left` and w = `weights` (nil: all ones).
    private static func subtractRankOne(_ out: inout Matrix, left: [Float]?, right b: Matrix, weights: [Float]?) {
        let l = b.columns
        var v = [Float](repeating: 0, count: l)
        for row in 0..<b.rows { let w = weights?[row] ?? 1; for c in 0..<l { v[c] += w * b.values[row * l + c] } }
        for row in 0..<out.rows { let a = left?[row] ?? 1; for c in 0..<l { out.values[row * l + c] -= a * v[c] } }
    }

    /// ‖X − 1μᵀ‖_F.
    public var frobeniusNorm: Float {
        var total = 0.0
        for value in byUser.values { total += Double(value) * Double(value) }
        if let means = columnMeans {
            // Σ (x − μ)² over all m entries of a column = Σ x² − m μ².
            for mean in means { total -= Double(rows) * Double(mean) * Double(mean) }
        }
        return Float(max(0, total).squareRoot())
    }
}
