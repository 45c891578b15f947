import Essentials
import _CHDF5

/// Owns one HDF5 identifier and closes it exactly once: by `close()` or, failing that, when the
/// last reference goes away. Every object wrapper (file, group, dataset) holds one of these, so
/// no `hid_t` ever escapes the module.
final class Handle {
    private(set) var id: hid_t
    private let closer: (hid_t) -> herr_t

    init(_ id: hid_t, closer: @escaping (hid_t) -> herr_t) {
        self.id = id
        self.closer = closer
    }

    var isOpen: Bool { id >= 0 }

    /// Closes the identifier; returns HDF5's status (negative: the close failed).
    @discardableResult
    func close() -> herr_t {
        HDF5Library.locked {
            guard id >= 0 else { return 0 }
            let status = closer(id)
            id = -1
            return status
        }
    }

    deinit { close() }
}

/// Turns a negative return of an HDF5 call into an `HDF5Error` naming the file, object and
/// problem. `kind`: `.badInput` where the call reads a file (a damaged file is bad input),
/// `.failure` where it creates or writes one.
@inline(__always) @discardableResult
func check<T: BinaryInteger>(
    _ value: T, file: String, object: String, kind: FailureKind, _ problem: @autoclosure () -> String
) throws -> T {
    if value < 0 {
        throw HDF5Error(
            file: file, object: object, problem: problem(),
            detail: currentHDF5StackDescription(), kind: kind)
    }
    return value
}

/// A scratch HDF5 identifier (type, space, property list) closed when the scope ends.
struct ScopedID: ~Copyable {
    let id: hid_t
    let closer: (hid_t) -> herr_t
    init(_ id: hid_t, _ closer: @escaping (hid_t) -> herr_t) {
        self.id = id
        self.closer = closer
    }
    deinit { if id >= 0 { _ = closer(id) } }
}
