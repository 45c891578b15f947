import Foundation

/// An exclusive advisory lock (`flock`) on a file, held while `body` runs; the holder's pid is
/// written into the file so a waiting process can say whom it waits for.
///
/// Publishers of one model name queue on `<store>/<name>/.lock`; pipeline runs on
/// `<store>/.pipeline.lock`. A lock dies with its process, so a `kill -9` never leaves one held.
///
///     try FileLock.withLock(store + "/.pipeline.lock", blocking: false) { try run() }
public enum FileLock {
    /// `blocking: false` throws a `.busy` failure naming the holder instead of waiting;
    /// `whileWaiting` is told the holder's pid before a blocking wait starts.
    public static func withLock<T>(
        _ path: String, blocking: Bool = true, whileWaiting: ((String) -> Void)? = nil, _ body: () throws -> T
    ) throws -> T {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ProjectorFailure(.failure, "\(path): cannot open the lock file: \(systemError())") }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK else { throw ProjectorFailure(.failure, "\(path): cannot lock: \(systemError())") }
            let holder = holderPID(fd)
            guard blocking else { throw ProjectorFailure(.busy, "\(path) is held by process \(holder)") }
            whileWaiting?(holder)
            while flock(fd, LOCK_EX) != 0 {
                guard errno == EINTR else { throw ProjectorFailure(.failure, "\(path): cannot lock: \(systemError())") }
            }
        }
        defer { flock(fd, LOCK_UN) }
        let pid = "\(getpid())\n"
        if ftruncate(fd, 0) == 0 { _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) } }
        return try body()
    }

    private static func holderPID(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(fd, &buffer, buffer.count, 0)
        let text = count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : ""
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? "?" : trimmed
    }
}
