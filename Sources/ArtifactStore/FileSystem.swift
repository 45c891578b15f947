import Crypto
import Foundation

/// The few POSIX file operations the store needs to be crash-safe, in one place.
enum FileSystem {
    static func fsync(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw StoreError(.failure, "\(path): cannot open to sync: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard Foundation.fsync(fd) == 0 else {
            throw StoreError(.failure, "\(path): fsync failed: \(String(cString: strerror(errno)))")
        }
    }

    /// Writes bytes to `path` through a temporary file in the same folder, fsynced, then renamed:
    /// readers see the old file or the new one, never a mixture.
    static func writeAtomically(_ data: Data, to path: String) throws {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard FileManager.default.createFile(atPath: temporary, contents: data) else {
            throw StoreError(.failure, "\(temporary): cannot write")
        }
        do {
            try fsync(temporary)
            guard rename(temporary, path) == 0 else {
                throw StoreError(.failure, "\(path): cannot rename into place: \(String(cString: strerror(errno)))")
            }
            try fsync(URL(fileURLWithPath: path).deletingLastPathComponent().path)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Copies a file, fsyncing the copy.
    static func copy(_ source: String, to destination: String) throws {
        guard let input = FileHandle(forReadingAtPath: source) else { throw StoreError(.badInput, "\(source): cannot read") }
        defer { try? input.close() }
        guard FileManager.default.createFile(atPath: destination, contents: nil),
              let output = FileHandle(forWritingAtPath: destination) else {
            throw StoreError(.failure, "\(destination): cannot create")
        }
        defer { try? output.close() }
        while let chunk = try input.read(upToCount: 8 << 20), !chunk.isEmpty { try output.write(contentsOf: chunk) }
        try output.synchronize()
    }

    /// sha256 (hex) and size of a file, read in 8 MiB chunks.
    static func sha256(_ path: String) throws -> (hex: String, size: Int) {
        guard let input = FileHandle(forReadingAtPath: path) else { throw StoreError(.badInput, "\(path): cannot read") }
        defer { try? input.close() }
        var hasher = SHA256()
        var size = 0
        while let chunk = try input.read(upToCount: 8 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += chunk.count
        }
        return (hasher.finalize().map { String(format: "%02x", $0) }.joined(), size)
    }

    /// An exclusive advisory lock on `path` (created if needed), held until `body` returns.
    /// Overlapping publishers (two cron jobs) queue here instead of racing for a version number.
    static func withLock<T>(_ path: String, wait: Bool = true, _ body: () throws -> T) throws -> T {
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw StoreError(.failure, "\(path): cannot open lock: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        if flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) != 0 {
            throw StoreError(.failure, "\(path): held by another process (\(String(cString: strerror(errno))))")
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    static func now() -> String { ISO8601DateFormatter().string(from: Date()) }
}
