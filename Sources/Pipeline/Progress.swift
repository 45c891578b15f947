import Foundation

/// What a run shows while it works. On a terminal: one line per step, redrawn as a progress bar
/// with ETA for training iterations. Elsewhere (cron, CI): plain timestamped lines, training
/// progress every 10 %. `quiet`: only failures.
public final class Progress: @unchecked Sendable {
    public enum Mode: Sendable { case terminal, plain, quiet }

    let mode: Mode
    private let lock = NSLock()
    private var started: [String: Date] = [:]
    private var lastDecile: [String: Int] = [:]

    public init(mode: Mode) { self.mode = mode }

    /// Terminal if stderr is one, plain otherwise.
    public static func automatic(quiet: Bool) -> Progress {
        Progress(mode: quiet ? .quiet : (isatty(STDERR_FILENO) == 1 ? .terminal : .plain))
    }

    func emit(_ text: String, redraw: Bool = false) {
        lock.lock()
        defer { lock.unlock() }
        switch mode {
        case .quiet: return
        case .terminal: FileHandle.standardError.write(Data(((redraw ? "\r\u{1B}[2K" : "\r\u{1B}[2K") + text + (redraw ? "" : "\n")).utf8))
        case .plain:
            guard !redraw else { return }
            FileHandle.standardError.write(Data("\(ISO8601DateFormatter().string(from: Date())) \(text)\n".utf8))
        }
    }

    func stepStarted(_ step: String) {
        lock.lock(); started[step] = Date(); lastDecile[step] = 0; lock.unlock()
        emit("\(step): running", redraw: mode == .terminal)
    }

    func stepCached(_ step: String) { emit("\(step): cached (inputs, parameters and program unchanged)") }

    func stepFinished(_ step: String, seconds: Double) { emit("\(step): done in \(String(format: "%.2f", seconds)) s") }

    func stepFailed(_ step: String, status: Int32) {
        if mode == .quiet {
            FileHandle.standardError.write(Data("\(step): failed (exit \(status))\n".utf8))
        } else {
            emit("\(step): failed (exit \(status))")
        }
    }

    func stepProgress(_ step: String, done: Int, total: Int) {
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
