import Essentials
import Foundation
import StageKit
import Testing

/// evaluate as an executable: metrics.json, report.html, the quality gate's exit code 3.
struct EvaluateStageTests {
    @Test func gateRefusesARegressionWithExitThreeAndBothNumbers() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (ratings, good, bad) = try TrainingStageTests().goodAndBadModels(dir)

        let reference = dir.appendingPathComponent("reference.json").path
        let report = dir.appendingPathComponent("report.html").path
        let first = try runStage("evaluate", ["--model", good, "--data", ratings, "--output", reference, "--report", report, "--k", "1", "2", "10"])
        #expect(first.status == 0, "\(first.stderr)")
        // The readable table goes to the log (stderr); the result carries the metrics.
        #expect(first.stderr.contains("rmse") && first.stderr.contains("popularity"))
        let result = try StageResult<[String: JSONValue]>.decode(Data(first.stdout.utf8), source: "stdout")
        guard case .object(let measured)? = result.summary?["metrics"], case .double? = measured["rmse"] else {
            Issue.record("no rmse in the stage result: \(first.stdout)")
            return
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reference))) as! [String: Any]
        #expect(json["format"] as? String == "projector.metrics")
        #expect((json["metrics"] as! [String: Any])["rmse"] is Double)
        #expect(try String(contentsOfFile: report, encoding: .utf8).contains("<svg"))

        // The same model passes its own gate; a much worse one is refused with exit code 3.
        let same = try runStage("evaluate", ["--model", good, "--data", ratings, "--output", dir.appendingPathComponent("m2.json").path,
                                             "--k", "1", "2", "10", "--reference", reference])
        #expect(same.status == 0, "\(same.stderr)")
        let worse = try runStage("evaluate", ["--model", bad, "--data", ratings, "--output", dir.appendingPathComponent("m3.json").path,
                                              "--k", "1", "2", "10", "--reference", reference, "--max-rmse-increase", "0.0001"])
        #expect(worse.status == 3, "\(worse.stderr)")
        #expect(worse.stderr.contains("quality gate refused") && worse.stderr.contains("rmse rose from"))
    }

    @Test func aModelEvaluatedOnOtherDataIsBadInput() throws {
        let a = scratchFolder(), b = scratchFolder()
        defer { try? FileManager.default.removeItem(at: a); try? FileManager.default.removeItem(at: b) }
        let ratingsA = try TrainingStageTests().ingested(a)
        let train = a.appendingPathComponent("n.h5").path, model = a.appendingPathComponent("m.h5").path
        #expect(try runStage("normalise", ["--input", ratingsA, "--output", train]).status == 0)
        #expect(try runStage("factorise", ["--input", train, "--output", model, "--rank", "2", "--iterations", "2"]).status == 0)
        let otherRatings = b.appendingPathComponent("r.h5").path
        let folder = b.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "1::1::5::1\n2::2::3::2\n".write(to: folder.appendingPathComponent("ratings.dat"), atomically: true, encoding: .utf8)
        try "1::F::1::10::1\n".write(to: folder.appendingPathComponent("users.dat"), atomically: true, encoding: .utf8)
        try "1::A (1990)::Drama\n2::B (1991)::Drama\n".write(to: folder.appendingPathComponent("movies.dat"), atomically: true, encoding: .utf8)
        #expect(try runStage("ingest", ["--input", folder.path, "--output", otherRatings]).status == 0)
        let run = try runStage("evaluate", ["--model", model, "--data", otherRatings, "--output", b.appendingPathComponent("m.json").path])
        #expect(run.status == 2)
        #expect(run.stderr.contains("evaluate a model on the ratings file it was trained from"))
    }
}
