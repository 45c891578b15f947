import _CKernels

/// Sums of outer products q qᵀ of short rows (length k, a few dozen), the inner loop of BPMF's
/// row sampler: every training rating adds its partner's row to one k × k matrix.
///
/// The matrix is symmetric, so only its upper triangle is meaningful (`entry` reads any (r, c)).
/// Rows are added four at a time so each chunk of the matrix is loaded and stored once per four
/// ratings. `accumulate` uses the C kernel in `_CKernels` (AVX2 + FMA) when the CPU has both,
/// else `SIMD4` arithmetic (portable SSE: the binaries carry no CPU-specific instructions
/// outside `_CKernels`).
///
///     OuterProducts.add(outer, k: 16, rowA, rowB, rowC, rowD)   // += aaᵀ + bbᵀ + ccᵀ + ddᵀ
///     OuterProducts.entry(outer, k: 16, 5, 2)                   // (5, 2) = (2, 5)
public enum OuterProducts {
    /// Whether `accumulate` runs the AVX2 + FMA kernel on this CPU.
    public static let usesAVX2 = projector_cpu_has_avx2_fma() == 1

    /// For the partner rows `partner + columns[e] · d` of the entries `range` (each row: k factors
    /// then a bias in slot k), with targets t = values[e] − mean − bias: outer += Σ qqᵀ (upper
    /// triangle), linear += Σ q, weighted += Σ t q; returns Σ t. The matrices start zeroed by
    /// the caller. Indices must be valid rows of `partner` (the caller's data is checked).
    @inlinable
    public static func accumulate(
        partner: UnsafePointer<Float>, d: Int, k: Int, columns: UnsafePointer<Int32>, values: UnsafePointer<Float>,
        range: Range<Int>, mean: Float,
        outer: UnsafeMutablePointer<Float>, linear: UnsafeMutablePointer<Float>, weighted: UnsafeMutablePointer<Float>
    ) -> Float {
        if usesAVX2 {
            return projector_accumulate_rows_avx2(partner, Int64(d), Int64(k), columns + range.lowerBound,
                                                  values + range.lowerBound, Int64(range.count), mean, outer, linear, weighted)
        }
        return accumulatePortable(partner: partner, d: d, k: k, columns: columns, values: values, range: range, mean: mean,
                                  outer: outer, linear: linear, weighted: weighted)
    }

    /// `accumulate` in `SIMD4` Swift, whatever the CPU (what runs without AVX2; tested against
    /// the C kernel).
    @inlinable
    public static func accumulatePortable(
        partner: UnsafePointer<Float>, d: Int, k: Int, columns: UnsafePointer<Int32>, values: UnsafePointer<Float>,
        range: Range<Int>, mean: Float,
        outer: UnsafeMutablePointer<Float>, linear: UnsafeMutablePointer<Float>, weighted: UnsafeMutablePointer<Float>
    ) -> Float {
        var targetSum: Float = 0
        @inline(__always) func row(_ entry: Int) -> UnsafePointer<Float> { partner + Int(columns[entry]) * d }
        @inline(__always) func addLinear(_ entry: Int, _ q: UnsafePointer<Float>) {
            let t = values[entry] - mean - q[k]
            addRow(q, k: k, weight: t, sum: linear, weighted: weighted)
            targetSum += t
        }
        var entry = range.lowerBound
        while entry + 4 <= range.upperBound {
            let q0 = row(entry), q1 = row(entry + 1), q2 = row(entry + 2), q3 = row(entry + 3)
            add(outer, k: k, q0, q1, q2, q3)
            addLinear(entry, q0)
            addLinear(entry + 1, q1)
            addLinear(entry + 2, q2)
            addLinear(entry + 3, q3)
            entry += 4
        }
        while entry < range.upperBound {
            let q = row(entry)
            add(outer, k: k, q)
            addLinear(entry, q)
            entry += 1
        }
        return targetSum
    }

