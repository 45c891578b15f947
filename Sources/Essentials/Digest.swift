import Crypto
import Foundation

/// sha256 as lower-case hex: of bytes in memory, or of a file read in 8 MiB chunks.
///
///     Digest.sha256(Data("abc".utf8))   // "ba7816bf…"
///     try Digest.sha256(file: "model.h5").hex
public enum Digest {
    public static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        var text = ""
        text.reserveCapacity(64)
        for byte in digest {
            let digits = Array("0123456789abcdef".utf8)
            text.unicodeScalars.append(Unicode.Scalar(digits[Int(byte >> 4)]))
            text.unicodeScalars.append(Unicode.Scalar(digits[Int(byte & 15)]))
        }
        return text
    }

    public static func sha256<D: DataProtocol>(_ data: D) -> String { hex(SHA256.hash(data: data)) }

    public static func sha256(_ text: String) -> String { sha256(Data(text.utf8)) }

    /// md5 as hex: only to compare with checksums others publish (GroupLens's `.zip.md5`).
    public static func md5<D: DataProtocol>(_ data: D) -> String { hex(Insecure.MD5.hash(data: data)) }

    /// sha256 (hex) and size of a file. A file that cannot be read is bad input (exit 2).
    public static func sha256(file path: String) throws -> (hex: String, size: Int) {
        guard let input = FileHandle(forReadingAtPath: path) else {
            throw ProjectorFailure(.badInput, "\(path): cannot read: \(systemError())")
        }
        defer { try? input.close() }
        var hasher = SHA256()
        var size = 0
        do {
            while let chunk = try input.read(upToCount: 8 << 20), !chunk.isEmpty {
                hasher.update(data: chunk)
                size += chunk.count
            }
        } catch {
            throw ProjectorFailure(.failure, "\(path): read failed: \(error.localizedDescription)")
        }
        return (hex(hasher.finalize()), size)
    }
}
