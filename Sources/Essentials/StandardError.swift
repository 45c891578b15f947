import Foundation

/// Writes diagnostics to stderr. Foundation's `FileHandle.write(_:)` traps when the write fails
/// (stderr on a full disk, a closed pipe); a message that cannot be shown must never turn a clean
/// exit 2 into a crash, so a failed write here is dropped.
///
///     StandardError.write("ingest: error: …\n")
public enum StandardError {
    public static func write(_ text: String) {
        try? FileHandle.standardError.write(contentsOf: Data(text.utf8))
    }
}
