import Foundation
import Models
@testable import Pipeline
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
        #expect(manifest.name == "quick" && manifest.dataFolder == "/data/ml-100k" && manifest.dataFormat == "auto")
        #expect(manifest.models == [.init(name: "bpmf", normalise: ["method": "none"], factorise: ["algorithm": "bpmf"])])
        #expect(manifest.publish == nil && manifest.split.isEmpty)
        #expect(Runner.stepNames(manifest) == ["ingest", "normalise:bpmf", "factorise:bpmf", "evaluate:bpmf"])
    }

    @Test func variablesExpandWithDefaults() throws {
        let path = manifestFile("name: n\ndata:\n  folder: ${ML:-/fallback}/ml-1m\npublish:\n  name: ${MODEL_NAME}\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let manifest = try PipelineManifest.load(path, environment: ["MODEL_NAME": "nightly"])
        #expect(manifest.dataFolder == "/fallback/ml-1m")
        #expect(manifest.publish?["name"] == "nightly" && manifest.publish?["model"] == "bpmf")
        let set = try PipelineManifest.load(path, environment: ["ML": "/srv", "MODEL_NAME": "x"])
        #expect(set.dataFolder == "/srv/ml-1m")
    }

    @Test func everyShippedManifestValidates() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Pipelines").path
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files == ["compare-movielens-1m.yaml", "movielens-100k.yaml", "movielens-1m.yaml", "movielens-25m.yaml", "movielens-latest-small.yaml"])
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
             message: "unknown key 'stages' (expected one of: name, description, data, split, models, evaluate, publish)"),
        Case(name: "unknown parameter", yaml: "name: n\ndata: {folder: /d}\nmodels:\n  - name: a\n    factorise:\n      algorithm: als\n      learning_rate: 0.1\n", line: 7,
             message: "unknown key 'models[0].factorise.learning_rate' (expected one of: algorithm, alpha, burn_in, cg_steps, implicit, init_scale, iterations, keep, keep_entries, lambda, liked_input_weight, liked_target_weight, liked_threshold, likelihood, movie_attributes, neighbours, noise, oversampling, power_iterations, rank, samples, seed, solver, stored_rank, time, top_movies, user_attributes)"),
        Case(name: "wrong type", yaml: "name: n\ndata: {folder: /d}\nmodels:\n  - name: a\n    factorise: {algorithm: als, rank: many}\n", line: 5,
             message: "'models[0].factorise.rank' must be a whole number, not 'many'"),
        Case(name: "k list", yaml: "name: n\ndata: {folder: /d}\nevaluate:\n  k: 10\n", line: 4,
             message: "'evaluate.k' must be a list of whole numbers, not '10'"),
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
             message: "'models[1].combine.rating' 'e' is ease, which predicts no ratings (a rating head is one of: svd, pca, als, bpmf, bayesian-fm)"),
        Case(name: "combine neighbours", yaml: "name: n\ndata: {folder: /d}\nmodels:\n  - name: a\n  - name: s\n    combine: {rating: a, ranking: a, neighbours_from: both}\n", line: 6,
             message: "'models[1].combine.neighbours_from' must be rating or ranking, not 'both'"),
    ]

    @Test func combinedModelsAreCombinedThenEvaluated() throws {
        let path = manifestFile("name: n\ndata: {folder: /d}\nmodels:\n  - name: r\n    factorise: {algorithm: als}\n  - name: e\n    factorise: {algorithm: ease}\n  - name: s\n    combine: {rating: r, ranking: e}\npublish: {model: s}\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let manifest = try PipelineManifest.load(path, environment: [:])
        #expect(manifest.models.last == .init(name: "s", normalise: [:], factorise: [:], combine: ["rating": "r", "ranking": "e", "neighbours_from": "ranking"]))
        #expect(Runner.stepNames(manifest) == ["ingest", "normalise:r", "factorise:r", "evaluate:r", "normalise:e", "factorise:e", "evaluate:e",
                                               "combine:s", "evaluate:s", "publish"])
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

    /// A stage's "iteration X/Y" log lines are parsed and drawn: a bar with ETA on a terminal,
    /// one line per 10 % elsewhere.
    @Test func iterationLinesFeedTheProgressBar() {
        let parsed = Subprocess.iteration(in: "[info] als iteration 12/230: train RMSE 0.8")
        #expect(parsed?.0 == 12 && parsed?.1 == 230)
        #expect(Subprocess.iteration(in: "iteration 3/0") == nil && Subprocess.iteration(in: "no progress here") == nil)
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
        for parameter in Algorithms.allParameters {
            let expected: PipelineManifest.Kind = switch parameter.kind {
            case .integer: .int
            case .real: .number
            case .choice: .string
            }
            #expect(PipelineManifest.factoriseKeys[parameter.name] == expected, "\(parameter.name)")
        }
        for key in Algorithms.commonKeys { #expect(PipelineManifest.factoriseKeys[key] != nil) }
    }

    @Test(arguments: [
        ("{algorithm: ease, rank: 8}", "models[0].factorise: ease has no parameter 'rank' (its parameters: lambda, keep_entries, liked_threshold, liked_input_weight, liked_target_weight, top_movies)"),
        ("{algorithm: als, lambda: -1}", "models[0].factorise: als: lambda -1 must be 0–1000000"),
        ("{algorithm: svd, solver: magic}", "models[0].factorise: svd: solver 'magic' must be auto, exact or randomized"),
        ("{algorithm: knn}", "models[0].factorise: unknown algorithm 'knn': expected one of svd, pca, als, bpmf, bayesian-fm, ease"),
    ])
    func parametersAreCheckedAgainstTheChosenAlgorithm(factorise: String, message: String) {
        let path = manifestFile("name: n\ndata:\n  folder: /x\nmodels:\n  - name: m\n    factorise: \(factorise)\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: PipelineError.manifest(path, line: 6, message)) { try PipelineManifest.load(path, environment: [:]) }
    }
}
