import Foundation
import Synchronization

/// Two threads running one loop in step, exchanging a pair of doubles at every step: for exact
/// parallel algorithms whose steps each combine two halves' partial sums. The Bayesian FM's
/// coordinate draws are one: for each feature, each thread sums over its half of the entities,
/// both add the two sums (addition commutes), draw the same value from the same pre-drawn normal,
/// and update their own entities — so the result does not depend on the threads' timing.
///
/// No locks: per step, a release store of the thread's step count and an acquiring spin on the
/// other's (then `sched_yield`s, should the other thread not be running). Two slots per thread
/// suffice: neither can be more than one step ahead of the other. Party 0 runs on the calling
/// thread, party 1 on a thread of its own (not a pool's: the two must run at the same time, or
/// the spin would wait forever), started per call — so a call should carry thousands of steps,
/// not a few.
///
///     let ran = Lockstep.pair { channel in
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
        private let mine: Counter, theirs: Counter
        private var step = 0

        init(party: Int, shared: Shared) {
            (self.party, self.shared) = (party, shared)
            (mine, theirs) = party == 0 ? (shared.first, shared.second) : (shared.second, shared.first)
        }

        /// Publishes this party's value for the next step and returns the other party's value
        /// for the same step, waiting for it: a short spin, then a `sched_yield` per look (the
        /// other thread is then not running: let it). `patient`: a step the other party may take
        /// milliseconds to reach (it is doing a long piece of work alone) — after the spin, sleep
        /// 20 µs per look instead of keeping a core busy.
        public func exchange(_ value: SIMD2<Double>, patient: Bool = false) -> SIMD2<Double> {
            let slot = step & 1
            shared.slots[party * Shared.stride + slot] = value
            mine.value.store(step + 1, ordering: .releasing)
            var spins = 0
            while theirs.value.load(ordering: .acquiring) <= step {
                spins += 1
                if spins > 4096 {
                    if patient { usleep(20) } else { sched_yield() }
                }
            }
            let other = shared.slots[(1 - party) * Shared.stride + slot]
            step += 1
            return other
        }
    }

    /// A party's step count, alone on its cache line (the object is padded past 64 bytes, the
    /// count first): the other party spins on it.
    final class Counter: Sendable {
        let value = Atomic<Int>(0)
        private let padding: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
    }

    /// The two parties' step counts and slots, each party's slots on a cache line of its own.
    final class Shared: @unchecked Sendable {
        /// Slots per party, in SIMD2<Double> (64 bytes).
        static let stride = 4
        let first = Counter(), second = Counter()
        let slots: UnsafeMutablePointer<SIMD2<Double>>

        init() {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: 2 * Self.stride * MemoryLayout<SIMD2<Double>>.stride, alignment: 64)
            slots = raw.bindMemory(to: SIMD2<Double>.self, capacity: 2 * Self.stride)
            slots.initialize(repeating: .zero, count: 2 * Self.stride)
        }

        deinit { UnsafeMutableRawPointer(slots).deallocate() }
    }

    /// Runs `body` for party 0 on the calling thread and for party 1 on a new thread, at the
    /// same time, and returns true when both have returned; false, running neither, if the
    /// system gives no thread (the caller then runs both halves itself). Every `exchange` of one
    /// party must be matched by one of the other.
    public static func pair(_ body: (Channel) -> Void) -> Bool {
        let shared = Shared()
        return withoutActuallyEscaping(body) { body in
            // The thread holds the body through this box, emptied before returning.
            let box = Box(body: body, channel: Channel(party: 1, shared: shared))
            var thread = pthread_t()
            let context = Unmanaged.passRetained(box).toOpaque()
            let created = pthread_create(&thread, nil, { raw in
                let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
                box.body!(box.channel)
                return nil
            }, context)
            guard created == 0 else {
                Unmanaged<Box>.fromOpaque(context).release()
                box.body = nil
                return false
            }
            body(Channel(party: 0, shared: shared))
            pthread_join(thread, nil)
            box.body = nil
            return true
        }
    }

    private final class Box: @unchecked Sendable {
        var body: ((Channel) -> Void)?
        let channel: Channel
        init(body: @escaping (Channel) -> Void, channel: Channel) { (self.body, self.channel) = (body, channel) }
    }
}
