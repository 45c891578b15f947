import Foundation
import _CHDF5

/// Writes an HDF5 file so that readers only ever see a complete one.
///
/// The file is built under a temporary name in the destination's folder
/// (`.<name>.tmp-<pid>-<random>`), flushed, closed and fsynced, then renamed over `path`.
/// If `body` throws, or the process dies, the destination is untouched and the temporary file
/// is removed (or, after a crash, left under a name no reader looks for).
///
///     try writeHDF5Atomically(to: "out/ratings.h5") { file in
///         try file.setAttribute("format", "projector.ratings")
///     }
public func writeHDF5Atomically(to path: String, _ body: (HDF5File) throws -> Void) throws {
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw HDF5Error(file: path, problem: "cannot write: folder \(folder) does not exist")
    }
    let temporary = url.deletingLastPathComponent()
        .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
    do {
        let file = try HDF5File.create(temporary)
        try body(file)
        try file.flush()
        file.close()
        try fsyncPath(temporary, reportAs: path)
        guard rename(temporary, path) == 0 else {
            throw HDF5Error(file: path, problem: "cannot rename temporary file into place: \(String(cString: strerror(errno)))")
        }
        try? fsyncPath(folder, reportAs: path)
    } catch {
        unlink(temporary)
        throw error
    }
}

func fsyncPath(_ path: String, reportAs: String) throws {
    let fd = Foundation.open(path, O_RDONLY)
    guard fd >= 0 else {
        throw HDF5Error(file: reportAs, problem: "cannot open \(path) to sync it: \(String(cString: strerror(errno)))")
    }
    defer { Foundation.close(fd) }
    guard fsync(fd) == 0 else {
        throw HDF5Error(file: reportAs, problem: "cannot sync \(path): \(String(cString: strerror(errno)))")
    }
}
