import Essentials
import Foundation

/// What a run shows while it works. On a terminal: one line per step, redrawn as a progress bar
/// with ETA for training iterations. Elsewhere (cron, CI): plain timestamped lines, training
/// progress every 10 %. `quiet`: only failures.
public final class Progress: @unchecked Sendable {
    public enum Mode: Sendable { case terminal, plain, quiet }

    let mode: Mode
    /// Where lines go: stderr, or a test's collector.
    private let write: @Sendable (String) -> Void
    private let lock = NSLock()
    private var started: [String: Date] = [:]
    private var lastDecile: [String: Int] = [:]

    public init(mode: Mode, write: @escaping @Sendable (String) -> Void = { StandardError.write($0) }) {
        self.mode = mode
        self.write = write
    }

    /// Terminal if stderr is one, plain otherwise.
    public static func automatic(quiet: Bool) -> Progress {
        Progress(mode: quiet ? .quiet : (isatty(STDERR_FILENO) == 1 ? .terminal : .plain))
    }

    public func emit(_ text: String, redraw: Bool = false) {
        lock.lock()
        defer { lock.unlock() }
        switch mode {
        case .quiet: return
        case .terminal: write("\r\u{1B}[2K" + text + (redraw ? "" : "\n"))
        case .plain:
            guard !redraw else { return }
            write("\(Timestamp.now()) \(text)\n")
        }
    }

    public func stepStarted(_ step: String) {
        lock.lock(); started[step] = Date(); lastDecile[step] = 0; lock.unlock()
        emit("\(step): running", redraw: mode == .terminal)
    }

    public func stepCached(_ step: String) { emit("\(step): cached (inputs, parameters and program unchanged)") }

    public func stepFinished(_ step: String, seconds: Double) { emit("\(step): done in \(String(format: "%.2f", seconds)) s") }

    public func stepFailed(_ step: String, status: Int32) {
        if mode == .quiet {
            write("\(step): failed (exit \(status))\n")
        } else {
            emit("\(step): failed (exit \(status))")
        }
    }

    public func stepProgress(_ step: String, done reported: Int, total: Int) {
        // Parsed from a stage's log: never trust it to be in range.
        guard total > 0 else { return }
        let done = min(max(0, reported), total)
        lock.lock()
        let start = started[step] ?? Date()
        let decile = done * 10 / total
        let report = decile > (lastDecile[step] ?? 0)
        if report { lastDecile[step] = decile }
        lock.unlock()
        let elapsed = Date().timeIntervalSince(start)
        let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        switch mode {
        case .terminal:
            let width = 30, filled = width * done / total
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            emit("\(step): \(bar) \(done)/\(total)  ETA \(Int(eta.rounded())) s", redraw: true)
        case .plain where report:
            emit("\(step): \(done)/\(total) (\(decile * 10) %), ETA \(Int(eta.rounded())) s")
        default: break
        }
    }
}
