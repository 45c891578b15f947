import Foundation
import Foundation
import LinearAlgebra
import Models
import Testing
import TestSupport

struct SVDTests {
    @Test func reconstructionErrorMatchesTheDiscardedSingularValues() throws {
        var rng = SeededGenerator(seed: 11)
        var train: [(Int, Int, Float)] = []
        for u in 0..<40 { for m in 0..<25 where rng.nextUniform() < 0.6 { train.append((u, m, Float(rng.nextGaussian()))) } }
        let data = try trainingSet(users: 40, movies: 25, train: train)
        let x = data.denseMatrix()
        let all = try LAPACK.svd(x)
        for k in [1, 5, 12] {
            let trained = try SVD.make(["rank": .integer(k), "solver": "exact"]).fit(data).model.factors!
            var error = 0.0
            for u in 0..<40 { for m in 0..<25 {
                let d = Double(x[u, m] - trained.rawPrediction(user: u, movie: m)); error += d * d
            } }
            let discarded = all.sigma[k...].reduce(0.0) { $0 + Double($1) * Double($1) }
            #expect(abs(error - discarded) <= 1e-4 * max(1, discarded), "rank \(k): ‖X − X_k‖² = \(error), Σσ² beyond k = \(discarded)")
        }
    }

    @Test func randomizedAgreesWithExactOnLeadingSingularValues() throws {
        // A matrix with a decaying spectrum: randomized SVD should get the top values to 1e-3.
        var rng = SeededGenerator(seed: 5)
        let u = rng.gaussianMatrix(rows: 120, columns: 30), v = rng.gaussianMatrix(rows: 80, columns: 30)
        let decay: [Float] = (0..<30).map { index in Float(Foundation.pow(0.7, Double(index))) }
        let x = BLAS.multiply(u.scalingColumns(by: decay), v, transposeB: true)
        let exact = try LAPACK.svd(x).sigma
        let approx = try SVD.make(["rank": 8, "solver": "randomized"]).factorize(x).sigma
        for j in 0..<8 { #expect(Swift.abs(approx[j] - exact[j]) <= 1e-3 * exact[j]) }
    }

    @Test func autoSolverChoosesByCost() throws {
        let svd = try SVD.make()
        #expect(svd.resolvedSolver(rows: 943, columns: 1682) == "exact")
        #expect(svd.resolvedSolver(rows: 6040, columns: 3706) == "randomized")
    }
}

struct PCATests {
    @Test func componentsAreOrthonormalAndEigenvaluesDecrease() throws {
        var rng = SeededGenerator(seed: 9)
        let x = rng.gaussianMatrix(rows: 60, columns: 20)
        let (_, values, w) = try PCA.make(["rank": 6]).components(x)
        let gram = BLAS.multiply(w, transposeA: true, w)
        for r in 0..<6 { for c in 0..<6 { #expect(abs(gram[r, c] - (r == c ? 1 : 0)) < 1e-5) } }
        #expect(zip(values, values.dropFirst()).allSatisfy { $0 >= $1 })
    }

    @Test func eigenvaluesAreTheCovarianceOfTheCentredColumns() throws {
        // Two perfectly correlated columns (b = 2a) and a constant: one non-zero eigenvalue 5·var(a).
        let a: [Float] = [1, 2, 3, 4]
        var x = Matrix(rows: 4, columns: 3)
        for r in 0..<4 { x[r, 0] = a[r]; x[r, 1] = 2 * a[r]; x[r, 2] = 7 }
        let (means, values, w) = try PCA.make(["rank": 1]).components(x)
        #expect(means == [2.5, 5, 7])
        #expect(Swift.abs(values[0] - Float(5.0 * 5.0 / 3.0)) < 1e-4)  // var(a) = 5/3 with the n − 1 divisor
        #expect(Swift.abs(Swift.abs(w[0, 0]) - Float(1 / 5.0.squareRoot())) < 1e-5 && Swift.abs(w[2, 0]) < 1e-6)
    }
}

struct ALSTests {
    @Test func objectiveNeverIncreases() throws {
        let data = try Conformance.small()
        let als = try ALS.make(["rank": 6, "iterations": 1, "lambda": 0.1])
        let byUser = data.byUser(), byMovie = data.byMovie()
        var state = als.initialState(data)
        var previous = Double.infinity
        for _ in 0..<12 {
            try als.sweep(&state, byUser: byUser, byMovie: byMovie)
            let value = als.objective(state, byUser: byUser)
            #expect(value <= previous * (1 + 1e-5), "objective rose from \(previous) to \(value)")
            previous = value
        }
    }

    @Test func rankOneMatrixIsRecoveredWithoutBiasesToTheNoise() throws {
        // r(u, m) = a_u · b_m: exactly rank 1, fully observed.
        let a: [Float] = [1, 2, 0.5, 1.5], b: [Float] = [2, 1, 3]
        var train: [(Int, Int, Float)] = []
        for u in 0..<4 { for m in 0..<3 { train.append((u, m, a[u] * b[m])) } }
        let data = try trainingSet(users: 4, movies: 3, train: train)
        let model = try ALS.make(["rank": 1, "iterations": 200, "lambda": 0]).fit(data).model.factors!
        for u in 0..<4 { for m in 0..<3 { #expect(abs(model.rawPrediction(user: u, movie: m) - a[u] * b[m]) < 1e-3) } }
    }

    @Test func zeroLambdaOnSparseDataIsAClearError() throws {
        let data = try Conformance.small()
        #expect(throws: ModelsError.diverged("als", iteration: 0, "30 normal equations were not positive definite: use lambda > 0")) {
            try ALS.make(["rank": 19, "iterations": 2, "lambda": 0, "cg_steps": 0]).fit(data)
        }
        // The conjugate-gradient solver refuses the rows it cannot determine (fewer ratings than unknowns).
        #expect(throws: ModelsError.self) { try ALS.make(["rank": 19, "iterations": 2, "lambda": 0]).fit(data) }
    }

}

/// Every refusal the parameter declarations produce, by exact message: values out of range, of
/// the wrong type, parameters another algorithm has, and the cross-parameter check of BPMF.
struct RegistryTests {
    @Test(arguments: [
        ("als", ["iterations": "0"], "als: iterations 0 must be 1–100000"),
        ("als", ["lambda": "-1"], "als: lambda -1 must be 0–1000000"),
        ("als", ["rank": "0"], "als: rank 0 must be 1–10000"),
        ("als", ["alpha": "3"], "als: alpha 3 must be 0–2"),
        ("als", ["init_scale": "0"], "als: init_scale 0 must be > 0 and ≤ 10"),
        ("als", ["rank": "x"], "als: rank must be a whole number, not 'x'"),
        ("als", ["lambda": "nan"], "als: lambda must be a number, not 'nan'"),
        ("als", ["keep": "3"], "als has no parameter 'keep' (its parameters: rank, iterations, lambda, alpha, init_scale, cg_steps)"),
        ("svd", ["solver": "magic"], "svd: solver 'magic' must be auto, exact or randomized"),
        ("svd", ["oversampling": "-1"], "svd: oversampling -1 must be 0–10000"),
        ("pca", ["rank": "0"], "pca: rank 0 must be 1–10000"),
        ("bpmf", ["samples": "0"], "bpmf: samples 0 must be 1–100000"),
        ("bpmf", ["burn_in": "-1"], "bpmf: burn_in -1 must be 0–100000"),
        ("bpmf", ["samples": "10", "keep": "11"], "bpmf: keep 11 must be between 1 and samples (10)"),
        ("bpmf", ["rank": "100", "samples": "2000", "keep": "1001"], "bpmf: rank 100 × keep 1001 columns exceed the model file's 100000"),
        ("bpmf", ["burn_in": "9223372036854775807"], "bpmf: burn_in 9223372036854775807 must be 0–100000"),
        ("svd", ["oversampling": "9223372036854775807"], "svd: oversampling 9223372036854775807 must be 0–10000"),
        ("als", ["lambda": "1e39"], "als: lambda 1e+39 must be 0–1000000"),
        ("als", ["init_scale": "1e-50"], "als: init_scale 1e-50 must be > 0 and ≤ 10"),
        ("ease", ["lambda": "0"], "ease: lambda 0 must be > 0 and ≤ 1000000000"),
        ("ease", ["rank": "8"], "ease has no parameter 'rank' (its parameters: lambda, keep_entries, liked_threshold, liked_input_weight, liked_target_weight, top_movies, cold_movies, content_lambda)"),
        ("bayesian-fm", ["implicit": "all"], "bayesian-fm: implicit 'all' must be both, users, movies or none"),
        ("bayesian-fm", ["movie_attributes": "tags"], "bayesian-fm: movie_attributes 'tags' must be none, genres, year or both"),
        ("bayesian-fm", ["samples": "10", "keep": "11"], "bayesian-fm: keep 11 must be between 1 and samples (10)"),
        ("bayesian-fm", ["stored_rank": "0"], "bayesian-fm: stored_rank 0 must be 1–10000"),
        ("bayesian-fm", ["user_attributes": "income"], "bayesian-fm: user_attributes 'income' must be none, all, gender, age, occupation or zip"),
        ("bayesian-fm", ["lambda": "1"], "bayesian-fm has no parameter 'lambda' (its parameters: rank, samples, burn_in, keep, stored_rank, init_scale, implicit, movie_attributes, user_attributes, time, noise, likelihood)"),
        ("bayesian-fm", ["time": "hour"], "bayesian-fm: time 'hour' must be none or day"),
        ("knn", [:], "unknown algorithm 'knn': expected one of svd, pca, als, bpmf, bayesian-fm, ease, spark-als, spark-ials"),
    ])
    func badParameters(algorithm: String, given: [String: String], message: String) {
        #expect(throws: ModelsError.badParameter(message)) { try Algorithms.make(algorithm, text: given) }
    }

    @Test func defaultsAndParamsJSONComeFromTheDeclarations() throws {
        let als = try Algorithms.make("als", text: ["rank": "8"], seed: 7)
        #expect(als.parametersJSON == #"{"alpha":0.75,"cg_steps":3,"init_scale":0.1,"iterations":15,"lambda":0.3,"rank":8,"seed":7}"#)
        let bpmf = try BPMF.make()
        let chain = bpmf.parameters.chain
        #expect(bpmf.parameters.rank == 16 && chain.samples == 200 && chain.burnIn == 30 && chain.keep == 40 && chain.initScale == 0.1)
        #expect(chain.sweeps == 230 && chain.keptSweeps == Set(stride(from: 35, through: 230, by: 5)))
        // Every parameter of every algorithm is in the help text and the docs' table (the manifest
        // schema is checked in ManifestTests).
        for type in Algorithms.all {
            for parameter in type.parameters {
                #expect(Algorithms.helpText.contains("\(parameter.flag) \(parameter.placeholder)"))
                #expect(Algorithms.markdownTable.contains("| `\(type.name)` | `\(parameter.name)` (`\(parameter.flag)`) |"))
            }
        }
    }
}

struct BPMFTests {
    @Test func recoversANoisyLowRankMatrixToTheNoiseLevel() throws {
        // Rank-2 signal plus N(0, 0.3²) noise, 60 % observed; held-out RMSE against the noiseless
        // truth should approach 0 and against the noisy ratings approach the noise level 0.3.
        var rng = SeededGenerator(seed: 17)
        let truth = lowRankTriplets(users: 80, movies: 60, rank: 2, seed: 23)
        var train: [(Int, Int, Float)] = [], test: [(Int, Int, Float)] = [], clean: [Float] = []
        for (u, m, value) in truth {
            let noisy = value + Float(rng.nextGaussian() * 0.3)
            if rng.nextUniform() < 0.6 { train.append((u, m, noisy)) } else if rng.nextUniform() < 0.5 {
                test.append((u, m, noisy)); clean.append(value)
            }
        }
        let data = try trainingSet(users: 80, movies: 60, train: train, test: test)
        let model = try BPMF.make(["rank": 4, "samples": 150, "burn_in": 30, "keep": 30]).fit(data).model.factors!
        var noisyError = 0.0, cleanError = 0.0
        for (index, (u, m, r)) in test.enumerated() {
            let p = Double(model.rawPrediction(user: u, movie: m))
            noisyError += (p - Double(r)) * (p - Double(r)); cleanError += (p - Double(clean[index])) * (p - Double(clean[index]))
        }
        let noisy = (noisyError / Double(test.count)).squareRoot(), signal = (cleanError / Double(test.count)).squareRoot()
        #expect(noisy < 0.36, "held-out RMSE \(noisy) vs noise 0.3")
        #expect(signal < 0.15, "RMSE to the noiseless truth \(signal)")
    }

    /// BPMF stores its kept samples side by side, the FM their average compressed (exact here, on
    /// data smaller than its sketch): either way the model predicts what the curve measured.
    /// With days (the FM's `time day`, on ratings over four days) the curve, like the stored
    /// model, predicts each user's average training day.
    @Test(arguments: [("bpmf", "none"), ("bayesian-fm", "none"), ("bayesian-fm", "day")])
    func storedModelReproducesTheCurvesLastPoint(algorithm: String, time: String) throws {
        let data = time == "day" ? try BayesianFMTests.data() : try Conformance.small()
        let parameters: [String: ParameterValue] = ["rank": 3, "samples": 40, "burn_in": 10, "keep": 8]
        let trained = try Algorithms.make(algorithm, time == "day" ? parameters.merging(["time": "day"]) { $1 } : parameters).fit(data)
        let point = data.curvePoint(trained.model.factors!)
        // BPMF stores the 8 samples side by side (exact); the FM compresses their average with a
        // sketch that is exact here (its width is min(users, movies), above the average's rank).
        let tolerance = algorithm == "bpmf" ? 1e-6 : 2e-5
        #expect(abs(point.test - trained.curve.testRMSE.last!) < tolerance)
        #expect(abs(point.train - trained.curve.trainRMSE.last!) < tolerance)
        #expect(trained.model.factors!.rank == (algorithm == "bpmf" ? 3 * 8 : min(data.userCount, data.movieCount)))
        if algorithm == "bayesian-fm" { #expect(trained.storedTestRMSE == point.test) }
    }

    /// A stored rank below the average's: the FM stores a lossy rank-2 model, records its RMSE,
    /// and that RMSE is the stored model's, near the exact average's.
    @Test func theFMsCompressedAverageIsLossyBelowItsRank() throws {
        let data = try Conformance.small()
        let trained = try BayesianFM.make(["rank": 3, "samples": 40, "burn_in": 10, "keep": 8, "stored_rank": 2]).fit(data)
        let model = trained.model.factors!
        #expect(model.rank == 2)
        let stored = data.curvePoint(model).test
        #expect(trained.storedTestRMSE == stored && trained.storedTestRMSE != trained.curve.testRMSE.last!)
        // Rank 2 of an average of rank up to 24 on this small noisy set: a few hundredths lost
        // (0.057 with the Rao–Blackwellised samples, the exact average at 1.158). A sanity bound
        // only: the sketch itself is checked exact in `storedModelReproducesTheCurvesLastPoint`.
        #expect(abs(stored - trained.curve.testRMSE.last!) < 0.1, "stored \(stored), exact average \(trained.curve.testRMSE.last!)")
    }

    /// The sketch's memory is checked before any work.
    @Test func aSketchAboveItsBudgetIsRefused() throws {
        var data = try Conformance.small()
        data.metadata.userIDs = (0..<200_000).map(Int64.init)
        data.metadata.movieIDs = (0..<60_000).map(Int64.init)
        #expect(throws: ModelsError.badParameter("bayesian-fm: stored_rank 1000 needs 5954 MB of sketch for 200000 users × 60000 movies, above 2048 MB: lower stored_rank")) {
            try BayesianFM.make(["stored_rank": 1000]).validate(for: data)
        }
        // The sampler's statistics: (k(k + 1)/2 + 2k + 1) doubles per user, here 200,000 × 20,501.
        #expect(throws: ModelsError.badParameter("bayesian-fm: rank 200 needs 31282 MB of sampler statistics for 200000 users × 60000 movies, above 2048 MB: lower rank")) {
            try BayesianFM.make(["rank": 200, "stored_rank": 10]).validate(for: data)
        }
        // With days, the days are a kind of their own: 1,600 of them, one per rating.
        var train: [(Int, Int, Float)] = []
        for u in 0..<40 { for m in 0..<40 { train.append((u, m, Float(1 + (u + m) % 5))) } }
        var daily = try trainingSet(users: 40, movies: 40, train: train, test: [])
        daily.trainTimestamp = daily.trainUser.indices.map { Int64($0) * 86_400 }
        daily.metadata.userIDs = (0..<700).map(Int64.init)
        daily.metadata.movieIDs = (0..<700).map(Int64.init)
        daily.userAttributes = .unknown(count: 700)
        #expect(throws: ModelsError.badParameter("bayesian-fm: rank 700 needs 3012 MB of sampler statistics for 700 users × 700 movies × 1600 days, above 2048 MB: lower rank")) {
            try BayesianFM.make(["rank": 700, "time": "day"]).validate(for: daily)
        }
        try BayesianFM.make(["rank": 700]).validate(for: daily)
    }
}

struct EASETests {
    @Test func equalsTheClosedFormOnATinyMatrix() throws {
        // X (3 users × 3 movies), λ = 1: G = XᵀX + I; B_ij = −P_ij / P_jj, diag 0, P = G⁻¹.
        let x = Matrix(rows: 3, columns: 3, values: [1, 1, 0,
                                                     0, 1, 1,
                                                     1, 1, 1])
        let b = try EASE.make(["lambda": 1]).weights(x)
        // By hand: XᵀX = [[2,2,1],[2,3,2],[1,2,2]]; G = [[3,2,1],[2,4,2],[1,2,3]]; det G = 20;
        // G⁻¹ = (1/20)·[[8,−4,0],[−4,8,−4],[0,−4,8]].
        let p: [[Double]] = [[8, -4, 0], [-4, 8, -4], [0, -4, 8]].map { $0.map { $0 / 20 } }
        for i in 0..<3 {
            for j in 0..<3 {
                let expected = i == j ? 0 : -p[i][j] / p[j][j]
                #expect(abs(Double(b[i, j]) - expected) < 1e-6, "B[\(i), \(j)] = \(b[i, j]), expected \(expected)")
            }
        }
    }

