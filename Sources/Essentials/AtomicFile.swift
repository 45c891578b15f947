import Foundation

/// Crash-safe file replacement: a file is built under a temporary name in its destination's
/// folder, fsynced, renamed over the destination, and the folder fsynced, so readers see the old
/// file or the new one, never a mixture, and a power cut after the call keeps the new one.
/// Every failure (the fsyncs included) is thrown, never swallowed.
///
///     try AtomicFile.write(Data("{}".utf8), to: "metrics.json")
///     try AtomicFile.replace("model.h5") { temporary in try writeHDF5(temporary) }
public enum AtomicFile {
    /// Calls `produce` with a temporary path beside `path` (`.<name>.tmp-<pid>-<random>`), then
    /// moves what it wrote into place. If `produce` throws, or the process dies, `path` is
    /// untouched; the temporary file is removed (or, after a crash, left under a name no reader
    /// looks for).
    public static func replace(_ path: String, _ produce: (String) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ProjectorFailure(.badInput, "\(path): cannot write: folder \(folder) does not exist")
        }
        let temporary = folder + "/.\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try produce(temporary)
            try fsync(temporary)
            guard rename(temporary, path) == 0 else {
                throw ProjectorFailure(.failure, "\(path): cannot rename the temporary file into place: \(systemError())")
            }
        } catch {
            unlink(temporary)
            throw error
        }
        try fsync(folder)
    }

    /// Writes `data` to `path` atomically (see `replace`).
    public static func write(_ data: Data, to path: String) throws {
        try replace(path) { temporary in
            guard FileManager.default.createFile(atPath: temporary, contents: data) else {
                throw ProjectorFailure(.failure, "\(path): cannot write \(temporary): \(systemError())")
            }
        }
    }

    /// fsyncs a file or a folder (a folder's fsync makes a rename inside it durable).
    public static func fsync(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ProjectorFailure(.failure, "\(path): cannot open to sync: \(systemError())") }
        defer { close(fd) }
        guard Foundation.fsync(fd) == 0 else {
            throw ProjectorFailure(.failure, "\(path): fsync failed: \(systemError())")
        }
    }
}
