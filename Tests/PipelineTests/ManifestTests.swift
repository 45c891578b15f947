import Foundation
import Models
import MovieLens
@testable import Pipeline
import StageContract
import StageKit
import Testing

func manifestFile(_ text: String) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("projector-manifest-\(UUID().uuidString).yaml").path
    try! text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

struct ManifestTests {
    @Test func aShortManifestGetsDefaults() throws {
        let path = manifestFile("name: quick\ndata:\n  folder: /data/ml-100k\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let manifest = try PipelineManifest.load(path, environment: [:])
        #expect(manifest.name == "quick" && manifest.dataFolder == "/data/ml-100k" && manifest.dataFormat == .auto)
        #expect(manifest.models.count == 1 && manifest.models[0].name == "bpmf" && manifest.models[0].parameters.isEmpty)
        #expect(manifest.models[0].normalise.method == .none && manifest.models[0].factorise.algorithm.name == "bpmf")
        #expect(manifest.publish == nil && manifest.splits.count == 1 && manifest.splits[0].options.arguments == IngestOptions.defaults.arguments)
        #expect(Runner.stepNames(manifest) == ["ingest", "normalise:bpmf", "factorise:bpmf", "evaluate:bpmf"])
    }

    @Test func variablesExpandWithDefaults() throws {
        let path = manifestFile("name: n\ndata:\n  folder: ${ML:-/fallback}/ml-1m\npublish:\n  name: ${MODEL_NAME}\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let manifest = try PipelineManifest.load(path, environment: ["MODEL_NAME": "nightly"])
        #expect(manifest.dataFolder == "/fallback/ml-1m")
        #expect(manifest.publish?.name == "nightly" && manifest.publish?.model == "bpmf")
        let set = try PipelineManifest.load(path, environment: ["ML": "/srv", "MODEL_NAME": "x"])
        #expect(set.dataFolder == "/srv/ml-1m")
    }

    @Test func everyShippedManifestValidates() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Pipelines").path
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files == ["compare-movielens-1m.yaml", "movielens-100k-spark.yaml", "movielens-100k.yaml", "movielens-1m.yaml", "movielens-25m-spark.yaml", "movielens-25m.yaml", "movielens-latest-small.yaml"])
        for file in files { _ = try PipelineManifest.load(folder + "/" + file, environment: [:]) }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var yaml: String
        var line: Int?
        var message: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "unknown top-level key", yaml: "name: n\ndata: {folder: /d}\nstages: []\n", line: 3,
             message: "unknown key 'stages' (expected one of: name, description, data, ingest, splits, models, evaluate, publish)"),
        Case(name: "the old split section", yaml: "name: n\ndata: {folder: /d}\nsplit: {strategy: hash}\n", line: 3,
             message: "'split' is now 'ingest', with ingest's option names: strategy → split, fraction → test_fraction, name → split_name (ingest: {split: hash, seed: 42, test_fraction: 0.1})"),
        Case(name: "ingest option out of range", yaml: "name: n\ndata: {folder: /d}\ningest:\n  split: hash\n  test_fraction: 1.5\n", line: 5,
             message: "'ingest.test_fraction': --test-fraction must be in (0, 1), not 1.5"),
        Case(name: "ingest choice", yaml: "name: n\ndata: {folder: /d}\ningest: {split: random}\n", line: 3,
             message: "'ingest.split': The value 'random' is invalid for '--split <split>'. Please provide one of 'hash', 'files', 'temporal', 'new-users' or 'new-movies'."),
        Case(name: "unknown ingest key", yaml: "name: n\ndata: {folder: /d}\ningest: {strategy: hash}\n", line: 3,
             message: "unknown key 'ingest.strategy' (expected one of: holdout_per_user, rating_max, rating_min, rating_step, seed, split, split_name, test_fraction)"),
        Case(name: "normalise choice", yaml: "name: n\ndata: {folder: /d}\nmodels:\n  - name: a\n    normalise: {method: z-score}\n", line: 5,
             message: "'models[0].normalise.method': The value 'z-score' is invalid for '--method <method>'. Please provide one of 'none', 'item-mean', 'user-mean' or 'baseline'."),
        Case(name: "publish relevance is evaluate's", yaml: "name: n\ndata: {folder: /d}\npublish:\n  relevance: 3\n", line: 4,
             message: "'publish.relevance' is evaluate.relevance: the gate judges relevance as the evaluation does"),
        Case(name: "a flag is true or false", yaml: "name: n\ndata: {folder: /d}\npublish:\n  gate: sometimes\n", line: 4,
             message: "'publish.gate' must be true or false, not 'sometimes'"),
        Case(name: "ingest and splits", yaml: "name: n\ndata: {folder: /d}\ningest: {split: hash}\nsplits: {a: {split: hash}}\n", line: 3,
             message: "give either 'ingest' (one split) or 'splits' (several), not both"),
        Case(name: "unknown parameter", yaml: "name: n\ndata: {folder: /d}\nmodels:\n  - name: a\n    factorise:\n      algorithm: als\n      learning_rate: 0.1\n", line: 7,
             message: "unknown key 'models[0].factorise.learning_rate' (expected one of: algorithm, alpha, burn_in, cg_steps, cold_movies, content_lambda, engine, implicit, init_scale, iterations, keep, keep_entries, lambda, liked_input_weight, liked_target_weight, liked_threshold, likelihood, master, max_iter, movie_attributes, neighbours, noise, num_blocks, oversampling, power_iterations, rank, reg_param, samples, seed, solver, spark_conf, spark_data, spark_deadline, stored_rank, time, top_movies, user_attributes)"),
        Case(name: "wrong type", yaml: "name: n\ndata: {folder: /d}\nmodels:\n  - name: a\n    factorise: {algorithm: als, rank: many}\n", line: 5,
             message: "'models[0].factorise.rank' must be a whole number, not 'many'"),
        Case(name: "k list", yaml: "name: n\ndata: {folder: /d}\nevaluate:\n  k: [5, ten]\n", line: 4,
             message: "'evaluate.k': The value 'ten' is invalid for '--k <k>': not a whole number"),
        Case(name: "k empty", yaml: "name: n\ndata: {folder: /d}\nevaluate:\n  k: []\n", line: 4,
             message: "'evaluate.k' must be a non-empty list"),
        Case(name: "k repeated", yaml: "name: n\ndata: {folder: /d}\nevaluate:\n  k: [5, 5]\n", line: 4,
             message: "'evaluate.k': --k lists 5 5: each cut-off once"),
        Case(name: "missing data", yaml: "name: n\n", line: 1, message: "missing required key 'data'"),
        Case(name: "missing folder", yaml: "name: n\ndata:\n  url: http://x\n", line: 3, message: "missing required key 'data.folder'"),
        Case(name: "bad name", yaml: "name: ../up\ndata: {folder: /d}\n", line: 1,
             message: "'name' '../up' is not a plain name: use 1–100 letters, digits, '.', '_' and '-', not starting with '.'"),
        Case(name: "unset variable", yaml: "name: n\ndata:\n  folder: ${NOPE_NOT_SET}/x\n", line: 3,
             message: "environment variable NOPE_NOT_SET is not set (give a default: ${NOPE_NOT_SET:-value})"),
        Case(name: "publish unknown model", yaml: "name: n\ndata: {folder: /d}\npublish:\n  model: ghost\n", line: 4,
             message: "publish.model 'ghost' is not one of the models (bpmf)"),
        Case(name: "duplicate model", yaml: "name: n\ndata: {folder: /d}\nmodels:\n  - name: a\n  - name: a\n", line: 5,
             message: "model name 'a' is used twice"),
        Case(name: "not YAML", yaml: "name: [unclosed\n", line: 2, message: "not valid YAML: did not find expected ',' or ']'"),
        Case(name: "combine unknown model", yaml: "name: n\ndata: {folder: /d}\nmodels:\n  - name: a\n  - name: s\n    combine: {rating: a, ranking: b}\n", line: 6,
             message: "'models[1].combine.ranking' 'b' is not a trained model listed before it (a)"),
        Case(name: "combine before its models", yaml: "name: n\ndata: {folder: /d}\nmodels:\n  - name: s\n    combine: {rating: a, ranking: a}\n  - name: a\n", line: 5,
             message: "'models[0].combine.rating' 'a' is not a trained model listed before it (none)"),
        Case(name: "combine missing head", yaml: "name: n\ndata: {folder: /d}\nmodels:\n  - name: a\n  - name: s\n    combine: {rating: a}\n", line: 6,
             message: "missing required key 'models[1].combine.ranking'"),
        Case(name: "combine and factorise", yaml: "name: n\ndata: {folder: /d}\nmodels:\n  - name: a\n  - name: s\n    factorise: {algorithm: als}\n    combine: {rating: a, ranking: a}\n", line: 7,
             message: "models[1] has 'combine' and also 'normalise' or 'factorise': a combined model is made from two trained ones, not trained itself"),
        Case(name: "combine a ranker as the rating head", yaml: "name: n\ndata: {folder: /d}\nmodels:\n  - name: e\n    factorise: {algorithm: ease}\n  - name: s\n    combine: {rating: e, ranking: e}\n", line: 7,
             message: "'models[1].combine.rating' 'e' is ease, which predicts no ratings (a rating head is one of: svd, pca, als, bpmf, bayesian-fm, spark-als)"),
        Case(name: "combine neighbours", yaml: "name: n\ndata: {folder: /d}\nmodels:\n  - name: a\n  - name: s\n    combine: {rating: a, ranking: a, neighbours_from: both}\n", line: 6,
             message: "'models[1].combine.neighbours_from': The value 'both' is invalid for '--neighbours-from <head>'. Please provide one of 'rating' and 'ranking'."),
    ]

    @Test func combinedModelsAreCombinedThenEvaluated() throws {
        let path = manifestFile("name: n\ndata: {folder: /d}\nmodels:\n  - name: r\n    factorise: {algorithm: als}\n  - name: e\n    factorise: {algorithm: ease}\n  - name: s\n    combine: {rating: r, ranking: e}\npublish: {model: s}\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let manifest = try PipelineManifest.load(path, environment: [:])
        let combined = try #require(manifest.models.last?.combine)
        #expect(combined.rating == "r" && combined.ranking == "e" && combined.options.neighboursFrom == .ranking)
        #expect(Runner.stepNames(manifest) == ["ingest", "normalise:r", "factorise:r", "evaluate:r", "normalise:e", "factorise:e", "evaluate:e",
                                               "combine:s", "evaluate:s", "publish"])
    }

    /// Several splits: every model is trained and evaluated on each, steps named `…@SPLIT`; the
    /// published one is `publish.split` (default the first).
    @Test func severalSplitsRunEveryModelOnEach() throws {
        let path = manifestFile("name: n\ndata: {folder: /d}\nsplits:\n  random: {split: hash, seed: 7}\n  last: {split: temporal, holdout_per_user: 3}\nmodels:\n  - name: a\npublish: {split: last}\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let manifest = try PipelineManifest.load(path, environment: [:])
        #expect(manifest.splits.map(\.name) == ["random", "last"])
        #expect(manifest.splits[1].options.strategy == .temporal(perUser: 3) && manifest.splits[0].options.strategy == .hash(seed: 7, fraction: 0.1))
        #expect(manifest.publish?.split == "last")
        #expect(Runner.stepNames(manifest) == ["ingest@random", "normalise:a@random", "factorise:a@random", "evaluate:a@random",
                                               "ingest@last", "normalise:a@last", "factorise:a@last", "evaluate:a@last", "publish"])
    }

    /// The runner's command lines are the option structs encoded: every option under its own
    /// flag, in declaration order, and parsing them back gives the same values.
    @Test func commandLinesAreTheOptionsEncoded() throws {
        let path = manifestFile("name: n\ndata: {folder: /d}\ningest: {split: files, split_name: u2}\nmodels:\n  - name: a\n    normalise: {method: item-mean}\n    factorise: {algorithm: als, rank: 8, seed: 3}\nevaluate: {k: [10, 5], relevance: 3.5}\npublish: {gate: true, max_rmse_increase: 0.002, keep: 7}\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let manifest = try PipelineManifest.load(path, environment: [:])
        #expect(manifest.splits[0].options.arguments == ["--split=files", "--seed=42", "--test-fraction=0.1", "--split-name=u2", "--holdout-per-user=5"])
        #expect(manifest.models[0].normalise.arguments == ["--method=item-mean", "--lambda=10.0", "--iterations=10"])
        #expect(manifest.models[0].factorise.arguments == ["--algorithm=als", "--seed=3", "--neighbours=50", "--engine=in-process"])
        #expect(manifest.models[0].parameters == ["rank": "8"])
        #expect(manifest.evaluate.arguments == ["--k=10", "--k=5", "--relevance=3.5", "--max-rmse-increase=0.005", "--max-precision-drop=0.01", "--gate-k=10"])
        #expect(manifest.publish?.options.arguments == ["--gate", "--relevance=3.5", "--max-rmse-increase=0.002", "--max-precision-drop=0.01", "--gate-k=10", "--keep=7"])
        #expect(try EvaluateOptions.parse(manifest.evaluate.arguments).arguments == manifest.evaluate.arguments)
    }

    /// A value that starts with '-' is a value, in a manifest as on the runner's command line.
    @Test func negativeValuesStayValues() throws {
        let path = manifestFile("name: n\ndata: {folder: /d}\ningest: {rating_min: -10, rating_max: 10, rating_step: 0.5}\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let options = try PipelineManifest.load(path, environment: [:]).splits[0].options
        #expect(options.scale == RatingScale(minimum: -10, maximum: 10, step: 0.5))
        #expect(try IngestOptions.parse(options.arguments).scale == options.scale)
    }

    @Test(arguments: cases)
    func badManifestsNameFileLineAndKey(_ testCase: Case) throws {
        let path = manifestFile(testCase.yaml)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: PipelineError.manifest(path, line: testCase.line, testCase.message)) {
            try PipelineManifest.load(path, environment: [:])
        }
    }

    @Test func missingInputsNameTheLine() throws {
        let path = manifestFile("name: n\ndata:\n  folder: /nonexistent/ml-1m\nevaluate:\n  reference: /nonexistent/ref.json\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let manifest = try PipelineManifest.load(path, environment: [:])
        #expect(throws: PipelineError.manifest(path, line: 3, "'data.folder' /nonexistent/ml-1m does not exist and no data.url is given to fetch it (set MOVIELENS_DIR or run Scripts/fetch-movielens)")) {
            try manifest.checkInputs()
        }
        let fetchable = manifestFile("name: n\ndata:\n  folder: /nonexistent/ml-1m\n  url: https://example.org/ml-1m.zip\nevaluate:\n  reference: /nonexistent/ref.json\n")
        defer { try? FileManager.default.removeItem(atPath: fetchable) }
        #expect(throws: PipelineError.manifest(fetchable, line: 6, "'evaluate.reference' /nonexistent/ref.json does not exist")) {
            try PipelineManifest.load(fetchable, environment: [:]).checkInputs()
        }
    }

    /// A stage's progress events (stderr lines behind a fixed prefix) are decoded, never its log
    /// text, and drawn: a bar with ETA on a terminal, one line per 10 % elsewhere.
    @Test func progressEventsFeedTheProgressBar() {
        let event = StageEvent(event: .iteration, stage: "factorise", done: 12, total: 230, trainRMSE: 0.8, testRMSE: .nan)
        #expect(event.line == #"projector-event: {"done":12,"event":"iteration","stage":"factorise","total":230,"train_rmse":0.8}"# + "\n")
        #expect(StageEvent.parse(event.line.dropLast()) == event)
        #expect(StageEvent.parse("[info] als iteration 12/230: train RMSE 0.8") == nil && StageEvent.parse("projector-event: {not json") == nil)
        final class Lines: @unchecked Sendable { var text = ""; let lock = NSLock()
            func add(_ line: String) { lock.lock(); text += line; lock.unlock() } }
        let plain = Lines(), terminal = Lines()
        let plainProgress = Progress(mode: .plain, write: plain.add)
        let terminalProgress = Progress(mode: .terminal, write: terminal.add)
        for progress in [plainProgress, terminalProgress] {
            progress.stepStarted("factorise:als")
            for done in 1...20 { progress.stepProgress("factorise:als", done: done, total: 20) }
            progress.stepFinished("factorise:als", seconds: 1.5)
        }
        #expect(plain.text.contains("factorise:als: 2/20 (10 %), ETA") && plain.text.contains("factorise:als: 20/20 (100 %)"))
        #expect(plain.text.components(separatedBy: "(").count - 1 == 10)  // one line per decile, not per iteration
        #expect(!plain.text.contains("█") && plain.text.contains("factorise:als: done in 1.50 s"))
        #expect(terminal.text.contains("\r\u{1B}[2Kfactorise:als: " + String(repeating: "█", count: 15) + String(repeating: "░", count: 15) + " 10/20"))
        #expect(terminal.text.contains(String(repeating: "█", count: 30) + " 20/20"))
    }
}

