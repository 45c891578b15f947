import ArtifactStore
import Essentials
import Foundation
import Models
import SparkEngine
import StageKit
import Testing

/// Whether the Spark tests run: when PySpark and Java are here, and always on CI (`.ci/run` installs
/// them with `Scripts/setup --spark`: there a missing one fails the tests instead of skipping them).
func sparkRuns() -> Bool {
    (try? SparkSubmit.locate(environment: ProcessInfo.processInfo.environment)) != nil
        || ProcessInfo.processInfo.environment["CI"] == "true"
}

/// `factorise --engine spark` with the real `spark-submit`, on real MovieLens 100K: the Spark
/// rating head against the in-process `als` set to MLlib's objective, the same factors from two runs,
/// from local mode and from a standalone cluster started on loopback, and the failures (a refused
/// master, a worker killed mid-job, a malformed master, no Java) ending as documented.
@Suite(.serialized, .enabled(if: sparkRuns(), "needs PySpark and a Java runtime (Scripts/setup --spark)"))
struct SparkRunTests {
    /// ML-100K ingested (hash split) and normalised with `method` in `dir`; the normalised path.
    static func normalised(_ dir: URL, method: String = "baseline") throws -> String? {
        guard let folder = realDataset("ml-100k") else { return nil }
        let ratings = dir.appendingPathComponent("r.h5").path, train = dir.appendingPathComponent("n-\(method).h5").path
        if !FileManager.default.fileExists(atPath: ratings) {
            let ingest = try runStage("ingest", ["--input", folder, "--output", ratings, "--quiet"])
            try #require(ingest.status == 0, "\(ingest.stderr)")
        }
        let normalise = try runStage("normalise", ["--input", ratings, "--output", train, "--method", method, "--quiet"])
        try #require(normalise.status == 0, "\(normalise.stderr)")
        return train
    }

    static let head = ["--algorithm", "spark-als", "--rank", "16", "--max-iter", "10", "--reg-param", "0.1", "--spark-conf", "spark.ui.enabled=false"]

    /// The stage result's summary of a successful run.
    static func summary(_ run: StageRun) throws -> [String: JSONValue] {
        let result = try JSONDecoder().decode(StageResult<JSONValue>.self, from: Data(run.stdout.utf8))
        guard case .object(let summary)? = result.summary else { throw CancellationError() }
        return summary
    }

