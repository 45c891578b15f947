import _CKernels

/// One pass over a row's ratings applying its ridge system's Gram matrix, for conjugate
/// gradients (ALS's default solver): with g_e = [q_e, 1], q_e the k factors of the partner the
/// e-th rating names,
///
///     targets given:  out = Σ g_e (t_e − g_e · v)      (the data part of the residual b − A v)
///     targets nil:    out = Σ g_e (g_e · v)            (GᵀG v)
///
/// `out` (k + 1 floats) is overwritten. Uses the C kernel in `_CKernels` (AVX2 + FMA) when the
/// CPU has both, else `SIMD4` loops. Every column must index a row of `fixed` (the caller's data
/// is checked when it is read).
///
///     GramPass.apply(fixed: q, k: 64, columns: movies, targets: t, count: n, v: x, out: r)
public enum GramPass {
    @inlinable
    public static func apply(
        fixed: UnsafePointer<Float>, k: Int, columns: UnsafePointer<Int32>, targets: UnsafePointer<Float>?,
        count: Int, v: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>
    ) {
        if OuterProducts.usesAVX2 {
            projector_gram_pass_avx2(fixed, Int64(k), columns, targets, Int64(count), v, out)
            return
        }
        applyPortable(fixed: fixed, k: k, columns: columns, targets: targets, count: count, v: v, out: out)
    }

    /// `apply` in `SIMD4` Swift, whatever the CPU (what runs without AVX2; tested against the C
    /// kernel).
    @inlinable
    public static func applyPortable(
        fixed: UnsafePointer<Float>, k: Int, columns: UnsafePointer<Int32>, targets: UnsafePointer<Float>?,
        count: Int, v: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>
    ) {
        out.update(repeating: 0, count: k + 1)
        var biasSum: Float = 0
        for entry in 0..<count {
            let q = fixed + Int(columns[entry]) * k
            let s = dot(q, v, k) + v[k]
            let weight = targets.map { $0[entry] - s } ?? s
            OuterProducts.subtractScaled(-weight, q, from: out, count: k)
            biasSum += weight
        }
        out[k] = biasSum
    }
}