    @usableFromInline @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
    }

    @usableFromInline @inline(__always)
    static func store(_ value: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: value, as: SIMD4<Float>.self)
    }

    /// outer += q₀q₀ᵀ + q₁q₁ᵀ + q₂q₂ᵀ + q₃q₃ᵀ (upper triangle; whole chunks of four from the
    /// diagonal's chunk on).
    @inlinable @inline(__always)
    public static func add(
        _ outer: UnsafeMutablePointer<Float>, k: Int,
        _ q0: UnsafePointer<Float>, _ q1: UnsafePointer<Float>, _ q2: UnsafePointer<Float>, _ q3: UnsafePointer<Float>
    ) {
        let whole = k & ~3
        for r in 0..<k {
            let s0 = SIMD4<Float>(repeating: q0[r]), s1 = SIMD4<Float>(repeating: q1[r])
            let s2 = SIMD4<Float>(repeating: q2[r]), s3 = SIMD4<Float>(repeating: q3[r])
            let row = outer + r * k
            var c = r & ~3
            while c < whole {
                var sum = load(row + c)
                sum += s0 * load(q0 + c)
                sum += s1 * load(q1 + c)
                sum += s2 * load(q2 + c)
                sum += s3 * load(q3 + c)
                store(sum, row + c)
                c += 4
            }
            while c < k {
                row[c] += q0[r] * q0[c] + q1[r] * q1[c] + q2[r] * q2[c] + q3[r] * q3[c]
                c += 1
            }
        }
    }

    /// outer += q qᵀ (upper triangle, as above).
    @inlinable @inline(__always)
    public static func add(_ outer: UnsafeMutablePointer<Float>, k: Int, _ q: UnsafePointer<Float>) {
        let whole = k & ~3
        for r in 0..<k {
            let s = SIMD4<Float>(repeating: q[r])
            let row = outer + r * k
            var c = r & ~3
            while c < whole {
                store(load(row + c) + s * load(q + c), row + c)
                c += 4
            }
            while c < k {
                row[c] += q[r] * q[c]
                c += 1
            }
        }
    }

    /// sum += q and weighted += weight · q (length k): the linear sums beside the outer products.
    @inlinable @inline(__always)
    public static func addRow(
        _ q: UnsafePointer<Float>, k: Int, weight: Float,
        sum: UnsafeMutablePointer<Float>, weighted: UnsafeMutablePointer<Float>
    ) {
        let w = SIMD4<Float>(repeating: weight)
        var c = 0
        while c + 4 <= k {
            let value = load(q + c)
            store(load(sum + c) + value, sum + c)
            store(load(weighted + c) + w * value, weighted + c)
            c += 4
        }
        while c < k {
            sum[c] += q[c]
            weighted[c] += weight * q[c]
            c += 1
        }
    }

    /// y[0..<n] −= a · x[0..<n], four lanes at a time (`Float` or `Double`).
    @inlinable @inline(__always)
    public static func subtractScaled<Scalar: SIMDScalar & BinaryFloatingPoint>(
        _ a: Scalar, _ x: UnsafePointer<Scalar>, from y: UnsafeMutablePointer<Scalar>, count n: Int
    ) {
        let scale = SIMD4<Scalar>(repeating: a)
        var c = 0
        while c + 4 <= n {
            let value = UnsafeRawPointer(y + c).loadUnaligned(as: SIMD4<Scalar>.self)
                - scale * UnsafeRawPointer(x + c).loadUnaligned(as: SIMD4<Scalar>.self)
            UnsafeMutableRawPointer(y + c).storeBytes(of: value, as: SIMD4<Scalar>.self)
            c += 4
        }
        while c < n {
            y[c] -= a * x[c]
            c += 1
        }
    }

    /// Entry (r, c) of the accumulated symmetric matrix (read from its upper triangle).
    @inlinable @inline(__always)
    public static func entry(_ outer: UnsafePointer<Float>, k: Int, _ r: Int, _ c: Int) -> Float {
        c >= r ? outer[r * k + c] : outer[c * k + r]
    }
}
