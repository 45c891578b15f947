import Foundation
import _CHDF5

/// Process-wide access to libhdf5.
///
/// The libhdf5 Projector links against is not built thread-safe, so every call into it goes
/// through `HDF5Library.locked`, which holds one recursive lock. The lock is recursive because a
/// wrapper that holds it may call another wrapper (reading a dataset opens its type, …).
/// The first use also switches off HDF5's printing of its error stack to stderr: errors come
/// back as `HDF5Error` instead.
public enum HDF5Library {
    private static let lock: NSRecursiveLock = {
        let lock = NSRecursiveLock()
        lock.lock()
        H5open()
        projector_H5_silence_errors()
        lock.unlock()
        return lock
    }()

    /// Runs `body` with exclusive access to libhdf5.
    @inline(__always)
    public static func locked<T>(_ body: () throws -> T) rethrows -> T {
        let lock = self.lock
        lock.lock()
        defer { lock.unlock() }
        // Debian's libhdf5 keeps error-printing settings per thread, so every thread that calls
        // it must switch the printing off; doing it on each entry is cheap and covers them all.
        projector_H5_silence_errors()
        return try body()
    }

    /// Number of HDF5 objects (files, groups, datasets, attributes, types) open in this process.
    /// Zero when nothing leaked.
    public static var openObjectCount: Int {
        locked { Int(H5Fget_obj_count(hid_t(projector_H5F_OBJ_ALL()), projector_H5F_OBJ_ALL())) }
    }
}
