import Essentials
import Foundation

/// The one file operation the store needs beyond `Essentials` (atomic writes, locks, digests).
enum FileSystem {
    /// Copies a file, fsyncing the copy. Every failure is thrown.
    static func copy(_ source: String, to destination: String) throws {
        guard let input = FileHandle(forReadingAtPath: source) else { throw StoreError(.badInput, "\(source): cannot read: \(systemError())") }
        defer { try? input.close() }
        guard FileManager.default.createFile(atPath: destination, contents: nil),
              let output = FileHandle(forWritingAtPath: destination) else {
            throw StoreError(.failure, "\(destination): cannot create: \(systemError())")
        }
        defer { try? output.close() }
        do {
            while let chunk = try input.read(upToCount: 8 << 20), !chunk.isEmpty { try output.write(contentsOf: chunk) }
            try output.synchronize()
        } catch {
            throw StoreError(.failure, "copying \(source) to \(destination) failed: \(error.localizedDescription)")
        }
    }
}
