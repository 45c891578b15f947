import Foundation
import InputReplay
import MovieLens
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
    }
}

/// What the crashers were, as plain regression tests (the fuzz harness's byte layout may change;
/// these do not).
struct FuzzFindingsTests {
    /// hdf5-crash-f991d831…: a rating of 3e38 in a ratings file trapped while the error message
    /// was formatted (`Int(3e38)`).
    @Test func hugeAndNonFiniteRatingsAreDescribedNotTrapped() {
        #expect(RatingScale.wholeStars.problem(with: 3e38) == "rating 3e+38 is outside the scale 1–5")
        #expect(RatingScale.wholeStars.problem(with: -.infinity) == "rating -inf is outside the scale 1–5")
        #expect(RatingScale.halfStars.problem(with: .nan) == "rating nan is outside the scale 0.5–5")
        #expect(RatingScale.wholeStars.problem(with: 4) == nil)
        // `contains` (the parsers' and readers' inlined check) against the rule written out the
        // slow way: on the scale, and within 1e-4 of a whole number of steps.
        func reference(_ scale: RatingScale, _ value: Float) -> Bool {
            guard value >= scale.minimum && value <= scale.maximum else { return false }
            guard scale.step > 0 else { return true }
            let steps = (value - scale.minimum) / scale.step
            return !(abs(steps - steps.rounded()) > 1e-4)
        }
        let scales = [RatingScale.wholeStars, .halfStars, RatingScale(minimum: -2, maximum: 2, step: 0.25),
                      RatingScale(minimum: 0, maximum: 1, step: 0), RatingScale(minimum: 1, maximum: 1e6, step: 1e-30),
                      RatingScale(minimum: -1e6, maximum: 1e6, step: 0.125)]
        let values: [Float] = [-3, -2, -1.75, 0, 0.25, 0.5, 0.7, 1, 1.5, 2.5, 3, 4.5, 4.99, 5, 5.5, 1e6, .nan, .infinity, 3e38,
                               48576.125, 48576.25, 999_999.875, -999_999.875]
        for scale in scales {
            for value in values {
                #expect(scale.contains(value) == reference(scale, value), "\(scale) \(value)")
                #expect(scale.contains(value) == (scale.problem(with: value) == nil), "\(scale) \(value)")
            }
        }
        // 2²³ + 1 steps of 0.125 above −10⁶: a whole number of steps, on the scale.
        #expect(RatingScale(minimum: -1e6, maximum: 1e6, step: 0.125).contains(48576.125))
    }
}