    static func factors(_ path: String) throws -> (p: [Float], q: [Float], params: String) {
        let file = try ModelFile.read(path)
        let head = try #require(file.rating ?? file.ranking)
        let model = try #require(head.model.factors)
        return (model.userFactors.values, model.movieFactors.values, head.parametersJSON)
    }

    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR"))
    func theSparkRatingHeadMatchesALSOnItsObjectiveAndRepeatsItself() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        guard let train = try Self.normalised(dir) else { return }
        var rmse: [Double] = []
        var models: [(p: [Float], q: [Float], params: String)] = []
        for name in ["a", "b"] {
            let output = dir.appendingPathComponent("spark-\(name).h5").path
            let run = try runStage("factorise", ["--input", train, "--output", output, "--engine", "spark", "--master", "local[2]"] + Self.head)
            try #require(run.status == 0, "\(run.stderr.suffix(3_000))")
            let summary = try Self.summary(run)
            rmse.append(try #require(summary["test_rmse"]?.doubleValue))
            #expect(summary["engine"] == .string("spark") && summary["master"] == .string("local[2]"))
            models.append(try Self.factors(output))
        }
        // MLlib's objective in-process: als with the ridge λ·n (α = 1), the exact solve, same rank,
        // sweeps and λ on the same normalised values (als also learns biases, MLlib has none).
        let als = try runStage("factorise", ["--input", train, "--output", dir.appendingPathComponent("als.h5").path, "--algorithm", "als",
                                             "--rank", "16", "--iterations", "10", "--lambda", "0.1", "--alpha", "1", "--cg-steps", "0", "--quiet"])
        try #require(als.status == 0, "\(als.stderr)")
        let alsRMSE = try #require(try Self.summary(als)["test_rmse"]?.doubleValue)
        #expect(abs(rmse[0] - alsRMSE) <= 0.005, "Spark \(rmse[0]) against als \(alsRMSE)")
        #expect(rmse[0] < 0.95, "\(rmse[0])")
        let sameFactors = models[0].p == models[1].p && models[0].q == models[1].q
        #expect(sameFactors, "two runs with one seed gave different factors")
        #expect(rmse[0] == rmse[1])
        // The params record MLlib's values and the run: engine, master, Spark version, application.
        let params = try JSONDecoder().decode([String: JSONValue].self, from: Data(models[0].params.utf8))
        #expect(params["engine"] == .string("spark") && params["master"] == .string("local[2]") && params["rank"] == .int(16))
        #expect(params["max_iter"] == .int(10) && params["reg_param"]?.doubleValue == 0.1 && params["num_blocks"] == .int(4))
        #expect(params["spark_conf.spark.ui.enabled"] == .string("false"))
        if case .string(let version)? = params["spark_version"] { #expect(version.hasPrefix("3.")) } else { Issue.record("no spark_version") }
        if case .string(let id)? = params["application_id"] { #expect(id.hasPrefix("local-")) } else { Issue.record("no application_id") }
    }

    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR"))
    func aStandaloneClusterGivesLocalModesFactorsAndAKilledWorkerFailsTheStep() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        guard let train = try Self.normalised(dir) else { return }
        let cluster = try StandaloneCluster(dir: dir.appendingPathComponent("cluster"))
        defer { cluster.stop() }
        try cluster.startWorker()
        let local = dir.appendingPathComponent("local.h5").path, standalone = dir.appendingPathComponent("standalone.h5").path
        let first = try runStage("factorise", ["--input", train, "--output", local, "--engine", "spark", "--master", "local[2]", "--quiet"] + Self.head)
        try #require(first.status == 0, "\(first.stderr.suffix(3_000))")
        let second = try runStage("factorise", ["--input", train, "--output", standalone, "--engine", "spark", "--master", cluster.url,
                                                "--spark-deadline", "60", "--quiet"] + Self.head)
        try #require(second.status == 0, "\(second.stderr.suffix(3_000))")
        let a = try Self.factors(local), b = try Self.factors(standalone)
        let same = a.p == b.p && a.q == b.q
        #expect(same, "the standalone cluster gave other factors than local mode")
        #expect(try Self.summary(second)["master"] == .string(cluster.url))

        // A worker killed mid-job (with its executor): Spark's retries find no executor, the step
        // fails with Spark's message after the deadline, exit 1, no model.
        let killed = dir.appendingPathComponent("killed.h5").path
        let log = dir.appendingPathComponent("killed.log")
        let job = try StartedStage("factorise", ["--input", train, "--output", killed, "--engine", "spark", "--master", cluster.url,
                                                 "--spark-deadline", "8", "--algorithm", "spark-als", "--rank", "16", "--max-iter", "60",
                                                 "--spark-conf", "spark.ui.enabled=false"], log: log)
        // Killed mid-fit: once 40 of the ALS sweeps' tasks have started on the executor (of about 500).
        try waitFor(seconds: 120, "the Spark job to start 40 tasks on the worker") {
            ((try? String(contentsOf: log, encoding: .utf8))?.components(separatedBy: "Starting task").count ?? 0) > 40
        }
        cluster.killWorker()
        let outcome = job.wait()
        #expect(outcome.status == 1, "\(outcome.stdout)")
        #expect(outcome.stdout.contains("the Spark job exited 1"), "\(outcome.stdout)")
        #expect(outcome.stdout.contains("Lost executor") || outcome.stdout.contains("every executor was lost"), "\(outcome.stdout)")
        #expect(!FileManager.default.fileExists(atPath: killed))
    }

    /// factorise killed mid-job (SIGKILL: no handler runs): the job notices its parent is gone,
    /// removes its export and ends, so no JVM goes on holding executors.
    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR"))
    func aKilledFactoriseTakesItsJobWithIt() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        guard let train = try Self.normalised(dir) else { return }
        let exports = dir.appendingPathComponent("exports"), log = dir.appendingPathComponent("killed.log")
        let temporary = FileManager.default.temporaryDirectory.path
        func workFolders() -> Set<String> {
            Set(((try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []).filter { $0.hasPrefix("projector-spark-") })
        }
        let before = workFolders()
        let job = try StartedStage("factorise", ["--input", train, "--output", dir.appendingPathComponent("m.h5").path, "--engine", "spark",
                                                 "--master", "local[2]", "--spark-data", exports.path, "--algorithm", "spark-als", "--rank", "16",
                                                 "--max-iter", "60", "--spark-conf", "spark.ui.enabled=false"], log: log)
        try waitFor(seconds: 120, "the Spark job to start 40 tasks") {
            ((try? String(contentsOf: log, encoding: .utf8))?.components(separatedBy: "Starting task").count ?? 0) > 40
        }
        #expect(try !FileManager.default.contentsOfDirectory(atPath: exports.path).isEmpty, "the export is there while the job runs")
        let mine = workFolders().subtracting(before)
        #expect(mine.count == 1, "factorise's private folder: \(mine)")
        kill(job.process.processIdentifier, SIGKILL)
        job.process.waitUntilExit()
        func jobProcesses() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid in
                guard pid.allSatisfy(\.isNumber), let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
                let command = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
                return command.contains(exports.path) ? pid : nil
            }
        }
        try waitFor(seconds: 30, "the orphaned Spark job to end and remove its export and factorise's folder") {
            jobProcesses().isEmpty && ((try? FileManager.default.contentsOfDirectory(atPath: exports.path)) ?? []).isEmpty
                && workFolders().isDisjoint(with: mine)
        }
    }

    @Test func aRefusedMasterFailsAfterTheDeadlineAndBadSettingsAreBadInput() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = try TinyData.normalised(in: dir)
        let output = dir.appendingPathComponent("m.h5").path
        let port = try freePort()
        let refused = try runStage("factorise", ["--input", train, "--output", output, "--engine", "spark", "--master", "spark://127.0.0.1:\(port)",
                                                 "--spark-deadline", "8", "--algorithm", "spark-als", "--rank", "2", "--max-iter", "2"])
        #expect(refused.status == 1)
        // The step's error: the job's verdict, then Spark's own words (its log has them too).
        #expect(refused.stderr.contains("factorise: error: the Spark job exited 1: no executor registered within 8 s (master spark://127.0.0.1:\(port))"),
                "\(refused.stderr.suffix(2_000))")
        #expect(refused.stderr.contains("Failed to connect to master 127.0.0.1:\(port)"), "\(refused.stderr.suffix(2_000))")
        #expect(!FileManager.default.fileExists(atPath: output))

        for (arguments, message) in [
            (["--master", "spark://127.0.0.1"], "--master 'spark://127.0.0.1' is not a Spark master URL: '127.0.0.1' needs a port (spark://HOST:PORT) (expected \(SparkMaster.expected))"),
            (["--algorithm", "als"], "--engine spark trains spark-als or spark-ials, not --algorithm als"),
            (["--spark-conf", "spark.executor.memory"], "--spark-conf 'spark.executor.memory' is not key=value"),
            (["--spark-deadline", "0"], "--spark-deadline must be more than 0 and at most 86400 seconds, not 0.0"),
            (["--spark-data", "exports"], "--spark-data 'exports' must be an absolute path or SCHEME://… (file, hdfs, viewfs, s3a, s3, gs)"),
            (["--algorithm", "spark-ials", "--rank", "2", "--liked-threshold", "6"], "spark-ials: no training rating is at or above liked_threshold 6.0: nothing to learn from"),
        ] {
            let run = try runStage("factorise", ["--input", train, "--output", output, "--engine", "spark"] + arguments)
            #expect(run.status == 2, "\(arguments)")
            #expect(run.stderr.contains("Error: " + message) || run.stderr.contains("error: " + message), "\(arguments): \(run.stderr)")
        }
        let notSpark = try runStage("factorise", ["--input", train, "--output", output, "--algorithm", "spark-ials"])
        #expect(notSpark.status == 2 && notSpark.stderr.contains("--algorithm spark-ials trains on Apache Spark: give --engine spark (and --master)"), "\(notSpark.stderr)")
        let masterAlone = try runStage("factorise", ["--input", train, "--output", output, "--master", "local[2]"])
        #expect(masterAlone.status == 2 && masterAlone.stderr.contains("--master, --spark-conf, --spark-data and --spark-deadline go with --engine spark"), "\(masterAlone.stderr)")

        // No Java: said before anything starts, exit 1.
        let submit = try SparkSubmit.locate(environment: ProcessInfo.processInfo.environment)
        let bin = dir.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: bin.appendingPathComponent("spark-submit").path, withDestinationPath: submit.executable)
        let noJava = try runStage("factorise", ["--input", train, "--output", output, "--engine", "spark", "--algorithm", "spark-als", "--rank", "2"],
                                  environment: ["PATH": bin.path, "JAVA_HOME": "", "SPARK_HOME": ""])
        #expect(noJava.status == 1)
        #expect(noJava.stderr.contains("Java not found (JAVA_HOME is not set and no java is on PATH)"), "\(noJava.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}

