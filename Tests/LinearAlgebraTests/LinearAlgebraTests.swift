import Foundation
import Essentials
@testable import LinearAlgebra
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

/// The small dense kernels behind BPMF's and ALS's row solvers, against plain double-precision
/// loops: the C kernel (AVX2 + FMA, when this CPU has it) and the portable Swift path, for ranks
/// that exercise every whole chunk and remainder, and row counts around the four-row blocking.
struct SmallKernelTests {
    @Test func choleskyByHandAndAgainstLAPACK() throws {
        // [[4, 2], [2, 3]] = UᵀU with U = [[2, 1], [0, √2]]; A⁻¹ [2, 1] = [0.5, 0].
        var a: [Float] = [4, 2, 2, 3], b: [Float] = [2, 1]
        #expect(SmallCholesky.factor(&a, n: 2))
        #expect(a[0] == 2 && a[1] == 1 && Swift.abs(a[3] - Float(2).squareRoot()) < 1e-6)
        SmallCholesky.solve(a, n: 2, &b)
        #expect(Swift.abs(b[0] - 0.5) < 1e-6 && Swift.abs(b[1]) < 1e-6)
        var notDefinite: [Float] = [1, 2, 2, 1]
        #expect(!SmallCholesky.factor(&notDefinite, n: 2))
        // n = 17 (BPMF's default): A⁻¹ b against LAPACK, and U⁻¹ z has covariance A⁻¹ (U⁻¹U⁻ᵀ = A⁻¹).
        var rng = SeededGenerator(seed: 3)
        let n = 17, g = rng.gaussianMatrix(rows: 40, columns: n)
        var spd = BLAS.gram(g)
        for i in 0..<n { spd[i, i] += 1 }
        let rhs = (0..<n).map { _ in Float(rng.nextGaussian()) }
        var factor = spd.values, x = rhs
        #expect(SmallCholesky.factor(&factor, n: n))
        SmallCholesky.solve(factor, n: n, &x)
        var reference = spd.values, y = rhs
        try reference.withUnsafeMutableBufferPointer { a in
            try y.withUnsafeMutableBufferPointer { b in try LAPACK.choleskySolve(n: n, a: a.baseAddress!, b: b.baseAddress!) }
        }
        for i in 0..<n { #expect(Swift.abs(x[i] - y[i]) < 1e-4 * max(1, Swift.abs(y[i]))) }
        var inverseColumns = Matrix(rows: n, columns: n)
        for j in 0..<n {
            var e = [Float](repeating: 0, count: n)
            e[j] = 1
            SmallCholesky.solveUpper(factor, n: n, &e)
            for i in 0..<n { inverseColumns[i, j] = e[i] }
        }
        let covariance = BLAS.multiply(inverseColumns, inverseColumns, transposeB: true)
        let check = BLAS.multiply(covariance, spd)
        for i in 0..<n { for j in 0..<n { #expect(Swift.abs(check[i, j] - (i == j ? 1 : 0)) < 1e-3) } }
    }

    /// The same loops in double precision (the Bayesian FM's id draws, rank 32 and a remainder):
    /// A x = b and UᵀU = A checked by plain products.
    @Test(arguments: [2, 32, 35])
    func choleskyInDoublePrecision(n: Int) {
        var rng = SeededGenerator(seed: UInt64(n))
        let g = (0..<(2 * n * n)).map { _ in rng.nextGaussian() }
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { for r in 0..<(2 * n) { a[i * n + j] += g[r * n + i] * g[r * n + j] } } }
        for i in 0..<n { a[i * n + i] += 1 }
        let b = (0..<n).map { _ in rng.nextGaussian() }
        var u = a, x = b
        #expect(SmallCholesky.factor(&u, n: n))
        for i in 0..<n {
            for j in i..<n {
                var product = 0.0
                for r in 0...i { product += u[r * n + i] * u[r * n + j] }
                #expect(Swift.abs(product - a[i * n + j]) < 1e-9 * max(1, Swift.abs(a[i * n + j])))
            }
        }
        SmallCholesky.solve(u, n: n, &x)
        for i in 0..<n {
            let ax = (0..<n).reduce(0.0) { $0 + a[i * n + $1] * x[$1] }
            #expect(Swift.abs(ax - b[i]) < 1e-9)
        }
        var notDefinite: [Double] = [1, 2, 2, 1]
        #expect(!SmallCholesky.factor(&notDefinite, n: 2))
    }

    /// Partner rows (k factors + a bias each), entries naming them, targets.
    func problem(k: Int, count: Int, seed: UInt64) -> (partner: [Float], columns: [Int32], values: [Float]) {
        var rng = SeededGenerator(seed: seed)
        let rows = 23
        let partner = (0..<(rows * (k + 1))).map { _ in Float(rng.nextGaussian()) }
        let columns = (0..<count).map { _ in Int32(rng.next() % UInt64(rows)) }
        let values = (0..<count).map { _ in Float(1 + rng.nextUniform() * 4) }
        return (partner, columns, values)
    }

    @Test(arguments: [1, 3, 4, 5, 8, 12, 16, 17, 64, 65])
    func outerProductsMatchPlainLoops(k: Int) {
        for count in [0, 1, 3, 4, 5, 9] {
            let (partner, columns, values) = problem(k: k, count: count, seed: UInt64(k * 100 + count))
            let d = k + 1, mean: Float = 3.5
            var outer = [Double](repeating: 0, count: k * k), linear = [Double](repeating: 0, count: k)
            var weighted = [Double](repeating: 0, count: k), targetSum = 0.0
            for e in 0..<count {
                let row = Int(columns[e]) * d
                let t = Double(values[e] - mean - partner[row + k])
                for r in 0..<k {
                    for c in 0..<k { outer[r * k + c] += Double(partner[row + r]) * Double(partner[row + c]) }
                    linear[r] += Double(partner[row + r])
                    weighted[r] += t * Double(partner[row + r])
                }
                targetSum += t
            }
            for portable in [false, true] {
                var o = [Float](repeating: 0, count: k * k), l = [Float](repeating: 0, count: k), w = [Float](repeating: 0, count: k)
                let sum = partner.withUnsafeBufferPointer { p in
                    columns.withUnsafeBufferPointer { c in
                        values.withUnsafeBufferPointer { v in
                            o.withUnsafeMutableBufferPointer { o in
                                l.withUnsafeMutableBufferPointer { l in
                                    w.withUnsafeMutableBufferPointer { w in
                                        portable
                                            ? OuterProducts.accumulatePortable(partner: p.baseAddress!, d: d, k: k, columns: c.baseAddress!, values: v.baseAddress!,
                                                                               range: 0..<count, mean: mean, outer: o.baseAddress!, linear: l.baseAddress!, weighted: w.baseAddress!)
                                            : OuterProducts.accumulate(partner: p.baseAddress!, d: d, k: k, columns: c.baseAddress!, values: v.baseAddress!,
                                                                       range: 0..<count, mean: mean, outer: o.baseAddress!, linear: l.baseAddress!, weighted: w.baseAddress!)
                                    }
                                }
                            }
                        }
                    }
                }
                #expect(Swift.abs(Double(sum) - targetSum) < 1e-4, "k \(k) count \(count) portable \(portable)")
                o.withUnsafeBufferPointer { o in
                    for r in 0..<k {
                        for c in 0..<k {
                            #expect(Swift.abs(Double(OuterProducts.entry(o.baseAddress!, k: k, r, c)) - outer[r * k + c]) < 1e-4,
                                    "k \(k) count \(count) (\(r), \(c)) portable \(portable)")
                        }
                    }
                }
                for r in 0..<k {
                    #expect(Swift.abs(Double(l[r]) - linear[r]) < 1e-4 && Swift.abs(Double(w[r]) - weighted[r]) < 1e-3)
                }
            }
        }
    }

    /// The C kernel (AVX2, four rows per pass) gives `laneDot`'s bytes exactly: fold-in answers are
    /// the same on a CPU without AVX2. Values of mixed magnitude so any other order of additions
    /// would show in the last bits; lengths around the four lanes and the default ranks.
    @Test(arguments: [1, 3, 4, 5, 7, 8, 17, 33, 64, 257])
    func laneDotsAreLaneDotBitForBit(n: Int) {
        var rng = SeededGenerator(seed: UInt64(n))
        for count in [0, 1, 3, 4, 5, 9, 20] {
            let x = (0..<n).map { _ in rng.nextGaussian() * pow(10, Double(Int.random(in: -6...6, using: &rng))) }
            let rows = (0..<(n * count)).map { _ in rng.nextGaussian() * pow(10, Double(Int.random(in: -6...6, using: &rng))) }
            var expected = [Double](repeating: 0, count: count)
            for r in 0..<count { expected[r] = x.withUnsafeBufferPointer { a in rows.withUnsafeBufferPointer { b in laneDot(a.baseAddress!, b.baseAddress! + r * n, n) } } }
            for portable in [false, true] {
                var out = [Double](repeating: .nan, count: count)
                x.withUnsafeBufferPointer { a in
                    rows.withUnsafeBufferPointer { b in
                        out.withUnsafeMutableBufferPointer { o in
                            guard let base = o.baseAddress else { return }
                            if portable { laneDotsPortable(a.baseAddress!, rows: b.baseAddress!, n: n, count: count, into: base) }
                            else { laneDots(a.baseAddress!, rows: b.baseAddress!, n: n, count: count, into: base) }
                        }
                    }
                }
                #expect(out.map(\.bitPattern) == expected.map(\.bitPattern), "n \(n) count \(count) portable \(portable) (AVX2: \(OuterProducts.usesAVX2))")
            }
        }
    }

    @Test(arguments: [1, 3, 8, 16, 17, 64, 65])
    func gramPassMatchesPlainLoops(k: Int) {
        for count in [0, 1, 5, 12] {
            let (raw, columns, targets) = problem(k: k, count: count, seed: UInt64(7 * k + count))
            let fixed = Array(raw.prefix(23 * k))   // k floats per row here: the bias is separate in ALS
            var rng = SeededGenerator(seed: UInt64(k))
            let v = (0...k).map { _ in Float(rng.nextGaussian()) }
            for withTargets in [true, false] {
                var expected = [Double](repeating: 0, count: k + 1)
                for e in 0..<count {
                    let row = Int(columns[e]) * k
                    var s = Double(v[k])
                    for c in 0..<k { s += Double(fixed[row + c]) * Double(v[c]) }
                    let weight = withTargets ? Double(targets[e]) - s : s
                    for c in 0..<k { expected[c] += weight * Double(fixed[row + c]) }
                    expected[k] += weight
                }
                for portable in [false, true] {
                    var out = [Float](repeating: .nan, count: k + 1)
                    fixed.withUnsafeBufferPointer { f in
                        columns.withUnsafeBufferPointer { c in
                            targets.withUnsafeBufferPointer { t in
                                out.withUnsafeMutableBufferPointer { o in
                                    let target = withTargets ? t.baseAddress : nil
                                    if portable {
                                        GramPass.applyPortable(fixed: f.baseAddress!, k: k, columns: c.baseAddress!, targets: target, count: count, v: v, out: o.baseAddress!)
                                    } else {
                                        GramPass.apply(fixed: f.baseAddress!, k: k, columns: c.baseAddress!, targets: target, count: count, v: v, out: o.baseAddress!)
                                    }
                                }
                            }
                        }
                    }
                    for c in 0...k {
                        #expect(Swift.abs(Double(out[c]) - expected[c]) < 1e-3 * max(1, Swift.abs(expected[c])),
                                "k \(k) count \(count) targets \(withTargets) portable \(portable) [\(c)]")
                    }
                }
            }
        }
    }
}

