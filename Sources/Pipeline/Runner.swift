import Essentials
import Foundation
import StageContract

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

    /// The step names a manifest produces, in order (what `--force` accepts). With several
    /// splits each split's steps end in `@SPLIT`.
    public static func stepNames(_ manifest: PipelineManifest) -> [String] {
        manifest.splits.flatMap { split in
            let suffix = manifest.splits.count > 1 ? "@" + split.name : ""
            return ["ingest" + suffix] + manifest.models.flatMap { model in
                (model.isCombined ? ["combine", "evaluate"] : ["normalise", "factorise", "evaluate"]).map { "\($0):\(model.name)\(suffix)" }
            }
        } + (manifest.publish == nil ? [] : ["publish"])
    }

    /// Runs the pipeline; returns the run folder and its steps. Throws `PipelineError` with the
    /// documented exit code on failure.
    public func run() throws -> (folder: String, steps: [StepRecord], metrics: [String: String]) {
        let unknown = force.subtracting(Self.stepNames(manifest))
        guard unknown.isEmpty else {
            throw PipelineError(.badInput, "--force \(unknown.sorted().joined(separator: ", ")): no such step (steps: \(Self.stepNames(manifest).joined(separator: ", ")))")
        }
        try manifest.checkInputs()
        let workPath = URL(fileURLWithPath: workFolder).standardizedFileURL.path, storePath = URL(fileURLWithPath: store).standardizedFileURL.path
        guard workPath != storePath, !workPath.hasPrefix(storePath + "/"), !storePath.hasPrefix(workPath + "/") else {
            throw PipelineError(.badInput, "--work \(workFolder) and --store \(store) must be separate folders (run folders and published versions would mix)")
        }
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
        return try holding(store + "/.pipeline.lock", busy: { "another pipeline run is using this store (\($0)); try again later, or pass --wait" }) {
            try runLocked()
        }
    }

    /// Runs `body` holding the lock at `path` (waiting for it with `--wait`); only the lock's own
    /// busy refusal becomes `busy(holder)` (exit 4), not one from inside the run (a step's exit 4).
    private func holding<T>(_ path: String, busy: (String) -> String, _ body: () throws -> T) throws -> T {
        var locked = false
        do {
            return try FileLock.withLock(path, blocking: waitForLock, whileWaiting: { holder in
                StandardError.write("pipeline: waiting for the run holding \(path) (pid \(holder))\n")
            }) {
                locked = true
                return try body()
            }
        } catch let error as ProjectorFailure where error.kind == .busy && !locked {
            throw PipelineError(.busy, busy(error.message))
        }
    }

    /// Holds the pipeline's work lock (`pipeline gc` takes it too) while the run goes.
    private func runLocked() throws -> (folder: String, steps: [StepRecord], metrics: [String: String]) {
        try FileManager.default.createDirectory(atPath: workFolder + "/" + manifest.name, withIntermediateDirectories: true)
        return try holding(RunsCleaner.lockPath(work: workFolder, pipeline: manifest.name),
                           busy: { "another run of \(manifest.name) is using \(workFolder) (\($0)); try again later, or pass --wait" }) {
            try runInWorkFolder()
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
        try AtomicFile.write(Data(manifest.recordedText.utf8), to: folder + "/manifest.yaml")

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
                throw PipelineError(FailureKind(StageExitCode.of(error)), "\(error)\n(and the run record could not be written: \(writeError))")
            }
            throw error
        }
    }

    /// The steps in order, for each split: ingest, then per model normalise → factorise →
    /// evaluate (combined models: combine → evaluate); then publish. Every command line is encoded
    /// from the manifest's option structs; the stages' results are decoded, never their logs.
    private func runSteps(folder: String, cache: String, records: inout [StepRecord], manifestSHA256: String) throws -> [String: String] {
        var metricsFiles: [String: String] = [:]
        let dataFolder = try DataSource.ensure(folder: manifest.dataFolder, url: manifest.dataURL, progress: progress)
        var evaluated: [String: String] = [:]
        var ratingsFiles: [String: String] = [:]
        for split in manifest.splits {
            let suffix = manifest.splits.count > 1 ? "@" + split.name : ""
            let ingest = try step(
                "ingest" + suffix, program: "ingest", cache: cache, run: folder,
                arguments: ["--input", dataFolder, "--format", manifest.dataFormat.rawValue] + split.options.arguments,
                inputs: [dataFolder], outputs: ["output": "ratings.h5"], records: &records)
            let ratings = ingest["output"]!
            ratingsFiles[split.name] = ratings

            var trained: [String: String] = [:]
            for model in manifest.models {
                let step = "\(model.name)\(suffix)"
                let modelFile: String
                if let combine = model.combine {
                    let rating = trained[combine.rating]!, ranking = trained[combine.ranking]!
                    modelFile = try self.step(
                        "combine:" + step, program: "combine", cache: cache, run: folder,
                        arguments: ["--rating", rating, "--ranking", ranking] + combine.options.arguments,
                        inputs: [rating, ranking], outputs: ["output": "model.h5"], records: &records)["output"]!
                } else {
                    let normalised = try self.step(
                        "normalise:" + step, program: "normalise", cache: cache, run: folder,
                        arguments: ["--input", ratings] + model.normalise.arguments, inputs: [ratings],
                        outputs: ["output": "train.h5"], records: &records)["output"]!
                    let parameters = model.parameters.sorted { $0.key < $1.key }.map { "--" + $0.key.replacingOccurrences(of: "_", with: "-") + "=" + $0.value }
                    modelFile = try self.step(
                        "factorise:" + step, program: "factorise", cache: cache, run: folder,
                        arguments: ["--input", normalised] + model.factorise.arguments + parameters,
                        inputs: [normalised], outputs: ["output": "model.h5"], records: &records)["output"]!
                    trained[model.name] = modelFile
                }
                var arguments = ["--model", modelFile, "--data", ratings] + manifest.evaluate.arguments
                var inputs = [modelFile, ratings]
                let published = manifest.publish.map { $0.model == model.name && $0.split == split.name }
                    ?? (model.name == manifest.models[0].name && split.name == manifest.splits[0].name)
                if published, let reference = manifest.reference {
                    guard FileManager.default.fileExists(atPath: reference) else {
                        throw PipelineError(.badInput, "evaluate.reference \(reference) does not exist (create it once with evaluate --output)")
                    }
                    arguments += ["--reference", reference]
                    inputs.append(reference)
                }
                let evaluate = try self.step(
                    "evaluate:" + step, program: "evaluate", cache: cache, run: folder, arguments: arguments,
                    inputs: inputs, outputs: ["output": "metrics.json", "report": "report.html", "model-output": "model.h5"],
                    records: &records)
                evaluated[step] = evaluate["model-output"]!
                metricsFiles[step] = evaluate["output"]!
            }
        }

        if let publish = manifest.publish {
            let suffix = manifest.splits.count > 1 ? "@" + publish.split : ""
            let model = evaluated[publish.model + suffix]!
            let runID = manifest.name + "/" + URL(fileURLWithPath: folder).lastPathComponent
            var arguments = ["--input", model, "--name", publish.name, "--store", store,
                             "--run-id", runID, "--run-manifest-sha256", manifestSHA256] + publish.options.arguments
            var outputs: [String: String] = [:]
            if publish.options.gate {
                // The gate re-scores production on the held-out ratings of this run's ingest.
                outputs["gate"] = folder + "/gate.json"
                arguments += ["--data", ratingsFiles[publish.split]!, "--gate-report", outputs["gate"]!]
                // The same model's evaluations by the cold-start protocols (the other splits of
                // kind new-users or new-movies): their metrics join the candidate's for the floors.
                let protocols = manifest.splits.filter { $0.name != publish.split && [.newUsers, .newMovies].contains($0.options.split) }
                    .compactMap { metricsFiles["\(publish.model)@\($0.name)"] }
                if !protocols.isEmpty { arguments += ["--protocol-metrics"] + protocols }
            }
            try publishStep(arguments: arguments, model: model, name: publish.name, cache: cache, run: folder,
                            outputs: outputs, records: &records)
        }
        return metricsFiles
    }
}
