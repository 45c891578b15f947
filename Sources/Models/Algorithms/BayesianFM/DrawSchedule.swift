/// How the Bayesian FM's coordinate draws use two threads, dimension by dimension: *paired* (two
/// threads in lockstep, each summing and updating half of the entities, an exchange per feature;
/// `Lockstep`) or *alone* (the calling thread, both halves). The bytes are the same either way;
/// only the time differs.
///
/// On an idle machine of the project's kind paired is faster. When the other core is busy —
/// another process, a neighbour on a shared VM — each of the ~10⁵ exchanges of a dimension waits
/// for a thread the system is not running, and alone is faster. So the schedule measures: each
/// dimension's wall time (party 0's clock, the waits included) feeds an exponential average per
/// mode (restarted by a mode's first dimension after the other's); the faster mode runs, and the other is tried again after `interval` dimensions — an
/// interval that doubles (up to 512 dimensions: 16 sweeps at rank 32) while the tries
/// confirm the choice and falls back to 4 when one overturns it. When load comes or goes
/// mid-fit, the running mode's average moves past the other's and the schedule switches.
///
///     let schedule = DrawSchedule()
///     let mode = schedule.next()                  // .paired at first
///     schedule.record(mode, ContinuousClock.now - start)
///
/// One per side of the sampler (users', movies': their dimensions cost differently), used by one
/// thread at a time (party 0 of each side's draws).
final class DrawSchedule: @unchecked Sendable {
    enum Mode: Sendable, Equatable { case paired, alone }

    /// Seconds per dimension, per mode (exponential average; absent until measured).
    private(set) var estimates: [Mode: Double] = [:]
    /// The mode that runs when no try is due.
    private(set) var current: Mode = .paired
    private var interval = 4, sinceTry = 0
    /// The mode of the last dimension recorded.
    private var last: Mode?
    /// Tests: the mode of every call, whatever the measurements.
    var forced: (() -> Mode)?

    static let smoothing = 0.3, shortestInterval = 4, longestInterval = 512

    /// The mode of the next dimension: the faster one, or the other when a try is due.
    func next() -> Mode {
        if let forced { return forced() }
        sinceTry += 1
        guard estimates[current] != nil, sinceTry >= interval else { return current }
        sinceTry = 0
        return current == .paired ? .alone : .paired
    }

    /// A dimension of `mode` took `duration`.
    func record(_ mode: Mode, _ duration: Duration) {
        guard forced == nil else { return }
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        // A mode's first dimension after the other's replaces its average (measured under
        // conditions that may be gone); consecutive dimensions are averaged.
        if mode == last, let average = estimates[mode] {
            estimates[mode] = average + Self.smoothing * (seconds - average)
        } else {
            estimates[mode] = seconds
        }
        last = mode
        let other: Mode = mode == .paired ? .alone : .paired
        guard let mine = estimates[mode], let theirs = estimates[other] else { return }
        if mode != current {
            // A try: it overturns the choice, or the next try comes later.
            if mine < theirs {
                current = mode
                interval = Self.shortestInterval
            } else {
                interval = min(2 * interval, Self.longestInterval)
            }
        } else if mine > theirs {
            // The running mode got slower than the other was: switch (its next measurement says whether rightly).
            current = other
            interval = Self.shortestInterval
            sinceTry = 0
        }
    }
}
