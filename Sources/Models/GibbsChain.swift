import ModelFormat
/// What the Gibbs samplers (BPMF, the Bayesian FM) share about their chain: the parameters
/// `samples`, `burn_in`, `keep`, `init_scale` (declared here once; the defaults of `samples` and
/// `keep` are the algorithm's), the checks between them and the sweeps whose samples are kept.
///
/// A chain runs `burnIn + samples` sweeps and keeps `keep` samples evenly spaced after burn-in.
/// BPMF's stored model holds them side by side (rank × keep columns), so its rank × keep is
/// bounded by the model file's widest factor matrix; the FM compresses their average to its own
/// `stored_rank` and passes no rank.
///
///     let chain = try GibbsChain(values, samples: BPMF.samples, keep: BPMF.keep, algorithm: "bpmf", sideBySideRank: 16)
///     chain.keptSweeps      // burn-in 30, 200 samples, keep 40: {35, 40, …, 230}
public struct GibbsChain: Sendable, Equatable {
    static func samples(default value: Int) -> Parameter {
        .integer("samples", default: value, minimum: 1, maximum: 100_000, help: "Gibbs sweeps after burn-in")
    }
    static let burnIn = Parameter.integer("burn_in", default: 30, minimum: 0, maximum: 100_000, help: "sweeps discarded first")
    static func keep(default value: Int) -> Parameter {
        .integer("keep", default: value, minimum: 1, maximum: 10_000, help: "samples averaged into the stored model, evenly spaced (≤ samples)")
    }
    static let initScale = Parameter.real("init_scale", default: 0.1, minimum: 0, exclusiveMinimum: true, maximum: 10, help: "standard deviation of the chain's initial factors")

    public var samples: Int, burnIn: Int, keep: Int, initScale: Double

    /// The chain's values (`samples` and `keep`: the algorithm's declarations of them); refuses
    /// keep > samples and, given the rank of samples stored side by side, rank × keep wider than a
    /// model file holds.
    init(_ values: ParameterValues, samples: Parameter, keep: Parameter, algorithm: String, sideBySideRank rank: Int?) throws {
        self.samples = values.integer(samples)
        burnIn = values.integer(Self.burnIn)
        self.keep = values.integer(keep)
        initScale = values.real(Self.initScale)
        guard self.keep <= self.samples else {
            throw ModelsError.badParameter("\(algorithm): keep \(self.keep) must be between 1 and samples (\(self.samples))")
        }
        guard (rank ?? 0) * self.keep <= FactorModel.maximumRank else {
            throw ModelsError.badParameter("\(algorithm): rank \(rank ?? 0) × keep \(self.keep) columns exceed the model file's \(FactorModel.maximumRank)")
        }
    }

    public var sweeps: Int { burnIn + samples }

    /// The sweeps (1-based) whose samples are kept: `keep` of them, evenly spaced, the last one last.
    public var keptSweeps: Set<Int> { Set((1...keep).map { burnIn + ($0 * samples) / keep }) }
}
