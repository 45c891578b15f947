import ArtifactStore
import Evaluation
import Foundation
import Testing

/// `pipeline run` end to end on a tiny data set: caching, resume, the lock, the gate.
struct PipelineRunTests {
    func setUp(_ dir: URL, gateReference: String? = nil) throws -> String {
        let data = try tinyMovieLens(in: dir)
        var yaml = """
            name: tiny
            data:
              folder: \(data.path)
            ingest: {split: hash, seed: 7, test_fraction: 0.2}
            models:
              - name: als
                normalise: {method: none}
                factorise: {algorithm: als, rank: 3, iterations: 5, lambda: 0.1}
              - name: ease
                factorise: {algorithm: ease, lambda: 5}
            evaluate:
              k: [1, 5, 10]
            """
        if let gateReference { yaml += "\n  reference: \(gateReference)\n  max_rmse_increase: 0.0" }
        yaml += "\npublish: {model: als, name: tiny, gate: true}\n"
        let manifest = dir.appendingPathComponent("tiny.yaml").path
        try yaml.write(toFile: manifest, atomically: true, encoding: .utf8)
        return manifest
    }

    @Test func runCachesResumesAndPublishes() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try setUp(dir)
        let work = dir.appendingPathComponent("runs").path, store = dir.appendingPathComponent("store").path
        let first = try runStage("pipeline", ["run", manifest, "--work", work, "--store", store])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("8 steps (0 cached)") && first.stdout.contains("| als |") && first.stdout.contains("| baseline: popularity |"))
        #expect(first.stdout.contains("published tiny@1 in"))
        #expect(try ModelStore(root: store).resolve("tiny").version == 1)
        // Not a terminal: plain timestamped lines.
        #expect(first.stderr.contains("ingest: done in"))

        let second = try runStage("pipeline", ["run", manifest, "--work", work, "--store", store])
        #expect(second.status == 0 && second.stdout.contains("8 steps (8 cached)"), "\(second.stdout)")
        #expect(second.stdout.contains("already published as tiny@1"))
        #expect(try ModelStore(root: store).versions("tiny") == [1])  // nothing re-published

        let forced = try runStage("pipeline", ["run", manifest, "--work", work, "--store", store, "--force-step", "factorise:ease", "-q"])
        // factorise:ease re-runs and writes the same bytes (no timestamps in files), so evaluate:ease
        // and everything after it stay cached.
        #expect(forced.status == 0 && forced.stdout.contains("8 steps (7 cached)"), "\(forced.stdout)")
        let bogus = try runStage("pipeline", ["run", manifest, "--work", work, "--store", store, "--force-step", "train"])
        #expect(bogus.status == 2 && bogus.stderr.contains("--force train: no such step"))

        // Each run folder keeps the manifest, one log per step, and run.json.
        let runs = try FileManager.default.contentsOfDirectory(atPath: work + "/tiny").filter { $0 != "cache" && !$0.hasPrefix(".") }
        #expect(runs.count == 3)  // the bogus --force-step is refused before a run folder exists
        let files = try FileManager.default.contentsOfDirectory(atPath: work + "/tiny/" + runs.sorted()[0])
        #expect(Set(files).isSuperset(of: ["manifest.yaml", "run.json", "ingest.log", "factorise-als.log", "evaluate-ease.log", "publish.log"]))
    }

    /// The nightly cycle on the tiny data: new ratings arrive in updates/, the gate re-scores
    /// production on the same held-out ratings, the store records which code and run published a
    /// version, binaries with other bytes but the same sources keep the cache, and `pipeline gc`
    /// trims runs and cache without touching what the newest run uses.
    @Test func newRatingsLineageSourceKeyedCacheAndHousekeeping() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try setUp(dir)
        let text = try String(contentsOfFile: manifest, encoding: .utf8)
        try text.replacingOccurrences(of: "gate: true}", with: "gate: true, max_rmse_increase: 1, max_precision_drop: 1}")
            .write(toFile: manifest, atomically: true, encoding: .utf8)
        let work = dir.appendingPathComponent("runs").path, store = dir.appendingPathComponent("store").path
        #expect(try runStage("pipeline", ["run", manifest, "--work", work, "--store", store, "-q"]).status == 0)

        // Night 1: new ratings (new users 31 and 32, a re-rating of (1, 1)).
        let updates = dir.appendingPathComponent("ml/updates")
        try FileManager.default.createDirectory(at: updates, withIntermediateDirectories: true)
        var csv = "userId,movieId,rating,timestamp\n1,1,5,99999\n"
        for user in 31...32 { for movie in 1...20 where movie % 3 != 0 { csv += "\(user),\(movie),\(1 + (user + movie) % 5),\(100_000 + movie)\n" } }
        try csv.write(to: updates.appendingPathComponent("2026-11-29.csv"), atomically: true, encoding: .utf8)
        let night = try runStage("pipeline", ["run", manifest, "--work", work, "--store", store, "-q"])
        #expect(night.status == 0 && night.stdout.contains("8 steps (0 cached)") && night.stdout.contains("published tiny@2"), "\(night.stdout)\(night.stderr)")

        // Lineage: the code (the commit every binary reports), the run, its manifest hash.
        let version = try runStage("publish", ["--version"])
        #expect(version.status == 0 && version.stdout.hasPrefix("publish 0.1.0\ncommit "))
        let commit = version.stdout.split(separator: "\n")[1].dropFirst("commit ".count).prefix { $0 != " " }
        let manifest2 = try ModelStore(root: store).manifest("tiny", 2)
        #expect(manifest2.codeVersion.hasPrefix("projector 0.1.0 git \(commit)"))
        let run = try #require(manifest2.run)
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/" + run.id + "/run.json"))) as! [String: Any]
        #expect(run.pipeline == "tiny" && record["manifest_sha256"] as? String == run.manifestSHA256)
        let publish = (record["steps"] as! [[String: Any]]).first { $0["step"] as? String == "publish" }!
        let outputs = publish["outputs"] as! [String: String]
        #expect(outputs["version"] == "2" && outputs["gate"] == work + "/" + run.id + "/gate.json")
        // The gate compared both versions on the new data's held-out ratings.
        let gate2 = try manifest2.gate?.decode(GateRecord.self, source: "manifest.json")
        #expect(gate2?.basis == .rescored && gate2?.production == 1 && gate2?.heldOut != nil)
        let shown = try runStage("store", ["show", "tiny", "--store", store])
        #expect(shown.stdout.contains(run.id) && shown.stdout.contains(run.manifestSHA256) && shown.stdout.contains("\"basis\" : \"rescored\""))

        // Binaries with other bytes built from the same sources (here: a byte appended, which an
        // ELF file ignores) keep every step cached.
        let copy = dir.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        for program in ["pipeline", "ingest", "normalise", "factorise", "combine", "evaluate", "publish"] {
            try FileManager.default.copyItem(at: productsFolder().appendingPathComponent(program), to: copy.appendingPathComponent(program))
        }
        let handle = try FileHandle(forWritingTo: copy.appendingPathComponent("factorise"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0]))
        try handle.close()
        let copied = Process()
        copied.executableURL = copy.appendingPathComponent("pipeline")
        copied.arguments = ["run", manifest, "--work", work, "--store", store, "-q"]
        let out = Pipe()
        copied.standardOutput = out
        copied.standardError = FileHandle.nullDevice
        try copied.run()
        let said = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        copied.waitUntilExit()
        #expect(copied.terminationStatus == 0 && said.contains("8 steps (8 cached)") && said.contains("already published as tiny@2"), "\(said)")

        // Housekeeping: keep the newest run; what it uses stays, so the next run is still all cached.
        func runFolders() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: work + "/tiny").filter { $0 != "cache" && !$0.hasPrefix(".") }
        }
        let entriesBefore = try FileManager.default.contentsOfDirectory(atPath: work + "/tiny/cache").count
        #expect(try runFolders().count == 3)
        // gc never takes a store for a work folder, nor any folder for a pipeline's that holds no
        // run, nor any file for a cache entry that is not named by a key ...
        let storeGC = try runStage("pipeline", ["gc", "--keep", "1", "--work", store])
        #expect(storeGC.status == 0 && storeGC.stdout.isEmpty, "\(storeGC.stdout)\(storeGC.stderr)")
        #expect(try ModelStore(root: store).versions("tiny") == [1, 2])
        let stranger = work + "/other/cache/notes.txt", marker = work + "/tiny/cache/notes.txt"
        try FileManager.default.createDirectory(atPath: work + "/other/cache", withIntermediateDirectories: true)
        for path in [stranger, marker] { try "keep me".write(toFile: path, atomically: true, encoding: .utf8) }
        // ... and a work folder spelled otherwise than the runs recorded it is the same folder.
        let gc = try runStage("pipeline", ["gc", "--keep", "1", "--work", work + "/./"])
        #expect(gc.status == 0 && gc.stdout.contains("tiny: kept 1 runs") && gc.stdout.contains("removed 2 runs"), "\(gc.stdout)\(gc.stderr)")
        #expect(try runFolders().count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/tiny/cache").count < entriesBefore)
        #expect(FileManager.default.fileExists(atPath: stranger) && FileManager.default.fileExists(atPath: marker))
        #expect(!gc.stdout.contains("other"))
        let after = try runStage("pipeline", ["run", manifest, "--work", work, "--store", store, "-q"])
        #expect(after.status == 0 && after.stdout.contains("8 steps (8 cached)"), "\(after.stdout)")

        // A run in progress (its work lock held) is never cleaned under it.
        let lock = open(work + "/tiny/.run.lock", O_RDWR | O_CREAT, 0o644)
        defer { close(lock) }
        #expect(flock(lock, LOCK_EX) == 0)
        let busy = try runStage("pipeline", ["gc", "--keep", "1", "--work", work])
        #expect(busy.status == 4 && busy.stderr.contains("a run of tiny is going"), "\(busy.stderr)")
        let mixed = try runStage("pipeline", ["run", manifest, "--work", store, "--store", store])
        #expect(mixed.status == 2 && mixed.stderr.contains("must be separate folders"), "\(mixed.stderr)")
        for (arguments, message) in [(["gc", "--keep", "0", "--work", work], "--keep must be at least 1"),
                                     (["gc", "--keep", "1", "--work", work + "/nope"], "no work folder here"),
                                     (["gc", "--keep", "1", "--work", work, "../x"], "pipeline '../x'")] {
            let bad = try runStage("pipeline", arguments)
            #expect(bad.status == 2 && bad.stderr.contains(message), "\(bad.stderr)")
        }
    }

    @Test func aFailedStepIsResumedFromOnTheNextRun() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try setUp(dir)
        let text = try String(contentsOfFile: manifest, encoding: .utf8)
        // Break the first model so that only its step can tell: a rank above min(users, movies) = 20 is
        // a valid manifest but refused by factorise on this data.
        try text.replacingOccurrences(of: "rank: 3", with: "rank: 50").write(toFile: manifest, atomically: true, encoding: .utf8)
        let work = dir.appendingPathComponent("runs").path, store = dir.appendingPathComponent("store").path
        let failed = try runStage("pipeline", ["run", manifest, "--work", work, "--store", store])
        #expect(failed.status == 2, "\(failed.stderr)")
        #expect(failed.stderr.contains("step factorise:als exited with 2"))
        // The run record says what failed, with its exit code and log.
        let runs = try FileManager.default.contentsOfDirectory(atPath: work + "/tiny").filter { $0 != "cache" && !$0.hasPrefix(".") }
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/tiny/" + runs[0] + "/run.json"))) as! [String: Any]
        #expect(record["status"] as? String == "failed" && record["exit_code"] as? Int == 2)
        #expect(record["failed_step"] as? String == "factorise:als" && (record["failed_log"] as? String ?? "").hasSuffix("factorise-als.log"))
        try text.write(toFile: manifest, atomically: true, encoding: .utf8)
        let resumed = try runStage("pipeline", ["run", manifest, "--work", work, "--store", store])
        #expect(resumed.status == 0)
        #expect(resumed.stdout.contains("8 steps (2 cached)"), "\(resumed.stdout)")  // ingest, normalise:als
    }

    @Test func aSecondRunOnTheSameStoreExitsFourOrWaits() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try setUp(dir)
        let store = dir.appendingPathComponent("store").path
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
        let lock = open(store + "/.pipeline.lock", O_RDWR | O_CREAT, 0o644)
        defer { close(lock) }
        #expect(flock(lock, LOCK_EX) == 0)
        let blocked = try runStage("pipeline", ["run", manifest, "--work", dir.appendingPathComponent("runs").path, "--store", store])
        #expect(blocked.status == 4)
        #expect(blocked.stderr.contains("another pipeline run") && blocked.stderr.contains("--wait"))

        // With --wait it blocks while the lock is held, then runs once it is released.
        let waiting = Process()
        waiting.executableURL = productsFolder().appendingPathComponent("pipeline")
        waiting.arguments = ["run", manifest, "--work", dir.appendingPathComponent("runs").path, "--store", store, "--wait", "-q"]
        let stderr = Pipe()
        waiting.standardError = stderr
        waiting.standardOutput = FileHandle.nullDevice
        try waiting.run()
        usleep(2_000_000)
        #expect(waiting.isRunning, "pipeline --wait did not wait for the held lock")
        #expect(!FileManager.default.fileExists(atPath: store + "/tiny"), "it published while the lock was held")
        flock(lock, LOCK_UN)
        waiting.waitUntilExit()
        let said = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(waiting.terminationStatus == 0, "\(said)")
        #expect(said.contains("pipeline: waiting for the run holding"), "\(said)")
        #expect(try ModelStore(root: store).versions("tiny") == [1])
    }

    @Test func aRegressionAgainstTheReferenceExitsThree() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A reference far better than anything this data allows.
        let reference = dir.appendingPathComponent("reference.json").path
        let manifest = try setUp(dir)
        let work = dir.appendingPathComponent("runs").path, store = dir.appendingPathComponent("store").path
        #expect(try runStage("pipeline", ["run", manifest, "--work", work, "--store", store, "-q"]).status == 0)
        let metrics = try FileManager.default.subpathsOfDirectory(atPath: work + "/tiny/cache").first { $0.hasSuffix("metrics.json") }!
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/tiny/cache/" + metrics))) as! [String: Any]
        var values = json["metrics"] as! [String: Any]
        values["rmse"] = 0.1
        json["metrics"] = values
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: reference))
        let gated = try setUp(dir, gateReference: reference)
        let run = try runStage("pipeline", ["run", gated, "--work", work, "--store", store])
        #expect(run.status == 3, "\(run.stderr)")
        #expect(run.stderr.contains("quality gate refused") && run.stderr.contains("rmse rose from 0.1000"), "\(run.stderr)")
    }

    /// A missing data folder is fetched from data.url (here a file:// URL, which curl serves like
    /// https), checked against the published .md5 beside it, and unzipped; a wrong md5 refuses.
    @Test func missingDataIsFetchedAndItsChecksumChecked() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try setUp(dir)
        // Zip the fixture folder as GroupLens would (one top-level folder), then remove it.
        let source = dir.appendingPathComponent("ml").path, zip = dir.appendingPathComponent("ml-tiny.zip").path
        let zipper = Process()
        zipper.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        zipper.arguments = ["python3", "-c", "import shutil,sys; shutil.make_archive(sys.argv[1][:-4], 'zip', sys.argv[2], 'ml')", zip, dir.path]
        try zipper.run()
        zipper.waitUntilExit()
        try #require(zipper.terminationStatus == 0)
        try FileManager.default.removeItem(atPath: source)
        let text = try String(contentsOfFile: manifest, encoding: .utf8)
            .replacingOccurrences(of: "  folder: \(source)", with: "  folder: \(dir.path)/data/ml-tiny\n  url: file://\(zip)")
        try text.write(toFile: manifest, atomically: true, encoding: .utf8)
        let work = dir.appendingPathComponent("runs").path, store = dir.appendingPathComponent("store").path

        try "0123456789abcdef0123456789abcdef  ml-tiny.zip\n".write(toFile: zip + ".md5", atomically: true, encoding: .utf8)
        let refused = try runStage("pipeline", ["run", manifest, "--work", work, "--store", store])
        #expect(refused.status == 2 && refused.stderr.contains("but GroupLens publishes 0123456789abcdef0123456789abcdef: not unpacking it"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/data/ml-tiny"))

        let md5 = Process()
        md5.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        md5.arguments = ["sh", "-c", "md5sum \"$0\" > \"$0.md5\"", zip]
        try md5.run()
        md5.waitUntilExit()
        let fetched = try runStage("pipeline", ["run", manifest, "--work", work, "--store", store])
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(fetched.stderr.contains("md5") && fetched.stderr.contains("checked"))
        #expect(FileManager.default.fileExists(atPath: dir.path + "/data/ml-tiny/ratings.dat"))
    }
}
