import Essentials
import _CHDF5

/// The one error type of the HDF5 module.
///
/// Every failing libhdf5 call becomes an `HDF5Error` whose message names the file, the object
/// inside it and the operation, followed by what HDF5's own error stack said. HDF5's automatic
/// printing of that stack to stderr is switched off (see `HDF5Library`), so this is the only
/// place the information appears.
///
///     do { _ = try HDF5File.open("missing.h5") }
///     catch let error as HDF5Error { print(error) }
///     // missing.h5: cannot open file: unable to open file (file does not exist) …
///
/// Reading a file that is missing, not HDF5, damaged, or not what its format promises is bad
/// input (`kind` `.badInput`, exit 2); a failed write or a library fault is a failure (exit 1).
public struct HDF5Error: ProjectorError, Equatable {
    /// Path of the file concerned.
    public var file: String
    /// Object inside the file (`/ratings/user`, `attribute format on /`), or "" for the file itself.
    public var object: String
    /// What was being done ("cannot open file", "wrong element type", …).
    public var problem: String
    /// The innermost messages from HDF5's error stack, if it had any.
    public var detail: String
    public var kind: FailureKind

    public init(file: String, object: String = "", problem: String, detail: String = "", kind: FailureKind = .badInput) {
        (self.file, self.object, self.problem, self.detail, self.kind) = (file, object, problem, detail, kind)
    }

    public var exitCode: StageExitCode { kind.exitCode }

    public var description: String {
        var text = file
        if !object.isEmpty { text += ": \(object)" }
        text += ": \(problem)"
        if !detail.isEmpty { text += " (\(detail))" }
        return text
    }
}

/// Reads HDF5's current error stack into a short text: the descriptions of its entries,
/// innermost first, without duplicates. Must be called with the library lock held.
func currentHDF5StackDescription() -> String {
    final class Collector { var messages: [String] = [] }
    let collector = Collector()
    let unmanaged = Unmanaged.passUnretained(collector).toOpaque()
    H5Ewalk2(projector_H5E_DEFAULT(), H5E_WALK_DOWNWARD, { _, entry, clientData in
        guard let entry, let clientData else { return 0 }
        let collector = Unmanaged<Collector>.fromOpaque(clientData).takeUnretainedValue()
        if let desc = entry.pointee.desc {
            let message = String(cString: desc)
            if !message.isEmpty && !collector.messages.contains(message) {
                collector.messages.append(message)
            }
        }
        return 0
    }, unmanaged)
    H5Eclear2(projector_H5E_DEFAULT())
    return collector.messages.reversed().prefix(3).joined(separator: "; ")
}
