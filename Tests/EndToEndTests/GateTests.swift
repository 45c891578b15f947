import ArtifactStore
import Evaluation
import Foundation
import Testing

/// The publish gate under real processes, on real MovieLens 100K arriving in two parts: the
/// older part (production's data) and the same folder with the rest as an update file. The
/// candidate and production are scored on the same held-out ratings.
struct GateTests {
    /// ML-100K cut by time: `old/` holds the ratings before the 85 % quantile of timestamps,
    /// `new/` the same plus the rest in `updates/`. Returns the two ingested ratings files.
    /// ML-100K arriving later (`ml100kArrivingLater`), both folders ingested.
    func olderAndNewerData(_ dir: URL, extraIngest: [String] = []) throws -> (old: String, new: String)? {
        guard let (oldFolder, newFolder) = try ml100kArrivingLater(in: dir) else { return nil }
        var paths: [String] = []
        for folder in [oldFolder, newFolder] {
            let output = folder + ".h5"
            let run = try runStage("ingest", ["--input", folder, "--output", output] + extraIngest)
            try #require(run.status == 0, "\(run.stderr)")
            paths.append(output)
        }
        return (paths[0], paths[1])
    }

    /// ALS on a ratings file, evaluated (so it carries metrics).
    func train(_ ratings: String, _ name: String, _ dir: URL, _ options: [String]) throws -> String {
        let train = dir.appendingPathComponent("\(name)-n.h5").path, model = dir.appendingPathComponent("\(name).h5").path
        #expect(try runStage("normalise", ["--input", ratings, "--output", train, "--method", "none"]).status == 0)
        let fit = try runStage("factorise", ["--input", train, "--output", model, "--algorithm", "als"] + options)
        try #require(fit.status == 0, "\(fit.stderr)")
        #expect(try runStage("evaluate", ["--model", model, "--data", ratings, "--output", model + ".json"]).status == 0)
        return model
    }

    func report(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR"))
    func aWorseCandidateIsRefusedOnTheSameHeldOutRatings() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        guard let (old, new) = try olderAndNewerData(dir) else { return }
        let store = dir.appendingPathComponent("store").path, gate = dir.appendingPathComponent("gate.json").path
        let floors = dir.appendingPathComponent("floors.json").path
        try #"{"format": "projector.floors", "format_version": 1, "max": {"rmse": 1.0}, "min": {"precision@10": 0.01}}"#
            .write(toFile: floors, atomically: true, encoding: .utf8)
        let good = ["--rank", "16", "--iterations", "8", "--lambda", "0.1"]
        func publish(_ model: String, _ data: String, _ extra: [String] = []) throws -> StageRun {
            try runStage("publish", ["--input", model, "--name", "ml", "--store", store, "--gate", "--data", data,
                                     "--gate-report", gate, "--floors", floors] + extra)
        }

        // Night 0: production from the older data (no production yet: the floors alone).
        let first = try publish(try train(old, "production", dir, good), old)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try report(gate)["basis"] as? String == "first")

        // Night 1: a deliberately poor candidate on the newer data is refused against production
        // re-scored on the newer held-out ratings.
        let poor = try train(new, "poor", dir, ["--rank", "1", "--iterations", "1", "--lambda", "50"])
        let refused = try publish(poor, new)
        #expect(refused.status == 3, "\(refused.stderr)")
        #expect(refused.stderr.contains("quality gate refused") && refused.stderr.contains("against ml@1 (production)"))
        #expect(refused.stderr.contains("rmse rose from") && refused.stderr.contains("both scored on the same"))
        let record = try report(gate)
        #expect(record["decision"] as? String == "refused" && record["basis"] as? String == "rescored")
        let heldOut = try #require(record["held_out"] as? Int)
        let candidate = try #require(record["candidate"] as? [String: Double]), production = try #require(record["production_metrics"] as? [String: Double])
        #expect(candidate["rmse"]! > production["rmse"]! + 0.005)
        #expect(refused.stderr.contains("same \(heldOut) held-out ratings"))
        #expect(try ModelStore(root: store).versions("ml") == [1])