    /// Each column keeps its `keep` largest-magnitude entries (ties to the lower row), checked
    /// against sorting each column; keeping everything scores exactly like the dense matrix.
    @Test func sparsifiedKeepsTheLargestEntriesOfEachColumn() throws {
        let data = try Conformance.small()
        guard case .itemItem(let dense) = try EASE.make(["lambda": 10]).fit(data).model else { Issue.record("EASE must learn an item-item model"); return }
        var tied = dense
        let m = dense.movieCount
        for i in 0..<m { for j in 0..<m where i != j && (i + j) % 4 == 0 { tied.weights[i, j] = 0.25 * (i % 2 == 0 ? 1 : -1) } }
        for keep in [1, 2, 3, 5, m] {
            let sparse = tied.sparsified(keep: keep)
            for j in 0..<m {
                let expected = (0..<m).filter { tied.weights[$0, j] != 0 }
                    .sorted { abs(tied.weights[$0, j]) != abs(tied.weights[$1, j]) ? abs(tied.weights[$0, j]) > abs(tied.weights[$1, j]) : $0 < $1 }
                    .prefix(keep).sorted()
                let got = (0..<m).filter { i in sparse.rows.range(i).contains { sparse.rows.columns[$0] == Int32(j) } }
                #expect(got == Array(expected), "keep \(keep), column \(j)")
            }
        }
        let training = data.byUser().binary()
        let all = LearnedModel.sparseItemItem(dense.sparsified(keep: m)).scores(users: 0..<data.userCount, training: training)
        let reference = LearnedModel.itemItem(dense).scores(users: 0..<data.userCount, training: training)
        for (a, b) in zip(all.values, reference.values) { #expect(abs(a - b) < 1e-5) }
        #expect(dense.sparsified(keep: 0).rows.columns.isEmpty)
    }

    /// The liked-weights closed form is the constrained minimiser: for every column j, the
    /// gradient (X̃ᵀX̃ + λI) B_j − X̃ᵀY_j is zero off row j (the Lagrange multiplier of B_jj = 0 sits
    /// on row j); with β = γ = 0 it is Steck's EASE; and the input weights reach the scores.
    @Test func likedWeightsSolveTheConstrainedProblem() throws {
        let data = try Conformance.small()
        let ease = try EASE.make(["lambda": 3, "liked_input_weight": 0.5, "liked_target_weight": 2, "liked_threshold": 3])
        let m = data.movieCount
        var x = Matrix(rows: data.userCount, columns: m), y = Matrix(rows: data.userCount, columns: m)
        for index in data.trainUser.indices {
            let liked: Float = data.trainRating[index] >= 3 ? 1 : 0
            x[Int(data.trainUser[index]), Int(data.trainMovie[index])] = 1 + 0.5 * liked
            y[Int(data.trainUser[index]), Int(data.trainMovie[index])] = 1 + 2 * liked
        }
        let b = try ease.weights(input: x, target: y)
        var g = BLAS.gram(x)
        for i in 0..<m { g[i, i] += 3 }
        let gradient = BLAS.multiply(g, b)
        let cross = BLAS.multiply(x, transposeA: true, y)
        for i in 0..<m {
            #expect(b[i, i] == 0)
            for j in 0..<m where i != j { #expect(abs(gradient[i, j] - cross[i, j]) < 2e-3 * max(1, abs(cross[i, j])), "(\(i), \(j))") }
        }
        let plain = try EASE.make(["lambda": 3])
        var binary = x
        for index in binary.values.indices where binary.values[index] != 0 { binary.values[index] = 1 }
        let classic = try plain.weights(binary), general = try plain.weights(input: binary, target: binary)
        for (a, c) in zip(classic.values, general.values) { #expect(abs(a - c) < 1e-4) }

        // Stored: the input weights follow each user's training movies and reach evaluate's scores.
        let trained = try ease.fit(data)
        let file = ModelFile(algorithm: ease, trained: trained, data: data, neighbours: Neighbours(index: [], score: [], k: 0), createdBy: "test")
        let weights = try #require(file.rankingHead.inputWeights)
        let input = file.rankingInput
        for user in 0..<data.userCount {
            for entry in input.range(user) {
                let movie = input.columns[entry]
                let index = data.trainUser.indices.first { data.trainUser[$0] == Int32(user) && data.trainMovie[$0] == movie }!
                #expect(weights[entry] == (data.trainRating[index] >= 3 ? 1.5 : 1))
            }
        }
        let scores = trained.model.scores(users: 0..<1, training: input)
        for movie in 0..<m {
            let expected = input.range(0).reduce(Float(0)) { $0 + input.values[$1] * b[Int(input.columns[$1]), movie] }
            #expect(abs(scores[0, movie] - expected) < 1e-4)
        }
    }

    @Test func diagonalIsZeroAndScoresAreXB() throws {
        let data = try Conformance.small()
        let trained = try EASE.make(["lambda": 10]).fit(data)
        guard case .itemItem(let model) = trained.model else { Issue.record("EASE must learn an item-item model"); return }
        for j in 0..<model.movieCount { #expect(model.weights[j, j] == 0) }
        #expect(!trained.model.predictsRatings && trained.curve.iteration.isEmpty)
        let training = data.byUser()
        let scores = trained.model.scores(users: 2..<4, training: training.binary())
        for movie in 0..<data.movieCount {
            var expected: Float = 0
            for entry in training.range(3) { expected += model.weights[Int(training.columns[entry]), movie] }
            #expect(abs(scores[1, movie] - expected) < 1e-5)
        }
    }

    @Test func sameSeedSameModelAndSaveLoad() throws {
        let data = try Conformance.small()
        let algorithm = try EASE.make(["lambda": 5])
        let a = try algorithm.fit(data), b = try algorithm.fit(data)
        #expect(a.model.movieVectors == b.model.movieVectors)
        let file = ModelFile(algorithm: algorithm, trained: a, data: data, neighbours: Neighbours.compute(vectors: a.model.movieVectors, k: 3),
                             createdBy: "test")
        let path = scratchPath("ease.h5")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try file.write(to: path)
        let back = try ModelFile.read(path)
        #expect(back.rankingHead.model.kind == "item-item" && back.rankingHead.model.movieVectors == a.model.movieVectors)
        #expect(back.predict(user: 0, movie: 0) == nil)
        #expect(throws: ModelsError.badParameter("ease: lambda 0 must be > 0 and ≤ 1000000000")) { try EASE.make(["lambda": 0]) }
    }
}

/// docs/algorithms.md's parameter table is the one `Algorithms.markdownTable` derives from the
/// declarations: a parameter added, renamed or given a new default changes the docs too.
struct DocsParameterTableTests {
    @Test func docsTableMatchesTheDeclarations() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/algorithms.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let begin = "<!-- parameters:begin (generated from the declarations; a test keeps it equal) -->\n"
        let end = "\n<!-- parameters:end -->"
        guard let start = text.range(of: begin), let stop = text.range(of: end, range: start.upperBound..<text.endIndex) else {
            Issue.record("docs/algorithms.md lacks the parameter table markers")
            return
        }
        let table = String(text[start.upperBound..<stop.lowerBound])
        #expect(table == Algorithms.markdownTable, "docs/algorithms.md's parameter table is stale; it should be:\n\(Algorithms.markdownTable)")
    }
}

struct ParameterNameTests {
    /// An algorithm parameter named like one of factorise's own options would be taken by the
    /// option parser, never reaching the algorithm; the manifest's factorise keys are the same set.
    @Test func noParameterShadowsACommonOptionAndTheManifestTakesEveryOne() {
        for type in Algorithms.all {
            for parameter in type.parameters {
                #expect(!(Algorithms.commonKeys + ["input", "output", "quiet", "verbose", "help"]).contains(parameter.name),
                        "\(type.name).\(parameter.name)")
            }
        }
    }

    /// Two algorithms may share a parameter name only with the same type: the manifest reads a
    /// name by the first declaration's type (`Algorithms.allParameters`), so a clash would refuse
    /// the other's values.
    @Test func sameNamedParametersHaveOneType() {
        func type(_ kind: Parameter.Kind) -> String {
            switch kind {
            case .integer: "whole number"
            case .real: "number"
            case .choice: "choice"
            }
        }
        var first: [String: (algorithm: String, type: String)] = [:]
        for algorithm in Algorithms.all {
            for parameter in algorithm.parameters {
                if let seen = first[parameter.name] {
                    #expect(seen.type == type(parameter.kind),
                            "\(algorithm.name).\(parameter.name) is a \(type(parameter.kind)) but \(seen.algorithm).\(parameter.name) a \(seen.type)")
                } else {
                    first[parameter.name] = (algorithm.name, type(parameter.kind))
                }
            }
        }
        #expect(Algorithms.allParameters.map(\.name) == Array(first.keys).sorted { a, b in
            Algorithms.allParameters.firstIndex { $0.name == a }! < Algorithms.allParameters.firstIndex { $0.name == b }!
        })
    }
}

/// The performance paths give the answers of the plain ones.
struct FastPathTests {
    /// EASE's Gram matrices summed from the sparse ratings equal the dense block `syrk`/`gemm`,
    /// with and without liked weights.
    @Test func easeGramMatricesAgreeSparseAndDense() throws {
        let data = try Conformance.small()
        let ease = try EASE.make(["lambda": 3, "liked_input_weight": 0.5, "liked_target_weight": 2, "liked_threshold": 3])
        let input = data.trainRating.map { $0 >= 3 ? Float(1.5) : 1 }, target = data.trainRating.map { $0 >= 3 ? Float(3) : 1 }
        let sparse = ease.gramMatrices(data, input: input, target: target, method: .sparse)
        let dense = ease.gramMatrices(data, input: input, target: target, method: .dense)
        let m = data.movieCount
        for i in 0..<m {
            for j in i..<m { #expect(Swift.abs(sparse.gram[i, j] - dense.gram[i, j]) < 1e-4, "G(\(i), \(j))") }
            for j in 0..<m { #expect(Swift.abs(sparse.cross![i, j] - dense.cross![i, j]) < 1e-4, "C(\(i), \(j))") }
        }
        #expect(EASE.GramMethod.choose(pairs: 1_000, users: 100, movies: 100) == .sparse)
        #expect(EASE.GramMethod.choose(pairs: 900_000, users: 100, movies: 300) == .dense)
    }

    /// Many conjugate-gradient steps reach the exact (Cholesky) ALS solution; the default three
    /// stay close on held-out ratings.
    @Test func alsConjugateGradientReachesTheExactSolve() throws {
        let data = try Conformance.small()
        let exact = try ALS.make(["rank": 4, "iterations": 6, "lambda": 0.5, "cg_steps": 0]).fit(data).model.factors!
        let converged = try ALS.make(["rank": 4, "iterations": 6, "lambda": 0.5, "cg_steps": 50]).fit(data).model.factors!
        for u in 0..<data.userCount {
            for m in 0..<data.movieCount {
                #expect(Swift.abs(exact.rawPrediction(user: u, movie: m) - converged.rawPrediction(user: u, movie: m)) < 1e-3)
            }
        }
    }
}

/// SVD and PCA on larger data go through the sparse ratings; the products equal the dense ones.
struct RatingsOperatorTests {
    @Test func productsEqualTheDenseMatrixAndItsCentredForm() throws {
        let data = try Conformance.small()
        let dense = data.denseMatrix()
        var rng = SeededGenerator(seed: 5)
        let right = rng.gaussianMatrix(rows: data.movieCount, columns: 7), left = rng.gaussianMatrix(rows: data.userCount, columns: 7)
        for centred in [false, true] {
            let x = RatingsOperator(data, centred: centred)
            var reference = dense
            if centred {
                let means = x.columnMeans!
                for u in 0..<data.userCount { for m in 0..<data.movieCount { reference[u, m] -= means[m] } }
                for m in 0..<data.movieCount {
                    let mean = (0..<data.userCount).reduce(Float(0)) { $0 + dense[$1, m] } / Float(data.userCount)
                    #expect(Swift.abs(means[m] - mean) < 1e-5)
                }
            }
            for (got, expected) in [(x.times(right), BLAS.multiply(reference, right)),
                                    (x.transposeTimes(left), BLAS.multiply(reference, transposeA: true, left))] {
                for index in got.values.indices { #expect(Swift.abs(got.values[index] - expected.values[index]) < 1e-3) }
            }
            #expect(Swift.abs(x.frobeniusNorm - reference.frobeniusNorm) < 1e-3 * reference.frobeniusNorm)
            // The randomized SVD through the operator finds the dense matrix's leading singular values.
            let exact = try LAPACK.svd(reference).sigma
            let approx = try RandomizedSVD.compute(x, rank: 4, oversampling: 10, powerIterations: 6, seed: 1).sigma
            for j in 0..<4 { #expect(Swift.abs(approx[j] - exact[j]) <= 1e-3 * exact[0], "σ\(j) centred \(centred)") }
        }
    }
}

/// PCA above SVD's size rule (1,700 × 1,700 here) takes the randomized path through the centred
/// sparse ratings: its eigenvalues (σ²/(m − 1)), loadings and scores (UΣ) must give the model the
/// exact eigenpairs of the dense covariance give.
struct PCARandomizedPathTests {
    @Test func matchesTheExactComponentsOfTheDenseMatrix() throws {
        var rng = SeededGenerator(seed: 21)
        let users = 1_700, movies = 1_700, k = 3
        let p = rng.gaussianMatrix(rows: users, columns: k), q = rng.gaussianMatrix(rows: movies, columns: k)
        var train: [(Int, Int, Float)] = []
        for u in 0..<users {
            for m in 0..<movies where rng.nextUniform() < 0.05 {
                var value: Float = 3
                for j in 0..<k { value += p[u, j] * q[m, j] }
                train.append((u, m, value + Float(rng.nextGaussian() * 0.1)))
            }
        }
        let data = try trainingSet(users: users, movies: movies, train: train)
        let pca = try PCA.make(["rank": .integer(k)])
        #expect(!SVD.prefersExact(rows: users, columns: movies))   // PCA follows SVD's size rule
        let trained = try pca.fit(data)
        let model = try #require(trained.model.factors)
        let x = data.denseMatrix()
        let (means, values, w) = try pca.components(x)
        for j in 0..<k {
            #expect(Swift.abs(trained.extras["eigenvalues"]![j] - Double(values[j])) <= 2e-4 * Double(values[j]), "λ\(j): \(trained.extras["eigenvalues"]![j]) vs \(values[j])")
        }
        // The exact model's prediction: terms + μ_i + ((X − 1μᵀ) W Wᵀ)[u, i].
        var centred = x
        for u in 0..<users { for m in 0..<movies { centred[u, m] -= means[m] } }
        let scores = BLAS.multiply(centred, w)
        var worst: Float = 0
        for u in stride(from: 0, to: users, by: 37) {
            for m in stride(from: 0, to: movies, by: 41) {
                var expected = data.terms.globalMean + data.terms.userOffset[u] + data.terms.movieOffset[m] + means[m]
                for j in 0..<k { expected += scores[u, j] * w[m, j] }
                worst = max(worst, Swift.abs(model.rawPrediction(user: u, movie: m) - expected))
            }
        }
        #expect(worst < 1e-3, "largest prediction difference \(worst)")
    }
}

struct EASETopMoviesTests {
    /// `top_movies` fits B on the most-rated movies only: the rest have empty rows and columns,
    /// the fitted block equals EASE fitted on those movies' ratings alone, and covering every
    /// movie changes nothing.
    @Test func fitsTheMostRatedMoviesAndLeavesTheRestEmpty() throws {
        let data = try Conformance.small()
        let m = data.movieCount, n = m - 4
        let counts = data.byMovie().pointers.indices.dropLast().map { data.byMovie().range($0).count }
        let ease = try EASE.make(["lambda": 5, "top_movies": .integer(n), "keep_entries": .integer(m)])
        let fitted = try #require(ease.fittedMovies(data))
        #expect(fitted.count == n && fitted == fitted.sorted())
        let left = Set(0..<m).subtracting(fitted.map(Int.init))
        for out in left { for kept in fitted { #expect(counts[out] <= counts[Int(kept)]) } }
        guard case .sparseItemItem(let sparse) = try ease.fit(data).model else { Issue.record("expected a sparse head"); return }
        let b = sparse.dense
        for out in left {
            #expect(sparse.rows.range(out).isEmpty)
            for row in 0..<m { #expect(b[row, out] == 0) }
        }
        // The block equals EASE's closed form on the fitted movies' binarised ratings.
        var x = Matrix(rows: data.userCount, columns: n)
        let position = Dictionary(uniqueKeysWithValues: fitted.enumerated().map { (Int($0.element), $0.offset) })
        for index in data.trainUser.indices {
            if let column = position[Int(data.trainMovie[index])] { x[Int(data.trainUser[index]), column] = 1 }
        }
        let reference = try EASE.make(["lambda": 5]).weights(x)
        for i in 0..<n { for j in 0..<n { #expect(Swift.abs(b[Int(fitted[i]), Int(fitted[j])] - reference[i, j]) < 1e-5) } }
        #expect(try EASE.make(["lambda": 5, "top_movies": .integer(m)]).fittedMovies(data) == nil)
        #expect(throws: ModelsError.badParameter("ease: a dense item matrix over 40000 movies (at most 30000): set keep_entries")) {
            try EASE.make(["top_movies": 100]).validate(for: try trainingSet(users: 1, movies: 40_000, train: [(0, 0, 4)]))
        }
    }
}
