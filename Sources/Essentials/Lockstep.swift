import Foundation
import Synchronization

/// Two threads running one loop in step, exchanging a pair of doubles at every step: for exact
/// parallel algorithms whose steps each combine two halves' partial sums. The Bayesian FM's
/// coordinate draws are one: for each feature, each thread sums over its half of the entities,
/// both add the two sums (addition commutes), draw the same value from the same pre-drawn normal,
/// and update their own entities — so the result does not depend on the threads' timing.
///
/// No locks: per step, a release store of the thread's step count and an acquiring spin on the
/// other's (a `sched_yield` now and then, should the other thread not be running). Two slots per
/// thread suffice: neither can be more than one step ahead of the other. Party 0 runs on the
/// calling thread, party 1 on a thread of its own (not a pool's: the two must run at the same
/// time, or the spin would wait forever), started per call — so a call should carry thousands
/// of steps, not a few.
///
///     Lockstep.pair { channel in
///         for step in 0..<steps {
///             let mine = partialSum(half: channel.party, step)
///             let total = mine + channel.exchange(mine)   // the same on both threads
///         }
///     }
public enum Lockstep {
    /// One party's end: its index (0 or 1) and `exchange`.
    public final class Channel: @unchecked Sendable {
        public let party: Int
        private let shared: Shared
        private var step = 0

        init(party: Int, shared: Shared) {
            (self.party, self.shared) = (party, shared)
        }

        /// Publishes this party's value for the next step and returns the other party's value
        /// for the same step, waiting for it.
        public func exchange(_ value: SIMD2<Double>) -> SIMD2<Double> {
            let slot = step & 1
            shared.slots[party * Shared.stride + slot] = value
            shared.publish(party, steps: step + 1)
            var spins = 0
            while shared.published(1 - party) <= step {
                spins += 1
                if spins & 1023 == 0 { sched_yield() }
            }
            let other = shared.slots[(1 - party) * Shared.stride + slot]
            step += 1
            return other
        }
    }

    /// The two parties' step counts and slots, each party's slots on a cache line of its own.
    final class Shared: @unchecked Sendable {
        /// Slots per party, in SIMD2<Double> (64 bytes).
        static let stride = 4
        let first = Atomic<Int>(0), second = Atomic<Int>(0)
        let slots: UnsafeMutablePointer<SIMD2<Double>>

        init() {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: 2 * Self.stride * MemoryLayout<SIMD2<Double>>.stride, alignment: 64)
            slots = raw.bindMemory(to: SIMD2<Double>.self, capacity: 2 * Self.stride)
            slots.initialize(repeating: .zero, count: 2 * Self.stride)
        }

        deinit { UnsafeMutableRawPointer(slots).deallocate() }

        func publish(_ party: Int, steps: Int) {
            if party == 0 { first.store(steps, ordering: .releasing) } else { second.store(steps, ordering: .releasing) }
        }

        func published(_ party: Int) -> Int {
            party == 0 ? first.load(ordering: .acquiring) : second.load(ordering: .acquiring)
        }
    }

    /// Runs `body` for party 0 on the calling thread and for party 1 on a new thread, at the
    /// same time; returns when both have returned. Every `exchange` of one party must be matched
    /// by one of the other.
    public static func pair(_ body: (Channel) -> Void) {
        let shared = Shared()
        withoutActuallyEscaping(body) { body in
            // The thread's block holds the body through this box, emptied before returning: the
            // Thread object may outlive the call, the body must not.
            let box = Box(body)
            let done = DispatchSemaphore(value: 0)
            let helper = Thread {
                box.body!(Channel(party: 1, shared: shared))
                done.signal()
            }
            helper.start()
            body(Channel(party: 0, shared: shared))
            done.wait()
            box.body = nil
        }
    }

    private final class Box: @unchecked Sendable {
        var body: ((Channel) -> Void)?
        init(_ body: @escaping (Channel) -> Void) { self.body = body }
    }
}