extension JSONValue {
    var doubleValue: Double? {
        switch self {
        case .double(let x): x
        case .int(let x): Double(x)
        case .unsigned(let x): Double(x)
        default: nil
        }
    }
}

/// A small normalised file from synthetic ratings (no MovieLens needed): for the failure paths.
enum TinyData {
    static func normalised(in dir: URL) throws -> String {
        var csv = "user,item,rating,timestamp\n"
        for user in 1...30 { for item in 1...20 where (user * 7 + item * 3) % 4 != 0 { csv += "\(user),\(item),\((user + item) % 5 + 1),\(1_000_000 + user * 100 + item)\n" } }
        let source = dir.appendingPathComponent("tiny.csv")
        try csv.write(to: source, atomically: true, encoding: .utf8)
        let ratings = dir.appendingPathComponent("tiny.h5").path, train = dir.appendingPathComponent("tiny-n.h5").path
        let ingest = try runStage("ingest", ["--input", source.path, "--format", "csv", "--output", ratings, "--quiet"])
        try #require(ingest.status == 0, "\(ingest.stderr)")
        let normalise = try runStage("normalise", ["--input", ratings, "--output", train, "--quiet"])
        try #require(normalise.status == 0, "\(normalise.stderr)")
        return train
    }
}

/// A port nothing listens on (bound once by the kernel's choice, then released).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw CancellationError() }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw CancellationError() }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Polls `condition` every 0.2 s for up to `seconds`; a failure naming `what` when it never holds.
func waitFor(seconds: Double, _ what: String, _ condition: () -> Bool) throws {
    let end = Date().addingTimeInterval(seconds)
    while !condition() {
        guard Date() < end else {
            Issue.record("timed out after \(seconds) s waiting for \(what)")
            throw CancellationError()
        }
        Thread.sleep(forTimeInterval: 0.2)
    }
}