struct BLASPoolTests {
    /// Every executable stops OpenBLAS's idle pool at start; a later threaded call must restart it
    /// and give the same product as before the stop (a 256² sgemm is large enough for OpenBLAS to
    /// split it over its threads).
    @Test func aStoppedPoolRestartsOnTheNextCallWithTheSameResult() {
        var rng = SeededGenerator(seed: 3)
        let a = rng.gaussianMatrix(rows: 256, columns: 256), b = rng.gaussianMatrix(rows: 256, columns: 256)
        let before = BLAS.multiply(a, b)
        // One BLAS thread splits the work differently: its own reference for the loop below.
        let single = Parallel.withBLASThreads(1) { BLAS.multiply(a, b) }
        Parallel.stopIdleBLASPool()
        Parallel.stopIdleBLASPool()  // twice: harmless
        let after = BLAS.multiply(a, b)
        #expect(after == before)
        // Inside a parallel loop (BLAS on one thread) after a stop, too.
        Parallel.stopIdleBLASPool()
        let inLoop = try! Parallel.map(2) { _ in BLAS.multiply(a, b) }
        #expect(inLoop[0] == single && inLoop[1] == single)
        #expect(BLAS.multiply(a, b) == before)
    }
}

/// The one-pass sketch of a streamed sum of low-rank updates (the Bayesian FM's stored average).
struct StreamingSketchTests {
    /// The updates' sum, formed densely (what the sketch never does).
    static func dense(_ updates: [(Matrix, Matrix, Float)], rows: Int, columns: Int) -> Matrix {
        var a = Matrix(rows: rows, columns: columns)
        for (left, right, scale) in updates { BLAS.gemm(left, right, transposeB: true, alpha: scale, beta: 1, into: &a) }
        return a
    }

