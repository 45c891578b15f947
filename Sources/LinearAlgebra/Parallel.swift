import Dispatch
import Foundation
import Synchronization
import _CLinearAlgebra

/// Parallel loops and BLAS threading, decided in one place (here, beside the BLAS wrappers: every
/// layer's loops must agree with BLAS on who uses the cores, so every module that runs a parallel
/// loop runs it through this one).
///
/// OpenBLAS runs its own thread pool. When Projector's own loops already use every core (one
/// Cholesky solve per user, one block of users per core…), BLAS must run single-threaded inside
/// them: two pools competing for two cores make BLAS-heavy code several times slower. So every
/// parallel loop goes through `Parallel`, which switches BLAS to one thread for its duration and
/// back to all cores afterwards, and large single BLAS calls made outside such loops get every
/// core.
///
///     let sums = Parallel.map(4) { chunk in work(chunk) }   // BLAS: 1 thread inside
///     Matrix.gemm(...)                                      // BLAS: all cores
public enum Parallel {
    /// Worker count: the cores this process may use (2 on the project's machines), overridable
    /// with `PROJECTOR_THREADS` for benchmarks.
    public static let workers: Int = {
        if let text = ProcessInfo.processInfo.environment["PROJECTOR_THREADS"], let value = Int(text), value > 0 {
            return value
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Guards `withBLASThreads` scopes. Recursive: a loop inside a scope of the same thread nests.
    /// Held for the whole scope, so nothing a scope's workers call may take it.
    private static let blasLock = NSRecursiveLock()
    /// Guards OpenBLAS's thread count and pool state, briefly: every `openblas_set_num_threads`,
    /// the pool's stop and restart, and changes of `blasThreads`. Taken by workers too (a restart).
    private static let poolLock = NSLock()
    /// The thread count BLAS should use now.
    private static let blasThreads = Atomic<Int>(0)
    /// Set by `stopIdleBLASPool()` until the next `configureBLAS()`: while it is set, thread-count
    /// changes are only recorded, because OpenBLAS restarts its pool on any of them.
    private static let poolStopped = Atomic<Bool>(false)
    /// The first thing before any BLAS call: OpenBLAS's kernels (`BLASCore`), then its threads.
    private static let setUp: Void = {
        BLASCore.chooseOnce()
        blasThreads.store(workers, ordering: .sequentiallyConsistent)
        openblas_set_num_threads(Int32(workers))
    }()

    /// Stops OpenBLAS's worker pool until the next BLAS or LAPACK call. Every executable calls it
    /// first thing (`runTool`), while no other thread makes BLAS calls (it is not synchronised
    /// with them): OpenBLAS starts its pool when the library loads, and the idle workers then
    /// spin on sched_yield for about 2^28 cycles (≈ 0.1 s) before they sleep. On two cores that
    /// takes one from whatever the process does first: all of a stage that makes no BLAS call
    /// (ingest: 0.19 → 0.15 s on ML-1M), or the reading before a fit's first BLAS call. The first
    /// `configureBLAS()` (every LinearAlgebra routine calls it) starts the pool again with the
    /// thread count in force.
    ///
    ///     Parallel.stopIdleBLASPool()   // in main, before anything else
    public static func stopIdleBLASPool() {
        _ = setUp
        poolLock.lock()
        defer { poolLock.unlock() }
        _ = blas_thread_shutdown_()
        poolStopped.store(true, ordering: .sequentiallyConsistent)
    }

    /// Makes sure BLAS uses every worker for calls outside parallel loops (and one inside them),
    /// and that its pool runs. Called by every LinearAlgebra routine before it calls BLAS or
    /// LAPACK; cheap (one atomic load) and harmless to call again, from any thread. After a stop,
    /// the first caller restarts the pool and any other waits until it has.
    public static func configureBLAS() {
        _ = setUp
        guard poolStopped.load(ordering: .acquiring) else { return }
        poolLock.lock()
        defer { poolLock.unlock() }
        if poolStopped.load(ordering: .sequentiallyConsistent) {
            openblas_set_num_threads(Int32(blasThreads.load(ordering: .sequentiallyConsistent)))
            poolStopped.store(false, ordering: .sequentiallyConsistent)
        }
    }

    /// Sets the thread count BLAS should use (applied at once unless the pool is stopped).
    private static func setBLASThreads(_ count: Int) {
        poolLock.lock()
        defer { poolLock.unlock() }
        blasThreads.store(count, ordering: .sequentiallyConsistent)
        if !poolStopped.load(ordering: .sequentiallyConsistent) { openblas_set_num_threads(Int32(count)) }
    }

    /// Runs `body` with OpenBLAS on `count` threads, then restores the previous count. An
    /// iterative fit whose loop calls small BLAS or LAPACK routines between its parallel loops
    /// wraps the loop in `withBLASThreads(1)`: else each such call may hand work to OpenBLAS's own
    /// thread, which then spins (sched_yield) for a while against the fit's workers (measured on
    /// BPMF: 2 s of system time in a 6.7 s run).
    public static func withBLASThreads<T>(_ count: Int, _ body: () throws -> T) rethrows -> T {
        _ = setUp
        blasLock.lock()
        let previous = blasThreads.load(ordering: .sequentiallyConsistent)
        if count != previous { setBLASThreads(count) }
        defer {
            if count != previous { setBLASThreads(previous) }
            blasLock.unlock()
        }
        return try body()
    }

    /// Runs `body(i)` for every `i` in `0..<count`, spread over the workers, with BLAS on one
    /// thread meanwhile (from the first BLAS call on, if the pool was stopped). Iterations must be
    /// independent and must not start parallel loops (a nested loop would wait for `blasLock`,
    /// which the caller holds: a deadlock).
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        _ = setUp
        guard count > 1, workers > 1 else {
            for index in 0..<count { body(index) }
            return
        }
        withBLASThreads(1) {
            // The iterations touch disjoint data by contract; Dispatch wants a @Sendable closure,
            // so the (non-escaping) body is passed through an unchecked box.
            withoutActuallyEscaping(body) { body in
                let box = UncheckedSendable(body)
                DispatchQueue.concurrentPerform(iterations: count) { box.value($0) }
            }
        }
    }

    /// `forEach` that collects one result per iteration, in order. The first error thrown by
    /// any iteration (by index) is rethrown after all finish.
    public static func map<T>(_ count: Int, _ body: (Int) throws -> T) throws -> [T] {
        let slots = UnsafeMutableBufferPointer<Result<T, any Error>?>.allocate(capacity: count)
        slots.initialize(repeating: nil)
        defer {
            slots.deinitialize()
            slots.deallocate()
        }
        forEach(count) { index in slots[index] = Result { try body(index) } }
        return try slots.map { try $0!.get() }
    }

    /// Splits `0..<count` into `parts` contiguous ranges of near-equal length.
    public static func ranges(_ count: Int, parts: Int) -> [Range<Int>] {
        let parts = max(1, min(parts, count))
        return (0..<parts).map { part in (count * part / parts)..<(count * (part + 1) / parts) }
    }
}

/// Wraps a value the compiler cannot prove Sendable but whose use is race-free by construction
/// (disjoint writes from parallel iterations). Used only by `Parallel`.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A mutable buffer that parallel iterations write to at disjoint indices.
public struct UncheckedBuffer<Element>: @unchecked Sendable {
    public let base: UnsafeMutableBufferPointer<Element>
    public init(_ base: UnsafeMutableBufferPointer<Element>) { self.base = base }
    @inline(__always) public subscript(index: Int) -> Element {
        get { base[index] }
        nonmutating set { base[index] = newValue }
    }
}
