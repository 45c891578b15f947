/// A dense row-major matrix of `Float`: the shape every BLAS/LAPACK wrapper here takes.
///
///     var m = Matrix(rows: 2, columns: 3)
///     m[1, 2] = 5
///     m.row(1)          // [0, 0, 5]
///     let g = Matrix.multiply(m, transposeA: true, m)   // 3×3 Gram matrix mᵀm
public struct Matrix: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    /// Row-major: element (r, c) is `values[r * columns + c]`.
    public var values: [Float]

    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns, "Matrix \(rows)×\(columns) needs \(rows * columns) values, got \(values.count)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public init(rows: Int, columns: Int, repeating value: Float = 0) {
        self.init(rows: rows, columns: columns, values: [Float](repeating: value, count: rows * columns))
    }

    public subscript(row: Int, column: Int) -> Float {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    public func row(_ index: Int) -> ArraySlice<Float> {
        values[(index * columns)..<((index + 1) * columns)]
    }

    public var transposed: Matrix {
        var result = Matrix(rows: columns, columns: rows)
        for r in 0..<rows {
            for c in 0..<columns { result.values[c * rows + r] = values[r * columns + c] }
        }
        return result
    }

    /// The first `count` columns.
    public func leadingColumns(_ count: Int) -> Matrix {
        var result = Matrix(rows: rows, columns: count)
        for r in 0..<rows {
            for c in 0..<count { result.values[r * count + c] = values[r * columns + c] }
        }
        return result
    }

    /// The first `count` rows.
    public func leadingRows(_ count: Int) -> Matrix {
        Matrix(rows: count, columns: columns, values: Array(values[0..<(count * columns)]))
    }

    /// Multiplies column `c` by `factors[c]`.
    public func scalingColumns(by factors: [Float]) -> Matrix {
        precondition(factors.count == columns)
        var result = self
        for r in 0..<rows {
            for c in 0..<columns { result.values[r * columns + c] *= factors[c] }
        }
        return result
    }

    /// Copies the upper triangle of a square matrix onto the lower one, in 64 × 64 tiles so that
    /// the transposed reads stay in cache (a 3,706² matrix: 55 MB).
    public mutating func mirrorUpperTriangle() {
        precondition(rows == columns, "mirrorUpperTriangle: \(rows)×\(columns) is not square")
        let n = rows, tile = 64
        values.withUnsafeMutableBufferPointer { a in
            for rowStart in stride(from: 0, to: n, by: tile) {
                for columnStart in stride(from: 0, through: rowStart, by: tile) {
                    for r in rowStart..<min(n, rowStart + tile) {
                        for c in columnStart..<min(r, columnStart + tile) { a[r * n + c] = a[c * n + r] }
                    }
                }
            }
        }
    }

    public var frobeniusNorm: Float {
        Float(values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot())
    }

    public var allFinite: Bool { values.allSatisfy(\.isFinite) }
}

/// Dot product of two equal-length float buffers, four lanes at a time (`SIMD4`, portable SSE)
/// then the remainder: fast for the short vectors of factor models (rank 16–64), where an
/// auto-vectorised loop's unrolled body is longer than the vector.
@inlinable @inline(__always)
public func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
    laneDot(a, b, count)
}

/// `dot` for any SIMD scalar (`Float`, `Double`).
@inlinable @inline(__always)
public func laneDot<Scalar: SIMDScalar & BinaryFloatingPoint>(_ a: UnsafePointer<Scalar>, _ b: UnsafePointer<Scalar>, _ count: Int) -> Scalar {
    var lanes = SIMD4<Scalar>()
    var index = 0
    while index + 4 <= count {
        lanes += UnsafeRawPointer(a + index).loadUnaligned(as: SIMD4<Scalar>.self)
            * UnsafeRawPointer(b + index).loadUnaligned(as: SIMD4<Scalar>.self)
        index += 4
    }
    var sum = lanes.sum()
    while index < count {
        sum += a[index] * b[index]
        index += 1
    }
    return sum
}
