import ArgumentParser
import Foundation
import Logging
import Models
import StageKit

/// `factorise`: a projector.normalised file → a projector.model file.
struct FactoriseCommand: StageCommand {
    static let configuration = CommandConfiguration(
        commandName: "factorise",
        abstract: "Train a recommendation model and write it, with its movie neighbours, as a projector.model file.",
        discussion: """
            Algorithms: svd (truncated SVD of the normalised matrix; exact LAPACK or randomised), pca \
            (principal components of the movie vectors), als (biased ALS with weighted-λ), bpmf (Bayesian \
            matrix factorisation by Gibbs sampling), ease (EASE^R item-item model; ranks, predicts no ratings). Options an \
            algorithm does not use are refused. Defaults: svd rank 50; pca rank 50; als rank 64, 15 \
            iterations, λ 0.3, α 0.75 (fit it on `normalise --method none`). Exit codes: 0 success, 1 failure (e.g. divergence), 2 bad usage or bad input.
            """)

    @Option(help: "Normalised training data (projector.normalised HDF5 file).")
    var input: String

    @Option(help: "Where to write the model file.")
    var output: String

    @Option(help: "svd, pca or als.")
    var algorithm: String = "als"

    @Option(help: "Number of latent factors (default: the algorithm's).")
    var rank: Int?

    @Option(help: "als: sweeps (default 15).")
    var iterations: Int?

    @Option(help: "als: regularisation λ of the ridge λ·n^α (default 0.3); ease: L2 penalty λ (default 1500).")
    var lambda: Double?

    @Option(help: "als: exponent α of the ridge λ·n^α; 1 is weighted-λ (default 0.75).")
    var alpha: Double?

    @Option(help: "als: standard deviation of the initial factors (default 0.1).")
    var initScale: Double?

    @Option(help: "svd: auto, exact (LAPACK gesdd) or randomized (default auto).")
    var solver: String?

    @Option(help: "svd, randomized: extra sketch columns (default 10).")
    var oversampling: Int?

    @Option(help: "svd, randomized: subspace iterations (default 4).")
    var powerIterations: Int?

    @Option(help: "bpmf: Gibbs sweeps after burn-in (default 200).")
    var samples: Int?

    @Option(help: "bpmf: sweeps discarded first (default 30).")
    var burnIn: Int?

    @Option(help: "bpmf: samples averaged into the stored model, evenly spaced (default 20).")
    var keep: Int?

    @Option(help: "Random seed (recorded in the model).")
    var seed: UInt64 = 42

    @Option(help: "Cosine neighbours kept per movie.")
    var neighbours: Int = 50

    @OptionGroup var logging: LoggingOptions

    var config: AlgorithmConfig {
        AlgorithmConfig(rank: rank, iterations: iterations ?? samples, lambda: lambda, alpha: alpha, seed: seed, solver: solver,
                        oversampling: oversampling, powerIterations: powerIterations, initScale: initScale,
                        burnIn: burnIn, keep: keep)
    }

    func validate() throws {
        let used: [String: [String]] = ["svd": ["rank", "solver", "oversampling", "power-iterations"],
                                        "pca": ["rank"], "als": ["rank", "iterations", "lambda", "alpha", "init-scale"],
                                        "bpmf": ["rank", "samples", "burn-in", "keep"], "ease": ["lambda"]]
        guard let allowed = used[algorithm] else {
            throw ValidationError("--algorithm must be one of \(Algorithms.names.joined(separator: ", ")), not '\(algorithm)'")
        }
        let given: [(String, Bool)] = [("rank", rank != nil), ("iterations", iterations != nil), ("lambda", lambda != nil), ("alpha", alpha != nil),
                                       ("init-scale", initScale != nil), ("solver", solver != nil),
                                       ("oversampling", oversampling != nil), ("power-iterations", powerIterations != nil),
                                       ("samples", samples != nil), ("burn-in", burnIn != nil), ("keep", keep != nil)]
        for (name, present) in given where present && !allowed.contains(name) {
            throw ValidationError("--\(name) does not apply to \(algorithm)")
        }
        guard neighbours >= 0 else { throw ValidationError("--neighbours must be ≥ 0") }
        do { _ = try Algorithms.make(algorithm, config) } catch let error as ModelsError { throw ValidationError(error.message) }
        try PathCheck.input(input)
        try PathCheck.output(output)
    }

    func runStage(log: Logger) throws -> String {
        let data = try TrainingSet.read(input)
        let trainer = try Algorithms.make(algorithm, config)
        try trainer.validate(for: data)
        log.info("\(algorithm) \(trainer.parametersJSON) on \(data.userCount) users × \(data.movieCount) movies, \(data.trainValue.count) ratings")
        let start = Date()
        let trained = try trainer.fit(data) { step in
            log.info("\(algorithm) iteration \(step.iteration)/\(step.of): train RMSE \(String(format: "%.4f", step.trainRMSE)), held-out RMSE \(String(format: "%.4f", step.testRMSE))")
        }
        let seconds = Date().timeIntervalSince(start)
        let near = Neighbours.compute(vectors: trained.model.movieVectors, k: neighbours)
        let file = ModelFile(algorithm: trainer, trained: trained, data: data, neighbours: near,
                             trainingSeconds: seconds, createdBy: ProjectorVersion.createdBy("factorise"))
        try file.write(to: output)
        let test = trained.curve.testRMSE.last ?? .nan
        log.info("trained in \(String(format: "%.2f", seconds)) s; held-out RMSE \(String(format: "%.4f", test)) → \(output)")
        return #"{"output":"\#(output)","algorithm":"\#(algorithm)","params":\#(trainer.parametersJSON),"seconds":\#(seconds),"test_rmse":\#(test.isNaN ? "null" : String(test))}"#
    }
}
