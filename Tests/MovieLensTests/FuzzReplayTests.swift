import Foundation
import InputReplay
import Testing
import TestSupport

/// Every input libFuzzer ever crashed a reader with (`Fuzz/crashers/<target>-crash-…`), and every
/// seed, replayed through the same entry point the fuzz targets use. A regression crashes this
/// test process; a pass means each input now ends in a value or a clean error.
struct FuzzReplayTests {
    static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz")

    static func inputs(_ folder: String) -> [(InputReplay.Target, String)] {
        let root = fuzz.appendingPathComponent(folder).path
        var found: [(InputReplay.Target, String)] = []
        for target in InputReplay.Target.allCases {
            let directory = root + "/" + target.rawValue
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] { found.append((target, directory + "/" + name)) }
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            // crashers/<target>-crash-<sha1>: the target is the name up to the last "-crash-"/"-timeout-"/"-oom-".
            guard let range = name.range(of: "-(crash|timeout|oom|leak)-", options: .regularExpression),
                  let target = InputReplay.Target(rawValue: String(name[..<range.lowerBound])) else { continue }
            found.append((target, root + "/" + name))
        }
        return found.sorted { $0.1 < $1.1 }
    }

    @Test func crashersAndSeedsEndInAValueOrACleanError() throws {
        let crashers = Self.inputs("crashers"), seeds = Self.inputs("corpus")
        #expect(!crashers.isEmpty && seeds.count >= 10, "the fuzz folders are missing")
        let scratch = scratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        for (target, path) in crashers + seeds {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            _ = InputReplay.run(target, bytes, scratch: scratch.path)
        }
        // The first crasher: a rating of 3e38 in a ratings file trapped while its error message was
        // being written. It is now a clean refusal.
        let first = Self.fuzz.appendingPathComponent("crashers/hdf5-crash-f991d83147a74c833f50754a2ce9ffbfe86f546c").path
        let outcome = InputReplay.run(.hdf5, [UInt8](try Data(contentsOf: URL(fileURLWithPath: first))), scratch: scratch.path)
        #expect(outcome.contains("/ratings/rating: position") || outcome.contains("values must be finite"), "\(outcome)")
    }
}