    @Test func exactWhenTheSumsRankFitsTheSketch() throws {
        var rng = SeededGenerator(seed: 11)
        let updates = (0..<5).map { _ in (rng.gaussianMatrix(rows: 40, columns: 2), rng.gaussianMatrix(rows: 30, columns: 2), Float(0.2)) }
        var sketch = StreamingSketch(rows: 40, columns: 30, rank: 10, seed: 3)
        for (left, right, scale) in updates { sketch.add(left: left, right: right, scale: scale) }
        let (p, q) = try sketch.factors()
        #expect(p.columns == 10 && q.columns == 10 && sketch.k == 21 && sketch.l == 43)
        let a = Self.dense(updates, rows: 40, columns: 30), approx = BLAS.multiply(p, q, transposeB: true)
        let error = zip(a.values, approx.values).map { abs($0 - $1) }.max()!
        #expect(error < 1e-4, "largest error \(error)")
    }

    /// The sum's rank (10) fits the sketch (k = 11) but not the kept rank (5): Q X is the sum
    /// itself, so the result is its best rank-5 approximation, the truncated SVD's error.
    @Test func theBestRankRApproximationWhenTheSumFitsTheSketch() throws {
        var rng = SeededGenerator(seed: 13)
        let updates = (0..<5).map { index in (rng.gaussianMatrix(rows: 40, columns: 2), rng.gaussianMatrix(rows: 30, columns: 2), Float(1 + index)) }
        var sketch = StreamingSketch(rows: 40, columns: 30, rank: 5, seed: 5)
        for (left, right, scale) in updates { sketch.add(left: left, right: right, scale: scale) }
        let (p, q) = try sketch.factors()
        #expect(p.columns == 5 && sketch.k == 11)
        let a = Self.dense(updates, rows: 40, columns: 30)
        let best = try LAPACK.svd(a).sigma.dropFirst(5).reduce(0) { $0 + Double($1 * $1) }.squareRoot()
        let approx = BLAS.multiply(p, q, transposeB: true)
        let error = zip(a.values, approx.values).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }.squareRoot()
        #expect(abs(error - best) < 1e-3 * best, "sketch error \(error), best rank-5 error \(best)")
    }

    /// With a decaying spectrum beyond the sketch, the error stays within twice the best rank-r
    /// error (the truncated SVD of the dense sum): an empirical check at a fixed seed (Tropp et
    /// al.'s bound in expectation is looser for the truncated result).
    @Test func nearTheBestRankRApproximation() throws {
        var rng = SeededGenerator(seed: 12)
        let updates = (0..<30).map { index in
            (rng.gaussianMatrix(rows: 80, columns: 2), rng.gaussianMatrix(rows: 70, columns: 2), Float(pow(0.7, Double(index))))
        }
        var sketch = StreamingSketch(rows: 80, columns: 70, rank: 6, seed: 4)
        for (left, right, scale) in updates { sketch.add(left: left, right: right, scale: scale) }
        let (p, q) = try sketch.factors()
        let a = Self.dense(updates, rows: 80, columns: 70)
        let sigma = try LAPACK.svd(a).sigma
        let best = sigma.dropFirst(6).reduce(0) { $0 + Double($1 * $1) }.squareRoot()
        let approx = BLAS.multiply(p, q, transposeB: true)
        let error = zip(a.values, approx.values).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }.squareRoot()
        #expect(error <= 2 * best, "sketch error \(error), best rank-6 error \(best)")
        #expect(p.columns == 6 && q.columns == 6)
        #expect(error >= best * 0.999, "no rank-6 matrix beats the truncated SVD")
    }
}

