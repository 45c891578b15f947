import ArgumentParser
import ArtifactStore
import Foundation
import Pipeline
import StageContract
import StageKit

/// `pipeline`: validate and run pipeline manifests.
///
/// Exit codes (for cron and CI): 0 success, 1 a stage failed, 2 bad manifest or missing input,
/// 3 a quality gate refused, 4 another run holds the store's lock.
struct PipelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Validate and run pipeline manifests (Pipelines/*.yaml).",
        discussion: "Exit codes: 0 success, 1 a stage failed, 2 bad manifest or input, 3 quality gate refused, 4 another run holds the lock.",
        subcommands: [Validate.self, Run.self, GC.self])

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a manifest: keys, types, names, variables, inputs.")
        @Argument(help: "The manifest.") var file: String
        func run() throws {
            let manifest = try PipelineManifest.load(file)
            try manifest.checkInputs()
            print("ok: \(file): pipeline \(manifest.name), steps \(Runner.stepNames(manifest).joined(separator: " → "))")
        }
    }

    struct GC: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc",
            abstract: "Remove old run folders and the cache entries no kept run uses.",
            discussion: "Keeps, per pipeline, the newest N run folders and every cache entry their run.json lists; waits for (--wait) or refuses (exit 4) a run in progress.")
        @Option(help: "Run folders to keep per pipeline (the newest).") var keep: Int
        @Option(help: "The work folder pipeline run used.") var work = "Runs"
        @Flag(help: "Wait for a run in progress instead of exiting with 4.") var wait = false
        @Argument(help: "Pipelines to clean (default: every one under --work).") var pipelines: [String] = []

        func run() throws {
            for report in try RunsCleaner(work: work, keep: keep, waitForLock: wait).clean(pipelines) {
                print("\(report.pipeline): kept \(report.keptRuns) runs and \(report.keptEntries) cache entries; removed \(report.removedRuns.count) runs and \(report.removedEntries) cache entries (\(String(format: "%.1f", Double(report.bytesFreed) / 1e6)) MB)")
            }
        }
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run a manifest: each stage as its own process, cached by content.")
        @Argument(help: "The manifest.") var file: String
        @OptionGroup var store: StoreOptions
        @Option(help: "Where run folders and the cache go.") var work = "Runs"
        @Flag(help: "Re-run every step, ignoring the cache.") var force = false
        @Option(name: .customLong("force-step"), help: "Re-run this step (e.g. factorise:bpmf); repeatable.") var forceSteps: [String] = []
        @Flag(help: "Wait for another run holding the store's lock instead of exiting with 4.") var wait = false
        @Flag(name: .shortAndLong, help: "Print only failures and the final summary.") var quiet = false

        func run() throws {
            let manifest = try PipelineManifest.load(file)
            let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
            let runner = Runner(manifest: manifest, binaries: binaries, workFolder: work, store: store.root,
                                force: Set(forceSteps), forceAll: force, waitForLock: wait, progress: .automatic(quiet: quiet))
            let start = Date()
            let result = try runner.run()
            let seconds = Date().timeIntervalSince(start)
            print("pipeline \(manifest.name): \(result.steps.count) steps (\(result.steps.filter(\.cached).count) cached) in \(String(format: "%.2f", seconds)) s; run folder \(result.folder)")
            let order = manifest.splits.flatMap { split in manifest.models.map { $0.name + (manifest.splits.count > 1 ? "@" + split.name : "") } }
            print(Comparison.table(order.compactMap { key in result.metrics[key].map { (key, $0) } }))
            if let publish = result.steps.first(where: { $0.step == "publish" }), let version = publish.outputs["version"] {
                let what = publish.cached ? "already published as" : "published"
                print("\(what) \(manifest.publish!.name)@\(version) in \(store.root)")
            }
        }
    }
}
