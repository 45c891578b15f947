import Foundation
import MovieLens
import Testing

/// Helpers every test target shares (one copy of each).

/// A new, empty folder under the system temp dir; the caller removes it.
public func scratchFolder() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("projector-test-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A path under the system temp dir that does not exist yet.
public func scratchPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("projector-test-\(UUID().uuidString)-\(name)").path
}

/// Whether a test of real release `name` should run: when the data is here, and always on CI
/// (where missing data must fail, not skip). Elsewhere a test without its data shows as skipped:
///
///     @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR"))
public func realDataRuns(_ name: String) -> Bool {
    DataLocator.folder(name) != nil || ProcessInfo.processInfo.environment["CI"] == "true"
}

/// The real MovieLens release `name` (e.g. "ml-100k") under `MOVIELENS_DIR`, or nil — a skip with a
/// note — when it is absent on a developer's machine. On CI (`CI=true`) a missing release is a
/// failure, never a skip.
public func realDataset(_ name: String) -> String? {
    if let folder = DataLocator.folder(name) { return folder }
    if ProcessInfo.processInfo.environment["CI"] == "true" {
        Issue.record("MovieLens \(name) is missing under \(DataLocator.root): CI must set MOVIELENS_DIR")
    } else {
        print("note: MovieLens \(name) not found under \(DataLocator.root); set MOVIELENS_DIR to run this test")
    }
    return nil
}
