import Foundation
import Models
import Testing

/// normalise and factorise as executables: exit codes, stdout, and no output on failure.
struct TrainingStageTests {
    /// A tiny ML-1M-style folder ingested into `dir/ratings.h5`.
    func ingested(_ dir: URL) throws -> String {
        var ratings = ""
        for user in 1...12 { for movie in 1...9 where (user + movie) % 3 != 0 {
            ratings += "\(user)::\(movie)::\(1 + (user * movie) % 5)::\(user * 100 + movie)\n"
        } }
        try ratings.write(to: dir.appendingPathComponent("ratings.dat"), atomically: true, encoding: .utf8)
        try "1::F::1::10::1\n".write(to: dir.appendingPathComponent("users.dat"), atomically: true, encoding: .utf8)
        try (1...9).map { "\($0)::Movie \($0) (199\($0))::Drama\n" }.joined()
            .write(to: dir.appendingPathComponent("movies.dat"), atomically: true, encoding: .utf8)
        let output = dir.appendingPathComponent("ratings.h5").path
        let run = try runStage("ingest", ["--input", dir.path, "--output", output, "--test-fraction", "0.2"])
        #expect(run.status == 0, "\(run.stderr)")
        return output
    }

    /// The tiny data set ingested, with a reasonable ALS model ("good") and a deliberately poor
    /// one ("bad"), both evaluated (so they carry metrics for a gate).
    func goodAndBadModels(_ dir: URL) throws -> (ratings: String, good: String, bad: String) {
        let ratings = try ingested(dir)
        let train = dir.appendingPathComponent("n.h5").path
        #expect(try runStage("normalise", ["--input", ratings, "--output", train, "--method", "none"]).status == 0)
        let good = dir.appendingPathComponent("good.h5").path, bad = dir.appendingPathComponent("bad.h5").path
        #expect(try runStage("factorise", ["--input", train, "--output", good, "--rank", "3", "--iterations", "10", "--lambda", "0.1"]).status == 0)
        #expect(try runStage("factorise", ["--input", train, "--output", bad, "--rank", "1", "--iterations", "1", "--lambda", "50"]).status == 0)
        for model in [good, bad] {
            #expect(try runStage("evaluate", ["--model", model, "--data", ratings, "--output", model + ".json", "--k", "1", "2", "10"]).status == 0)
        }
        return (ratings, good, bad)
    }

