import ArgumentParser
import Models

/// `normalise`'s options (a manifest model's `normalise` section).
///
///     normalise --input ratings.h5 --output train.h5 --method baseline --lambda 10
///     # manifest:  normalise: {method: baseline, lambda: 10}
public struct NormaliseOptions: StageOptionSet {
    @Option(help: "none, item-mean, user-mean or baseline.")
    public var method: NormalisationMethod = .baseline

    @Option(help: "baseline: regularisation λ of the biases (0–1e9).")
    public var lambda: Double = NormalisationTerms.defaultLambda

    @Option(help: "baseline: alternating rounds (1–10000).")
    public var iterations: Int = NormalisationTerms.defaultIterations

    public init() {}

    public func validate() throws {
        guard lambda >= 0 && lambda <= 1e9 else { throw ValidationError("--lambda must be between 0 and 1e9, not \(lambda)") }
        guard iterations >= 1 && iterations <= 10_000 else { throw ValidationError("--iterations must be between 1 and 10000, not \(iterations)") }
    }
}
