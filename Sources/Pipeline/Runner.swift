import Essentials
import Foundation

/// Runs a pipeline manifest: each stage as its own executable (a subprocess with its own exit
/// code), outputs content-addressed in a cache, one log per stage, timings, and a lock so that
/// one run at a time uses a store.
///
/// Layout under the work folder (default `Runs/`):
///
///     Runs/<pipeline>/cache/<sha256>/…          a stage's outputs, keyed by its program, parameters and inputs
///     Runs/<pipeline>/<UTC time>/manifest.yaml  the manifest as run (variables expanded)
///     Runs/<pipeline>/<UTC time>/<step>.log     each stage's stdout and stderr
///     Runs/<pipeline>/<UTC time>/run.json       the run record (`RunRecord`): status, the failing step and its log, every step
///
/// Caching works like DVC: a step whose program (sha256 of its executable), parameters and input
/// files (sha256) are unchanged is skipped and its cached outputs reused. A failed run therefore
/// resumes from the failed step on the next run. `force` re-runs every step, or the named ones.
public struct Runner: Sendable {
    public var manifest: PipelineManifest
    /// Folder holding the stage executables.
    public var binaries: String
    public var workFolder: String
    public var store: String
    public var force: Set<String>
    public var forceAll: Bool
    public var waitForLock: Bool
    public var progress: Progress
    /// Each stage program's cache identity (`Hashing.program`), found once per run.
    var programKeys: [String: String] = [:]

    public init(manifest: PipelineManifest, binaries: String, workFolder: String, store: String,
                force: Set<String> = [], forceAll: Bool = false, waitForLock: Bool = false, progress: Progress) {
        self.manifest = manifest
        self.binaries = binaries
        self.workFolder = workFolder
        self.store = store
        self.force = force
        self.forceAll = forceAll
        self.waitForLock = waitForLock
        self.progress = progress
    }

    /// The stage executables a run may call.
    static let programs = ["ingest", "normalise", "factorise", "combine", "evaluate", "publish"]

    /// The step names a manifest produces, in order (what `--force` accepts).
    public static func stepNames(_ manifest: PipelineManifest) -> [String] {
        ["ingest"] + manifest.models.flatMap {
            $0.combine == nil ? ["normalise:\($0.name)", "factorise:\($0.name)", "evaluate:\($0.name)"] : ["combine:\($0.name)", "evaluate:\($0.name)"]
        }
            + (manifest.publish == nil ? [] : ["publish"])
    }

    /// Runs the pipeline; returns the run folder and its steps. Throws `PipelineError` with the
    /// documented exit code on failure.
    public func run() throws -> (folder: String, steps: [StepRecord], metrics: [String: String]) {
        let unknown = force.subtracting(Self.stepNames(manifest))
        guard unknown.isEmpty else {
            throw PipelineError(exitCode: 2, "--force \(unknown.sorted().joined(separator: ", ")): no such step (steps: \(Self.stepNames(manifest).joined(separator: ", ")))")
        }
        try manifest.checkInputs()
        let workPath = URL(fileURLWithPath: workFolder).standardizedFileURL.path, storePath = URL(fileURLWithPath: store).standardizedFileURL.path
        guard workPath != storePath, !workPath.hasPrefix(storePath + "/"), !storePath.hasPrefix(workPath + "/") else {
            throw PipelineError(exitCode: 2, "--work \(workFolder) and --store \(store) must be separate folders (run folders and published versions would mix)")
        }
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
        let lock = store + "/.pipeline.lock"
        do {
            return try FileLock.withLock(lock, blocking: waitForLock, whileWaiting: { holder in
                StandardError.write("pipeline: waiting for the run holding \(lock) (pid \(holder))\n")
            }) {
                try runLocked()
            }
        } catch let error as ProjectorFailure where error.kind == .busy {
            throw PipelineError(exitCode: 4, "another pipeline run is using this store (\(error.message)); try again later, or pass --wait")
        }
    }

    /// Holds the pipeline's work lock (`pipeline gc` takes it too) while the run goes.
    private func runLocked() throws -> (folder: String, steps: [StepRecord], metrics: [String: String]) {
        try FileManager.default.createDirectory(atPath: workFolder + "/" + manifest.name, withIntermediateDirectories: true)
        let lock = RunsCleaner.lockPath(work: workFolder, pipeline: manifest.name)
        do {
            return try FileLock.withLock(lock, blocking: waitForLock, whileWaiting: { holder in
                StandardError.write("pipeline: waiting for the run holding \(lock) (pid \(holder))\n")
            }) { try runInWorkFolder() }
        } catch let error as ProjectorFailure where error.kind == .busy {
            throw PipelineError(exitCode: 4, "another run of \(manifest.name) is using \(workFolder) (\(error.message)); try again later, or pass --wait")
        }
    }

