import Foundation
import LinearAlgebra
import Testing

struct BLASTests {
    func naive(_ a: Matrix, _ b: Matrix) -> Matrix {
        var c = Matrix(rows: a.rows, columns: b.columns)
        for i in 0..<a.rows { for j in 0..<b.columns { for k in 0..<a.columns { c[i, j] += a[i, k] * b[k, j] } } }
        return c
    }

    @Test func gemmMatchesANaiveProductInEveryTransposition() {
        var rng = SeededGenerator(seed: 1)
        let a = rng.gaussianMatrix(rows: 7, columns: 5), b = rng.gaussianMatrix(rows: 5, columns: 4)
        let expected = naive(a, b)
        for (left, tA, right, tB) in [(a, false, b, false), (a.transposed, true, b, false), (a, false, b.transposed, true), (a.transposed, true, b.transposed, true)] {
            let c = BLAS.multiply(left, transposeA: tA, right, transposeB: tB)
            for index in c.values.indices { #expect(abs(c.values[index] - expected.values[index]) < 1e-5) }
        }
    }

    @Test func gramIsAᵀAWithBothTriangles() {
        let a = Matrix(rows: 3, columns: 2, values: [1, 2, 3, 4, 5, 6])
        #expect(BLAS.gram(a) == Matrix(rows: 2, columns: 2, values: [35, 44, 44, 56]))
    }
}

struct LAPACKTests {
    @Test func choleskySolveByHand() throws {
        // [[4, 2], [2, 3]] x = [2, 1]  →  x = [0.5, 0].
        var a: [Float] = [4, 2, 0, 3]  // row-major upper triangle is what is read
        var b: [Float] = [2, 1]
        try a.withUnsafeMutableBufferPointer { a in try b.withUnsafeMutableBufferPointer { b in
            try LAPACK.choleskySolve(n: 2, a: a.baseAddress!, b: b.baseAddress!)
        } }
        #expect(abs(b[0] - 0.5) < 1e-6 && abs(b[1]) < 1e-6)
        var singular: [Float] = [1, 1, 0, 1 - 1]
        var rhs: [Float] = [1, 1]
        #expect(throws: LinearAlgebraError.self) {
            try singular.withUnsafeMutableBufferPointer { a in try rhs.withUnsafeMutableBufferPointer { b in
                try LAPACK.choleskySolve(n: 2, a: a.baseAddress!, b: b.baseAddress!)
            } }
        }
    }

    @Test func svdReconstructsAndHasAFixedSignConvention() throws {
        var rng = SeededGenerator(seed: 2)
        let x = rng.gaussianMatrix(rows: 9, columns: 6)
        let (u, sigma, vt) = try LAPACK.svd(x)
        let back = BLAS.multiply(u.scalingColumns(by: sigma), vt)
        for index in x.values.indices { #expect(abs(back.values[index] - x.values[index]) < 1e-4) }
        #expect(zip(sigma, sigma.dropFirst()).allSatisfy { $0 >= $1 })
        for row in 0..<vt.rows {
            let largest = (0..<vt.columns).max { abs(vt[row, $0]) < abs(vt[row, $1]) }!
            #expect(vt[row, largest] > 0)
        }
    }

    @Test func eigenpairsAndInverses() throws {
        // diag(3, 1, 2): largest two eigenvalues 3 and 2 with unit vectors e0 and e2.
        let a = Matrix(rows: 3, columns: 3, values: [3, 0, 0, 0, 1, 0, 0, 0, 2])
        let (values, vectors) = try LAPACK.largestEigenpairs(a, count: 2)
        #expect(abs(values[0] - 3) < 1e-5 && abs(values[1] - 2) < 1e-5)
        #expect(abs(vectors[0, 0] - 1) < 1e-5 && abs(vectors[2, 1] - 1) < 1e-5)
        var m = Matrix(rows: 2, columns: 2, values: [4, 2, 2, 3])
        try LAPACK.invertPositiveDefinite(&m)
        let expected: [Float] = [0.375, -0.25, -0.25, 0.5]  // (1/8)·[[3, −2], [−2, 4]]
        for index in 0..<4 { #expect(abs(m.values[index] - expected[index]) < 1e-6) }
        let inverse = try LAPACK.inversePositiveDefinite([4, 2, 2, 3], n: 2)
        for index in 0..<4 { #expect(abs(inverse[index] - Double(expected[index])) < 1e-12) }
        let l = try LAPACK.choleskyLower([4, 2, 2, 3], n: 2)
        #expect(l == [2, 0, 1, 2.0.squareRoot()])
    }

    @Test func orthonormalizedColumnsSpanTheSameSpace() throws {
        var rng = SeededGenerator(seed: 3)
        let x = rng.gaussianMatrix(rows: 10, columns: 3)
        var q = x
        try LAPACK.orthonormalizeColumns(&q)
        let gram = BLAS.gram(q)
        for r in 0..<3 { for c in 0..<3 { #expect(abs(gram[r, c] - (r == c ? 1 : 0)) < 1e-5) } }
        // X = Q (QᵀX): the projection onto span(Q) reproduces X.
        let back = BLAS.multiply(q, BLAS.multiply(q, transposeA: true, x))
        for index in x.values.indices { #expect(abs(back.values[index] - x.values[index]) < 1e-4) }
    }
}

struct RandomAndParallelTests {
    @Test func seededStreamsAreReproducibleAndIndependentOfOrder() {
        var a = SeededGenerator(seed: 9), b = SeededGenerator(seed: 9)
        #expect((0..<5).map { _ in a.next() } == (0..<5).map { _ in b.next() })
        let root = SeededGenerator(seed: 4)
        var s1 = root.stream(7), s2 = root.stream(7), s3 = root.stream(8)
        #expect(s1.next() == s2.next())
        #expect(s1.next() != s3.next())
    }

    @Test func gaussianAndGammaMoments() {
        var rng = SeededGenerator(seed: 5)
        let n = 200_000
        let normals = (0..<n).map { _ in rng.nextGaussian() }
        let mean = normals.reduce(0, +) / Double(n)
        let variance = normals.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
        #expect(abs(mean) < 0.01 && abs(variance - 1) < 0.01)
        for shape in [0.5, 2.0, 30.0] {
            let draws = (0..<n).map { _ in rng.nextGamma(shape: shape) }
            let m = draws.reduce(0, +) / Double(n)
            #expect(abs(m - shape) < 0.02 * max(1, shape), "Gamma(\(shape)) mean \(m)")
        }
    }
}