        // The same held-out ratings: production's re-scored numbers are numpy's (check_metrics.py,
        // which matches users and movies by id on its own), not the ones it recorded on older data.
        let productionModel = ModelStore(root: store).modelPath("ml", 1)
        let numpy = try checkMetrics(model: productionModel, ratings: new)
        #expect(abs(numpy["rmse"]! - production["rmse"]!) < 1e-6, "numpy \(numpy) vs gate \(production)")
        #expect(abs(numpy["precision@10"]! - production["precision@10"]!) < 1e-6, "numpy \(numpy) vs gate \(production)")
        let recorded = try ModelStore(root: store).manifest("ml", 1).model.metrics["rmse"]!!
        #expect(abs(recorded - production["rmse"]!) > 1e-4, "re-scoring should change the numbers: other held-out ratings")

        // A good candidate on the newer data passes, becomes production, and keeps the record.
        let passed = try publish(try train(new, "candidate", dir, good), new)
        #expect(passed.status == 0, "\(passed.stderr)")
        let manifest = try ModelStore(root: store).manifest("ml", 2)
        let kept = try manifest.gate?.decode(GateRecord.self, source: "manifest.json")
        #expect(kept?.basis == .rescored && kept?.production == 1 && kept?.heldOut == heldOut)
        #expect(try ModelStore(root: store).resolve("ml").version == 2)
    }

    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR"))
    func floorsOtherSplitsAndRecordedMetricsOfOtherData() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        guard let (old, new) = try olderAndNewerData(dir) else { return }
        let store = dir.appendingPathComponent("store").path
        let options = ["--rank", "8", "--iterations", "4", "--lambda", "0.1"]
        let production = try train(old, "production", dir, options)
        #expect(try runStage("publish", ["--input", production, "--name", "ml", "--store", store, "--gate"]).status == 0)
        let candidate = try train(new, "candidate", dir, options)

        // Recorded metrics of different data are never compared.
        let blind = try runStage("publish", ["--input", candidate, "--name", "ml", "--store", store, "--gate"])
        #expect(blind.status == 2)
        #expect(blind.stderr.contains("so on different held-out ratings; give the ratings file the candidate was trained from (--data)"))

        // A floor the candidate misses refuses it, whatever production is.
        let floors = dir.appendingPathComponent("floors.json").path
        try #"{"format": "projector.floors", "format_version": 1, "min": {"precision@10": 0.99}}"#.write(toFile: floors, atomically: true, encoding: .utf8)
        let floored = try runStage("publish", ["--input", candidate, "--name", "ml", "--store", store, "--gate", "--data", new, "--floors", floors])
        #expect(floored.status == 3)
        #expect(floored.stderr.contains("is below the floor's minimum 0.9900"))

        // Another split holds out other ratings: no comparison.
        let temporal = dir.appendingPathComponent("temporal")
        try FileManager.default.createDirectory(at: temporal, withIntermediateDirectories: true)
        guard let (_, newTemporal) = try olderAndNewerData(temporal, extraIngest: ["--split", "temporal"]) else { return }
        let other = try train(newTemporal, "other", temporal, options)
        let split = try runStage("publish", ["--input", other, "--name", "ml", "--store", store, "--gate", "--data", newTemporal])
        #expect(split.status == 2)
        #expect(split.stderr.contains("different data kinds, splits or scales hold out different ratings"))

        // Bad floors files are named.
        for (text, message) in [("{}", "not the expected JSON"), (#"{"format": "projector.floors", "format_version": 9}"#, "expected projector.floors version 1"),
                                (#"{"format": "projector.floors", "format_version": 1, "max": {"rmsee": 1}, "min": {}}"#, "max.rmsee: unknown metric")] {
            try text.write(toFile: floors, atomically: true, encoding: .utf8)
            let bad = try runStage("publish", ["--input", candidate, "--name", "ml", "--store", store, "--gate", "--data", new, "--floors", floors])
            #expect(bad.status == 2 && bad.stderr.contains(floors) && bad.stderr.contains(message), "\(bad.stderr)")
        }
        #expect(try ModelStore(root: store).versions("ml") == [1])

        // A first publish refused by the floors leaves no empty model behind.
        let fresh = dir.appendingPathComponent("fresh").path
        try #"{"format": "projector.floors", "format_version": 1, "max": {"rmse": 0.1}}"#.write(toFile: floors, atomically: true, encoding: .utf8)
        let first = try runStage("publish", ["--input", candidate, "--name", "ml", "--store", fresh, "--gate", "--data", new, "--floors", floors])
        #expect(first.status == 3 && first.stderr.contains("rmse") && first.stderr.contains("above the floor's maximum 0.1000"), "\(first.stderr)")
        #expect(try ModelStore(root: fresh).names().isEmpty)
    }
}