    private func runInWorkFolder() throws -> (folder: String, steps: [StepRecord], metrics: [String: String]) {
        let base = workFolder + "/" + manifest.name
        let cache = base + "/cache"
        let started = Timestamp.now()
        let stamp = started.replacingOccurrences(of: ":", with: "")
        var folder = base + "/" + stamp
        var suffix = 1
        while FileManager.default.fileExists(atPath: folder) { folder = base + "/\(stamp)-\(suffix)"; suffix += 1 }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        try AtomicFile.write(Data(manifest.text.utf8), to: folder + "/manifest.yaml")

        var records: [StepRecord] = []
        var record = RunRecord(pipeline: manifest.name, manifestSHA256: Digest.sha256(manifest.text), startedAt: started)
        do {
            var runner = self
            for program in Self.programs where FileManager.default.isExecutableFile(atPath: binaries + "/" + program) {
                runner.programKeys[program] = try Hashing.program(binaries + "/" + program)
            }
            let metrics = try runner.runSteps(folder: folder, cache: cache, records: &records, manifestSHA256: record.manifestSHA256)
            record.finish(steps: records, error: nil)
            try record.write(to: folder + "/run.json")
            return (folder, records, metrics)
        } catch {
            record.finish(steps: records, error: error)
            do { try record.write(to: folder + "/run.json") } catch let writeError {
                throw PipelineError(exitCode: StageExitCode.of(error).rawValue, "\(error)\n(and the run record could not be written: \(writeError))")
            }
            throw error
        }
    }

    /// The steps in order: ingest, then per model normalise → factorise → evaluate (combined
    /// models: combine → evaluate), then publish.
    private func runSteps(folder: String, cache: String, records: inout [StepRecord], manifestSHA256: String) throws -> [String: String] {
        var metricsFiles: [String: String] = [:]
        let dataFolder = try DataSource.ensure(folder: manifest.dataFolder, url: manifest.dataURL, progress: progress)
        var splitArguments: [String] = []
        for (key, value) in manifest.split.sorted(by: { $0.key < $1.key }) {
            splitArguments += ["--" + (key == "strategy" ? "split" : key == "name" ? "split-name" : key.replacingOccurrences(of: "_", with: "-")), value]
        }
        if manifest.split["fraction"] != nil {
            splitArguments = splitArguments.map { $0 == "--fraction" ? "--test-fraction" : $0 }
        }
        let ingest = try step(
            "ingest", program: "ingest", cache: cache, run: folder,
            arguments: ["--input", dataFolder] + (manifest.dataFormat == "csv" ? ["--format", "csv"] : []) + splitArguments,
            inputs: [dataFolder], outputs: ["output": "ratings.h5"], records: &records)
        let ratings = ingest["output"]!

        var evaluated: [String: String] = [:]
        var trained: [String: String] = [:]
        for model in manifest.models {
            let factorise: [String: String]
            if let combine = model.combine {
                let rating = trained[combine["rating"]!]!, ranking = trained[combine["ranking"]!]!
                factorise = try step(
                    "combine:\(model.name)", program: "combine", cache: cache, run: folder,
                    arguments: ["--rating", rating, "--ranking", ranking, "--neighbours-from", combine["neighbours_from"]!],
                    inputs: [rating, ranking], outputs: ["output": "model.h5"], records: &records)
            } else {
                let normalise = try step(
                    "normalise:\(model.name)", program: "normalise", cache: cache, run: folder,
                    arguments: ["--input", ratings] + options(model.normalise), inputs: [ratings],
                    outputs: ["output": "train.h5"], records: &records)
                factorise = try step(
                    "factorise:\(model.name)", program: "factorise", cache: cache, run: folder,
                    arguments: ["--input", normalise["output"]!] + options(model.factorise),
                    inputs: [normalise["output"]!], outputs: ["output": "model.h5"], records: &records, progressPattern: true)
                trained[model.name] = factorise["output"]!
            }
            var evaluateOptions = options(manifest.evaluate)
            let gated = manifest.reference != nil && model.name == (manifest.publish?["model"] ?? manifest.models[0].name)
            var inputs = [factorise["output"]!, ratings]
            if gated, let reference = manifest.reference {
                guard FileManager.default.fileExists(atPath: reference) else {
                    throw PipelineError(exitCode: 2, "evaluate.reference \(reference) does not exist (create it once with evaluate --output)")
                }
                evaluateOptions += ["--reference", reference]
                inputs.append(reference)
            }
            let evaluate = try step(
                "evaluate:\(model.name)", program: "evaluate", cache: cache, run: folder,
                arguments: ["--model", factorise["output"]!, "--data", ratings] + evaluateOptions,
                inputs: inputs, outputs: ["output": "metrics.json", "report": "report.html", "model-output": "model.h5"],
                records: &records)
            evaluated[model.name] = evaluate["model-output"]!
            metricsFiles[model.name] = evaluate["output"]!
        }

        if let publish = manifest.publish {
            let model = evaluated[publish["model"]!]!
            let runID = manifest.name + "/" + URL(fileURLWithPath: folder).lastPathComponent
            var arguments = ["--input", model, "--name", publish["name"]!, "--store", store,
                             "--run-id", runID, "--run-manifest-sha256", manifestSHA256]
            for flag in ["gate", "promote"] where publish[flag] == "true" { arguments.append("--" + flag) }
            for key in ["max_rmse_increase", "max_precision_drop", "gate_k", "floors"] {
                if let value = publish[key] { arguments += ["--" + key.replacingOccurrences(of: "_", with: "-"), value] }
            }
            var outputs: [String: String] = [:]
            if publish["gate"] == "true" {
                // The gate re-scores production on the held-out ratings of this run's ingest.
                outputs["gate"] = folder + "/gate.json"
                arguments += ["--data", ratings, "--gate-report", outputs["gate"]!]
                if let relevance = manifest.evaluate["relevance"] { arguments += ["--relevance", relevance] }
            }
            try publishStep(arguments: arguments, model: model, name: publish["name"]!, cache: cache, run: folder,
                            outputs: outputs, records: &records)
        }
        return metricsFiles
    }
}