    @Test func normaliseThenFactoriseEveryAlgorithm() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ratings = try ingested(dir)
        let normalised = dir.appendingPathComponent("n.h5").path
        let run = try runStage("normalise", ["--input", ratings, "--output", normalised, "--method", "item-mean"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains(#""method":"item-mean""#))
        for (algorithm, extra) in [("svd", ["--rank", "3"]), ("pca", ["--rank", "2"]), ("als", ["--rank", "3", "--iterations", "4"]),
                                   ("bpmf", ["--rank", "2", "--samples", "6", "--burn-in", "2", "--keep", "3"]),
                                   ("bayesian-fm", ["--rank", "2", "--samples", "6", "--burn-in", "2", "--keep", "3", "--implicit", "movies", "--stored-rank", "5"]),
                                   ("ease", ["--lambda", "5"])] {
            let model = dir.appendingPathComponent("\(algorithm).h5").path
            let fit = try runStage("factorise", ["--input", normalised, "--output", model, "--algorithm", algorithm, "--neighbours", "4"] + extra)
            #expect(fit.status == 0, "\(algorithm): \(fit.stderr)")
            let file = try ModelFile.read(model)
            let head = file.rankingHead
            #expect(file.algorithm == algorithm && file.neighbours.k == 4 && head.normalisation == "item-mean")
            switch algorithm {
            case "ease":
                #expect(file.rating == nil && head.model.kind == "item-item" && head.curve.testRMSE.isEmpty)
            case "bpmf", "bayesian-fm":
                // BPMF: rank × kept samples, side by side; the FM: its stored rank.
                #expect(file.ranking == nil && file.rating?.model.factors?.rank == (algorithm == "bpmf" ? 2 * 3 : 5))
                #expect(head.curve.testRMSE.count == 8 && head.curve.testRMSE.allSatisfy(\.isFinite))
            default:
                #expect(file.ranking == nil && file.rating?.model.factors?.rank == Int(extra[1])!)
                #expect(!head.curve.testRMSE.isEmpty && head.curve.testRMSE.allSatisfy(\.isFinite))
            }
        }
    }

    @Test(arguments: [
        (["--algorithm", "knn"], "Error: The value 'knn' is invalid for '--algorithm <algorithm>'. Please provide one of the following:\n  - svd\n  - pca\n  - als\n  - bpmf\n  - bayesian-fm\n  - ease"),
        (["--algorithm", "svd", "--lambda", "0.1"], "Error: svd has no parameter 'lambda' (its parameters: rank, solver, oversampling, power_iterations)"),
        (["--algorithm", "als", "--iterations", "0"], "Error: als: iterations 0 must be 1–100000"),
        (["--algorithm", "als", "--lambda=-0.5"], "Error: als: lambda -0.5 must be 0–1000000"),
        (["--algorithm", "als", "--rank", "0"], "Error: als: rank 0 must be 1–10000"),
        (["--algorithm", "als", "--rank"], "Error: --rank needs a value"),
        (["--algorithm", "als", "--neighbours", "1000000"], "Error: --neighbours must be between 0 and 1000, not 1000000"),
        (["--algorithm", "als", "--rank", "4", "--rank", "5"], "Error: --rank is given twice"),
        (["--algorithm", "als", "stray"], "Error: unexpected argument 'stray': algorithm parameters are given as --name value"),
        (["--algorithm", "svd", "--solver", "magic"], "Error: svd: solver 'magic' must be auto, exact or randomized"),
    ])
    func badParametersExitTwoBeforeReadingData(arguments: [String], message: String) throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.h5").path
        _ = FileManager.default.createFile(atPath: input, contents: Data())
        let output = dir.appendingPathComponent("m.h5").path
        let run = try runStage("factorise", ["--input", input, "--output", output] + arguments)
        #expect(run.status == 2)
        #expect(run.stderr.contains(message), "stderr: \(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    /// The same model file on one core and on two (`PROJECTOR_THREADS`) for the samplers and ALS,
    /// whose work is split across threads — ML-100K, large enough for OpenBLAS to thread its
    /// factorisations (a threaded Cholesky moved the content term by an ulp; BPMF's τ summed
    /// one partial per thread). Not EASE: OpenBLAS's threaded inverse rounds differently on one
    /// thread and two (docs/stages.md).
    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR"))
    func theBytesDoNotDependOnTheCores() throws {
        guard let folder = realDataset("ml-100k") else { return }
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        #expect(try runStage("ingest", ["--input", folder, "--output", path("r.h5"), "--quiet"]).status == 0)
        #expect(try runStage("normalise", ["--input", path("r.h5"), "--output", path("n.h5"), "--method", "none", "--quiet"]).status == 0)
        for (algorithm, extra) in [("bayesian-fm", ["--rank", "8", "--samples", "6", "--burn-in", "2", "--keep", "6", "--stored-rank", "16",
                                                    "--implicit", "both", "--user-attributes", "all", "--noise", "both"]),
                                   ("als", ["--rank", "8", "--iterations", "3"]),
                                   ("bpmf", ["--rank", "4", "--samples", "4", "--burn-in", "1", "--keep", "3"])] {
            var files: [Data] = []
            for threads in ["1", "2"] {
                let model = path("\(algorithm)-\(threads).h5")
                let run = try runStage("factorise", ["--input", path("n.h5"), "--output", model, "--algorithm", algorithm, "--quiet"] + extra,
                                       environment: ["PROJECTOR_THREADS": threads])
                try #require(run.status == 0, "\(algorithm) on \(threads): \(run.stderr)")
                files.append(try Data(contentsOf: URL(fileURLWithPath: model)))
            }
            let same = files[0] == files[1]   // (a Bool: the test library would diff megabytes)
            #expect(same, "\(algorithm): one core and two wrote different bytes")
        }
    }

    @Test func rankAboveTheDataAndDivergenceLeaveNoModel() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ratings = try ingested(dir)
        let normalised = dir.appendingPathComponent("n.h5").path
        #expect(try runStage("normalise", ["--input", ratings, "--output", normalised, "--method", "none"]).status == 0)
        let model = dir.appendingPathComponent("m.h5").path
        let tooBig = try runStage("factorise", ["--input", normalised, "--output", model, "--algorithm", "svd", "--rank", "10"])
        #expect(tooBig.status == 2)
        #expect(tooBig.stderr.contains("svd: rank 10 must be between 1 and min(users, movies) = 9"))
        let singular = try runStage("factorise", ["--input", normalised, "--output", model, "--algorithm", "als", "--rank", "8", "--lambda", "0"])
        #expect(singular.status == 1)
        #expect(singular.stderr.contains("als diverged"))
        #expect(!FileManager.default.fileExists(atPath: model))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func readersRefuseTheWrongKindOfFile() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ratings = try ingested(dir)
        let run = try runStage("factorise", ["--input", ratings, "--output", dir.appendingPathComponent("m.h5").path])
        #expect(run.status == 2)
        #expect(run.stderr.contains("is a 'projector.ratings' file, expected 'projector.normalised'"))
        let notHDF5 = dir.appendingPathComponent("text.h5").path
        try "hello".write(toFile: notHDF5, atomically: true, encoding: .utf8)
        let bad = try runStage("normalise", ["--input", notHDF5, "--output", dir.appendingPathComponent("n.h5").path])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("not an HDF5 file"))
    }
}
