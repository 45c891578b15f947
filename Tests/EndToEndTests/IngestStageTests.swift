import Foundation
import MovieLens
import Essentials
import StageKit
import Testing

/// The stage contract, checked on the real `ingest` executable.
struct IngestStageTests {
    @Test func successPrintsJSONOnStdoutAndLogsOnStderr() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "1\t1\t5\t1\n2\t1\t4\t2\n".write(to: dir.appendingPathComponent("u.data"), atomically: true, encoding: .utf8)
        try "unknown|0\n".write(to: dir.appendingPathComponent("u.genre"), atomically: true, encoding: .utf8)
        try "1|Toy Story (1995)|01-Jan-1995||http://x|0\n".write(to: dir.appendingPathComponent("u.item"), atomically: true, encoding: .utf8)
        let output = dir.appendingPathComponent("r.h5").path
        let run = try runStage("ingest", ["--input", dir.path, "--output", output])
        #expect(run.status == 0)
        // One stage result on stdout: format, stage, exit code and the stage's summary.
        let result = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect(result?["format"] as? String == "projector.stage-result" && result?["format_version"] as? Int == 1)
        #expect(result?["stage"] as? String == "ingest" && result?["exit_code"] as? Int == 0 && result?["error"] == nil)
        let summary = result?["summary"] as? [String: Any]
        #expect(summary?["ratings"] as? Int == 2)
        #expect(summary?["kind"] as? String == "ml-100k")
        #expect(run.stderr.contains("2 ratings, 2 users, 1 movies"))
        #expect(try RatingsFile.read(output).count == 2)
    }

    @Test func badInputExitsTwoNamingFileAndLineAndWritesNothing() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "1::1::5::1\n1::2::x::2\n".write(to: dir.appendingPathComponent("ratings.dat"), atomically: true, encoding: .utf8)
        try "1::F::1::10::1\n".write(to: dir.appendingPathComponent("users.dat"), atomically: true, encoding: .utf8)
        try "1::A (1995)::Drama\n".write(to: dir.appendingPathComponent("movies.dat"), atomically: true, encoding: .utf8)
        let output = dir.appendingPathComponent("r.h5").path
        let run = try runStage("ingest", ["--input", dir.path, "--output", output])
        #expect(run.status == 2)
        // The failure is the one stage result on stdout, with its exit code; people read stderr.
        let failure = try StageResult<JSONValue>.decode(Data(run.stdout.utf8), source: "stdout")
        #expect(failure.exitCode == .badInput && failure.summary == nil && failure.stage == "ingest")
        #expect(failure.error == "\(dir.path)/ratings.dat:2: rating 'x' is not a number")
        #expect(run.stderr.contains("ingest: error: \(dir.path)/ratings.dat:2: rating 'x' is not a number"))
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(left == ["movies.dat", "ratings.dat", "users.dat"])
    }

    @Test(arguments: [
        (["--input", "/nonexistent", "--output", "/tmp/x.h5"], "--input /nonexistent does not exist"),
        (["--input", "/tmp", "--output", "/no/such/folder/x.h5"], "--output /no/such/folder/x.h5: folder /no/such/folder does not exist"),
        (["--input", "/tmp", "--output", "/tmp/x.h5", "--split", "random"], "The value 'random' is invalid for '--split <split>'. Please provide one of 'hash', 'files', 'temporal', 'new-users' or 'new-movies'."),
        (["--input", "/tmp", "--output", "/tmp/x.h5", "--test-fraction", "1.5"], "--test-fraction must be in (0, 1), not 1.5"),
        (["--input", "/tmp", "--output", "/tmp/x.h5", "--split-name", "u9"], "--split-name must be one of u1, u2, u3, u4, u5, ua, ub"),
        (["--output", "/tmp/x.h5"], "Missing expected argument '--input <input>'"),
        (["--input", "/tmp", "--output", "/tmp/x.h5", "--bogus"], "Unknown option '--bogus'"),
    ])
    func badUsageExitsTwo(arguments: [String], message: String) throws {
        let run = try runStage("ingest", arguments)
        #expect(run.status == 2)
        #expect(run.stderr.contains(message), "stderr was: \(run.stderr)")
        let failure = try StageResult<JSONValue>.decode(Data(run.stdout.utf8), source: "stdout")
        #expect(failure.exitCode == .badInput && failure.error?.contains(message) == true, "\(run.stdout)")
    }

    @Test func helpDocumentsEveryOptionWithDefaults() throws {
        let run = try runStage("ingest", ["--help"])
        #expect(run.status == 0)
        for text in ["--input", "--output", "--split <split>", "default: hash)", "(default: 42)", "(default: 0.1)", "Exit codes"] {
            #expect(run.stdout.contains(text), "help lacks \(text)")
        }
    }

    @Test func exitCodeClassification() {
        #expect(StageExitCode.of(MovieLensError(file: "f", "bad")) == .badInput)
        struct Other: Error {}
        #expect(StageExitCode.of(Other()) == .failure)
    }
}