/// Φ⁻¹ against Φ, and the truncated draws against the truncated normal's mean in closed form.
struct StandardNormalTests {
    @Test func quantileInvertsTheCDF() {
        // Hand values: Φ(0) = ½, Φ(1.96) = 0.9750021048517795, Φ(−3) = 0.0013498980316301.
        #expect(StandardNormal.cdf(0) == 0.5)
        #expect(abs(StandardNormal.cdf(1.96) - 0.9750021048517795) < 1e-15)
        #expect(abs(StandardNormal.cdf(-3) - 0.0013498980316301) < 1e-16)
        #expect(abs(StandardNormal.survival(3) - 0.0013498980316301) < 1e-16)
        for p in [1e-300, 1e-30, 1e-10, 0.001, 0.02425, 0.1, 0.3, 0.5, 0.7, 0.97575, 0.999, 1 - 1e-12] {
            let x = StandardNormal.quantile(p)
            // Relative in the lower tail, where p itself is tiny.
            let back = p < 0.5 ? StandardNormal.cdf(x) : 1 - StandardNormal.survival(x)
            #expect(abs(back - p) <= 1e-12 * p + 1e-16, "p \(p): x \(x), Φ(x) \(back)")
        }
        #expect(abs(StandardNormal.quantile(0.975) - 1.959963984540054) < 1e-12)
        // Subnormal p: e^{x²/2} would overflow in the refinement; the approximation is finite.
        for p in [1e-310, 5e-324] {
            let x = StandardNormal.quantile(p)
            #expect(x.isFinite && x < -37 && x > -39, "p \(p): \(x)")
        }
        #expect(abs(StandardNormal.truncated(0, 1, uniform: 0.5) - 0.4417705466865811) < 1e-12)
    }

