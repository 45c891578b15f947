import Foundation
import Synchronization

/// Two threads running one loop in step, exchanging a pair of doubles at every step: for exact
/// parallel algorithms whose steps each combine two halves' partial sums. The Bayesian FM's
/// coordinate draws are one: for each feature, each thread sums over its half of the entities,
/// both add the two sums (addition commutes), draw the same value from the same pre-drawn normal,
/// and update their own entities — so the result does not depend on the threads' timing.
///
/// No locks on a step's path: per step, a release store of the thread's step count and an
/// acquiring spin on the other's (then `sched_yield`s, should the other thread not be running).
/// A step both parties mark `patient` (one may reach it milliseconds after the other) blocks the
/// early one on a condition variable after the spin, and the late one wakes it. Two slots per thread
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

        /// How many times this party, parked, looked again after `Shared.parkedLook` without
        /// having been woken: 0 unless the other party was that late (or a rule was broken).
        public var unwokenWaits: Int { mine.unwoken.load(ordering: .relaxed) }

        init(party: Int, shared: Shared) {
            (self.party, self.shared) = (party, shared)
            (mine, theirs) = party == 0 ? (shared.first, shared.second) : (shared.second, shared.first)
        }

        /// Publishes this party's value for the next step and returns the other party's value
        /// for the same step, waiting for it: a short spin, then a `sched_yield` per look (the
        /// other thread is then not running: let it). `patient`: a step the other party may take
        /// milliseconds to reach (it is doing a long piece of work alone) — after the spin, the
        /// thread blocks until the other party publishes the step (it wakes it), using no core
        /// meanwhile: on a machine whose other core is busy, a waiting thread that kept waking
        /// up would take time from the one doing the work. Both parties must pass the same
        /// `patient` for a step: only a patient exchange wakes a parked party (the others keep
        /// the per-step cost at a release store), so a mismatch costs a parked party up to
        /// `Shared.parkedLook` per step.
        public func exchange(_ value: SIMD2<Double>, patient: Bool = false) -> SIMD2<Double> {
            let slot = step & 1
            shared.slots[party * Shared.stride + slot] = value
            if patient {
                // Sequentially consistent with the other party's `parked` store in `park`: either it
                // sees this step before it blocks, or this party sees it blocked and wakes it.
                mine.value.store(step + 1, ordering: .sequentiallyConsistent)
                if theirs.parked.load(ordering: .sequentiallyConsistent) { shared.wake() }
            } else {
                mine.value.store(step + 1, ordering: .releasing)
            }
            var spins = 0
            while theirs.value.load(ordering: .acquiring) <= step {
                spins += 1
                if spins > 4096 {
                    if patient { shared.park(mine, until: theirs, passes: step) } else { sched_yield() }
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
        /// Whether the party is blocked in `park` (or about to be).
        let parked = Atomic<Bool>(false)
        /// How many of the party's waits in `park` ended without a wake (`Channel.unwokenWaits`).
        let unwoken = Atomic<Int>(0)
        private let padding: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
    }

    /// The two parties' step counts and slots, each party's slots on a cache line of its own.
    final class Shared: @unchecked Sendable {
        /// Slots per party, in SIMD2<Double> (64 bytes).
        static let stride = 4
        let first = Counter(), second = Counter()
        let slots: UnsafeMutablePointer<SIMD2<Double>>

        /// Where a patient party blocks (`park`) and is woken (`wake`).
        private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

        init() {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: 2 * Self.stride * MemoryLayout<SIMD2<Double>>.stride, alignment: 64)
            slots = raw.bindMemory(to: SIMD2<Double>.self, capacity: 2 * Self.stride)
            slots.initialize(repeating: .zero, count: 2 * Self.stride)
            pthread_mutex_init(mutex, nil)
            pthread_cond_init(condition, nil)
        }

        deinit {
            UnsafeMutableRawPointer(slots).deallocate()
            pthread_cond_destroy(condition)
            pthread_mutex_destroy(mutex)
            mutex.deallocate()
            condition.deallocate()
        }

        /// Blocks the party whose counter is `me` until `other` has passed `step`. The mutex is
        /// held from the `parked` store to the wait, so a `wake` cannot fall between the check and
        /// the wait. Each wait also ends after `Shared.parkedLook` and looks again: should a
        /// caller ever break the both-patient rule (the other party then publishes without
        /// waking), the pair goes on, late, instead of waiting for good.
        func park(_ me: Counter, until other: Counter, passes step: Int) {
            pthread_mutex_lock(mutex)
            me.parked.store(true, ordering: .sequentiallyConsistent)
            while other.value.load(ordering: .sequentiallyConsistent) <= step {
                var now = timespec()
                clock_gettime(CLOCK_REALTIME, &now)
                var until = timespec(tv_sec: now.tv_sec, tv_nsec: now.tv_nsec + Self.parkedLook)
                if until.tv_nsec >= 1_000_000_000 { until.tv_sec += 1; until.tv_nsec -= 1_000_000_000 }
                if pthread_cond_timedwait(condition, mutex, &until) == ETIMEDOUT { me.unwoken.add(1, ordering: .relaxed) }
            }
            me.parked.store(false, ordering: .sequentiallyConsistent)
            pthread_mutex_unlock(mutex)
        }

        /// Nanoseconds a parked party sleeps before it looks again without being woken (50 ms).
        static let parkedLook = 50_000_000

        /// Wakes a parked party (it looks at the other's count again).
        func wake() {
            pthread_mutex_lock(mutex)
            pthread_cond_signal(condition)
            pthread_mutex_unlock(mutex)
        }
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
