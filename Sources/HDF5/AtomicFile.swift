import Essentials
import Foundation

/// Writes an HDF5 file so that readers only ever see a complete one: built under a temporary
/// name beside `path`, flushed, closed, then moved into place by `AtomicFile.replace` (fsync of
/// the file and of its folder). If `body` throws, or the process dies, `path` is untouched.
///
///     try writeHDF5Atomically(to: "out/ratings.h5") { file in
///         try file.setAttribute("format", "projector.ratings")
///     }
public func writeHDF5Atomically(to path: String, _ body: (HDF5File) throws -> Void) throws {
    try AtomicFile.replace(path) { temporary in
        let file = try HDF5File.create(temporary)
        try body(file)
        try file.flush()
        try file.finishWriting()
    }
}