    /// E[Z | a < Z ≤ b] = (φ(a) − φ(b)) / (Φ(b) − Φ(a)): the draws at 20,000 evenly spaced
    /// uniforms (a midpoint rule over the truncated distribution) average to it, and every one
    /// lies in the interval — far in either tail too, where Φ has no digits left; beyond the
    /// normal doubles (37.6 standard deviations out) every draw is the interval's nearer end.
    @Test(arguments: [(-Double.infinity, -7.0), (-1.0, 0.5), (2.0, 3.0), (6.0, .infinity), (-0.2, -0.1), (-Double.infinity, 0.3), (-2.5, .infinity), (9.0, 9.5), (37.6, 40), (-39, -37.8)])
    func truncatedDrawsHaveTheTruncatedMean(lower: Double, upper: Double) {
        func density(_ x: Double) -> Double { x.isInfinite ? 0 : exp(-x * x / 2) / (2 * Double.pi).squareRoot() }
        let mass = lower > 0 ? StandardNormal.survival(lower) - StandardNormal.survival(upper) : StandardNormal.cdf(upper) - StandardNormal.cdf(lower)
        // Beyond the normal doubles' reach (37.6 standard deviations) the mean is the end nearest 0.
        let mean = mass < .leastNormalMagnitude ? (lower > 0 ? lower : upper) : (density(lower) - density(upper)) / mass
        let n = 20_000
        var total = 0.0
        for j in 0..<n {
            let z = StandardNormal.truncated(lower, upper, uniform: (Double(j) + 0.5) / Double(n))
            #expect((z > lower || (mass < .leastNormalMagnitude && z == lower)) && z <= upper, "\(z) outside (\(lower), \(upper)]")
            total += z
        }
        #expect(abs(total / Double(n) - mean) < 2e-3 * max(1, abs(mean)), "mean \(total / Double(n)) vs \(mean)")
    }

    /// log P(a < Z ≤ b) from the accurate tail: far above 0 it is not log 0.
    @Test func logIntervalKeepsItsDigitsInTheTails() {
        #expect(abs(StandardNormal.logInterval(-.infinity, .infinity)) < 1e-15)
        #expect(abs(StandardNormal.logInterval(0, .infinity) - log(0.5)) < 1e-15)
        // P(Z > 10) = 7.619853024160527e-24.
        #expect(abs(StandardNormal.logInterval(10, .infinity) - log(7.619853024160527e-24)) < 1e-12)
        #expect(abs(StandardNormal.logInterval(-.infinity, -10) - log(7.619853024160527e-24)) < 1e-12)
    }
}

struct BLASCoreTests {
    /// On a CPU with AVX2 and FMA (or AVX-512) OpenBLAS runs kernels that use them, whether or not
    /// it recognised the CPU itself — unless OPENBLAS_CORETYPE chose otherwise — and a product
    /// large enough for the blocked kernels (not the small-matrix path) is still right.
    @Test func openBLASRunsKernelsTheCPUCanUse() {
        BLASCore.chooseOnce()
        switch BLASCore.choice {
        case .setByEnvironment:
            break
        case .kept(let name):
            if BLASCore.fittingCore != nil { #expect(!BLASCore.fallbackCores.contains(name.lowercased()), "OpenBLAS kept its generic core \(name)") }
        case .replaced(let from, let to):
            #expect(BLASCore.fallbackCores.contains(from.lowercased()))
            #expect(to == BLASCore.fittingCore && BLASCore.current == to, "asked for \(BLASCore.fittingCore ?? "-"), runs \(to)")
            #expect(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == to, "the stages this process starts load with the same core")
        }
        var rng = SeededGenerator(seed: 3)
        let a = rng.gaussianMatrix(rows: 301, columns: 257), b = rng.gaussianMatrix(rows: 257, columns: 190)
        let c = BLAS.multiply(a, b)
        for (i, j) in [(0, 0), (300, 189), (150, 77), (17, 188)] {
            var sum = 0.0
            for k in 0..<257 { sum += Double(a[i, k]) * Double(b[k, j]) }
            #expect(abs(Double(c[i, j]) - sum) < 1e-3)
        }
    }
}
