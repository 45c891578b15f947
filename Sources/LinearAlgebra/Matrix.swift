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

    public var frobeniusNorm: Float {
        Float(values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot())
    }

    public var allFinite: Bool { values.allSatisfy(\.isFinite) }
}

/// Dot product of two equal-length float buffers (a tight loop the compiler vectorises).
@inline(__always)
public func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
    var sum: Float = 0
    for index in 0..<count { sum += a[index] * b[index] }
    return sum
}
