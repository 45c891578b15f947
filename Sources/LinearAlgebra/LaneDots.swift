import _CKernels

/// `laneDot` of one vector against consecutive rows, in double precision: out[r] = x · rows[r]
/// for the `count` rows `rows + r · n`. With AVX2 the C kernel in `_CKernels` computes four rows
/// per pass over x; it adds in `laneDot`'s exact order (no FMA), so the bytes are the same on any
/// x86-64 — and on other CPUs, where the Swift loop runs. Fold-in's Woodbury system (X S Xᵀ, a
/// person's h × h) is these dots: profiled at a fifth of a fold-in request in SSE2 Swift.
///
///     laneDots(x, rows: sx, n: 257, count: 20, into: out)   // out[r] == laneDot(x, sx + r * 257, 257)
public func laneDots(_ x: UnsafePointer<Double>, rows: UnsafePointer<Double>, n: Int, count: Int, into out: UnsafeMutablePointer<Double>) {
    guard count > 0 else { return }
    if OuterProducts.usesAVX2 {
        projector_lane_dots_f64_avx2(x, rows, Int64(n), Int64(count), out)
    } else {
        laneDotsPortable(x, rows: rows, n: n, count: count, into: out)
    }
}

/// `laneDots` in Swift, whatever the CPU (what runs without AVX2; tested against the C kernel).
public func laneDotsPortable(_ x: UnsafePointer<Double>, rows: UnsafePointer<Double>, n: Int, count: Int, into out: UnsafeMutablePointer<Double>) {
    for r in 0..<count { out[r] = laneDot(x, rows + r * n, n) }
}
