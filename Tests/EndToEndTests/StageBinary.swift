import Foundation
import Testing
@_exported import TestSupport

/// Runs a stage executable built next to the test bundle, as a cron job or the runner would.
struct StageRun {
    var status: Int32
    var stdout: String
    var stderr: String
}

func productsFolder() -> URL {
    URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
}

func runStage(_ name: String, _ arguments: [String]) throws -> StageRun {
    let process = Process()
    process.executableURL = productsFolder().appendingPathComponent(name)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Both pipes drained at once: a stage that fills one (a long fit's progress events on
    // stderr) while the other is read to its end would block forever.
    nonisolated(unsafe) var errData = Data()
    let errDone = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        errData = err.fileHandleForReading.readDataToEndOfFile()
        errDone.signal()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    errDone.wait()
    process.waitUntilExit()
    return StageRun(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                    stderr: String(decoding: errData, as: UTF8.self))
}