/// The manifest's factorise keys come from the algorithms' declarations: every parameter is a
/// key of its type, and a parameter the chosen algorithm lacks, or out of its range, is refused
/// at load with the file and line.
struct ManifestParameterTests {
    @Test func everyDeclaredParameterIsAKeyOfItsType() {
        for parameter in Algorithms.allParameters { #expect(PipelineManifest.factoriseKeys.contains(parameter.name), "\(parameter.name)") }
        // factorise's own keys are FactoriseOptions' (and no algorithm parameter may take one of their names).
        #expect(FactoriseOptions.manifestKeys == Algorithms.commonKeys)
    }

    @Test(arguments: [
        ("{algorithm: ease, rank: 8}", "models[0].factorise: ease has no parameter 'rank' (its parameters: lambda, keep_entries, liked_threshold, liked_input_weight, liked_target_weight, top_movies, cold_movies, content_lambda)"),
        ("{algorithm: als, lambda: -1}", "models[0].factorise: als: lambda -1 must be 0–1000000"),
        ("{algorithm: svd, solver: magic}", "models[0].factorise: svd: solver 'magic' must be auto, exact or randomized"),
        ("{algorithm: knn}", "'models[0].factorise.algorithm': The value 'knn' is invalid for '--algorithm <algorithm>'. Please provide one of the following: svd, pca, als, bpmf, bayesian-fm, ease, spark-als, spark-ials"),
    ])
    func parametersAreCheckedAgainstTheChosenAlgorithm(factorise: String, message: String) {
        let path = manifestFile("name: n\ndata:\n  folder: /x\nmodels:\n  - name: m\n    factorise: \(factorise)\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: PipelineError.manifest(path, line: 6, message)) { try PipelineManifest.load(path, environment: [:]) }
    }
}