/// A stage started in the background, its stderr into `log` (read while it runs), its stdout kept.
final class StartedStage: @unchecked Sendable {
    let process = Process()
    let out = Pipe()

    init(_ name: String, _ arguments: [String], log: URL) throws {
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = productsFolder().appendingPathComponent(name)
        process.arguments = arguments
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
    }

    /// Waits for the end: the exit status and the stage's result line.
    func wait() -> (status: Int32, stdout: String) {
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// A Spark standalone cluster on loopback, as an operator starts one: a master and workers started
/// with `spark-class` (PySpark's own jars; it execs the JVM, so the process is the daemon), each in
/// a process group of its own so that a worker and the executors it started can be killed together.
final class StandaloneCluster: @unchecked Sendable {
    let dir: URL
    let url: String
    let sparkHome: String
    private var master: Process?
    private var workers: [Process] = []

    init(dir: URL) throws {
        self.dir = dir
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let environment = ProcessInfo.processInfo.environment
        if let home = environment["SPARK_HOME"], !home.isEmpty {
            sparkHome = home
        } else {
            // PySpark's own folder holds bin/spark-class and the jars.
            let python = Process()
            python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            python.arguments = ["python3", "-c", "import os, pyspark; print(os.path.dirname(pyspark.__file__))"]
            let pipe = Pipe()
            python.standardOutput = pipe
            try python.run()
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            python.waitUntilExit()
            sparkHome = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let port = try freePort(), ui = try freePort()
        url = "spark://127.0.0.1:\(port)"
        let log = dir.appendingPathComponent("master.log")
        master = try start(["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", "\(port)", "--webui-port", "\(ui)"], log: log)
        try waitFor(seconds: 90, "the Spark master to start") {
            (try? String(contentsOf: log, encoding: .utf8))?.contains("I have been elected leader") == true
        }
    }

    private func start(_ arguments: [String], log: URL) throws -> Process {
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sparkHome + "/bin/spark-class")
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SPARK_HOME"] = sparkHome
        environment["SPARK_LOG_DIR"] = dir.path
        process.environment = environment
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        // A process group of its own (Foundation makes one already; said here, not assumed): the
        // executors a worker starts inherit it.
        _ = setpgid(process.processIdentifier, process.processIdentifier)
        return process
    }

    func startWorker() throws {
        let log = dir.appendingPathComponent("worker-\(workers.count).log")
        let work = dir.appendingPathComponent("work-\(workers.count)")
        workers.append(try start(["org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "2", "--memory", "2g",
                                  "--webui-port", "\(try freePort())", "--work-dir", work.path, url], log: log))
        try waitFor(seconds: 90, "the Spark worker to register") {
            (try? String(contentsOf: log, encoding: .utf8))?.contains("Successfully registered with master") == true
        }
    }

    /// SIGKILL to the newest worker's process group: the worker and its executors at once.
    func killWorker() {
        guard let worker = workers.popLast() else { return }
        kill(-worker.processIdentifier, SIGKILL)
        worker.waitUntilExit()
    }

    func stop() {
        while !workers.isEmpty { killWorker() }
        if let master {
            kill(-master.processIdentifier, SIGKILL)
            master.waitUntilExit()
        }
        master = nil
    }
}

/// The small Spark manifest (Pipelines/movielens-100k-spark.yaml) as CI runs it: both heads on
/// Spark, combined, evaluated, gated, published; the run record names the applications; the
/// published model answers. A Spark failure inside a pipeline: exit 1, the record names the step,
/// the lock is released (the next run is not "busy").
@Suite(.serialized, .enabled(if: sparkRuns(), "needs PySpark and a Java runtime (Scripts/setup --spark)"))
struct SparkPipelineTests {
    static var repository: URL {
        // Tests/EndToEndTests/SparkRunTests.swift → the repository.
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func runRecords(_ work: String, pipeline: String) throws -> [RunRecordText] {
        let folder = work + "/" + pipeline
        return try FileManager.default.contentsOfDirectory(atPath: folder).sorted().compactMap { name in
            let path = folder + "/" + name + "/run.json"
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            return try JSONDecoder().decode(RunRecordText.self, from: data)
        }
    }

    struct RunRecordText: Decodable {
        struct Step: Decodable { var step: String; var exit_code: Int32; var application: String?; var log: String? }
        var status: String
        var exit_code: Int32
        var failed_step: String?
        var steps: [Step]
    }

    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR"))
    func theSmallSparkManifestPublishesAModelThatAnswers() throws {
        guard realDataset("ml-100k") != nil else { return }
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let work = dir.appendingPathComponent("runs").path, store = dir.appendingPathComponent("store").path
        let manifest = Self.repository.appendingPathComponent("Pipelines/movielens-100k-spark.yaml").path
        let run = try runStage("pipeline", ["run", manifest, "--work", work, "--store", store])
        try #require(run.status == 0, "\(run.stderr.suffix(4_000))")
        #expect(run.stdout.contains("published movielens-100k-spark@1"), "\(run.stdout)")
        let record = try #require(try Self.runRecords(work, pipeline: "movielens-100k-spark").last)
        #expect(record.status == "succeeded")
        for step in ["factorise:spark_als", "factorise:spark_ials"] {
            let application = record.steps.first { $0.step == step }?.application
            #expect(application?.hasPrefix("local-") == true, "\(step): \(String(describing: application))")
        }
        // The published model: Spark's rating head predicts, Spark's implicit head ranks.
        let published = try ModelStore(root: store)
        let version = try published.resolve("movielens-100k-spark").version
        let model = try ModelFile.read(published.modelPath("movielens-100k-spark", version))
        #expect(model.rating?.algorithm == "spark-als" && model.ranking?.algorithm == "spark-ials")
        let answer = try runStage("recommend", ["--store", store, "--model", "movielens-100k-spark", "--json", "user", "1", "-k", "5"])
        #expect(answer.status == 0, "\(answer.stderr)")
        #expect(answer.stdout.contains("\"items\""), "\(answer.stdout)")
        let predicted = try runStage("recommend", ["--store", store, "--model", "movielens-100k-spark", "--json", "predict", "1", "50"])
        #expect(predicted.status == 0, "\(predicted.stderr)")
    }

    @Test func aSparkFailureFailsTheRunAndReleasesItsLock() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try tinyMovieLens(in: dir)
        let port = try freePort()
        let manifest = dir.appendingPathComponent("refused.yaml").path
        try """
            name: refused
            data:
              folder: \(data.path)
            models:
              - name: spark
                normalise: {method: baseline}
                factorise:
                  engine: spark
                  master: "spark://127.0.0.1:\(port)"
                  spark_deadline: 4
                  algorithm: spark-als
                  rank: 2
                  spark_conf: {spark.hadoop.fs.s3a.secret.key: hunter2, spark.ui.enabled: "false"}
            publish: {model: spark, name: refused}
            """.write(toFile: manifest, atomically: true, encoding: .utf8)
        let work = dir.appendingPathComponent("runs").path, store = dir.appendingPathComponent("store").path
        for attempt in 1...2 {
            let run = try runStage("pipeline", ["run", manifest, "--work", work, "--store", store])
            #expect(run.status == 1, "attempt \(attempt): \(run.stderr.suffix(3_000))")
            #expect(run.stderr.contains("no executor registered within 4 s"), "\(run.stderr.suffix(3_000))")
        }
        let records = try Self.runRecords(work, pipeline: "refused")
        #expect(records.count == 2 && records.allSatisfy { $0.status == "failed" && $0.failed_step == "factorise:spark" })
        #expect(try ModelStore(root: store).names().isEmpty)
        // The secret reached Spark but no record: no file of the run folders (the step logs, the
        // run records, the manifest's copy) holds it; the step log names the key, redacted.
        for record in records {
            let log = try #require(record.steps.first { $0.step == "factorise:spark" }?.log)
            let text = try String(contentsOfFile: log, encoding: .utf8)
            #expect(text.contains("spark.hadoop.fs.s3a.secret.key=(redacted)"), "\(text.prefix(1_000))")
        }
        let enumerator = try #require(FileManager.default.enumerator(atPath: work))
        var files = 0
        for case let name as String in enumerator {
            guard let data = FileManager.default.contents(atPath: work + "/" + name) else { continue }
            files += 1
            #expect(!String(decoding: data, as: UTF8.self).contains("hunter2"), "\(name) holds the secret")
        }
        #expect(files >= 6)
    }
}
