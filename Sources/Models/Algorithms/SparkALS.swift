import Essentials
import ModelFormat

/// Where an algorithm trains: in this process, or on an Apache Spark cluster (`factorise --engine
/// spark`, module `SparkEngine`).
public enum TrainingEngine: String, Sendable, CaseIterable, Codable {
    case inProcess = "in-process"
    case spark
}

/// A factor head trained by Spark MLlib's `ALS` (`pyspark.ml.recommendation.ALS`): the algorithm's
/// declaration — its name, MLlib's parameters under MLlib's names, its role — while the training
/// itself is `SparkEngine`'s (export, `spark-submit`, import). `fit` in this process refuses: the
/// engine is chosen with `factorise --engine spark`.
///
/// MLlib's objective is not `als`'s: no biases, and the ridge is `reg_param · n` (weighted-λ, `als`'s
/// α = 1) on every factor row:
///
///     Σ (y − p_u·q_i)² + reg_param (Σ_u n_u ‖p_u‖² + Σ_i n_i ‖q_i‖²)
///
/// The explicit head (`spark-als`) is fitted on the normalised values (`normalise --method baseline`),
/// whose terms are its biases; the implicit head (`spark-ials`, Hu, Koren & Volinsky 2008) on the
/// liked ratings, confidence 1 + α.
public protocol SparkHead: Algorithm {
    /// MLlib's `implicitPrefs`.
    static var implicitPrefs: Bool { get }
}

extension SparkHead {
    public static var engine: TrainingEngine { .spark }
    public static var predictsRatings: Bool { !implicitPrefs }

    public func validate(for data: TrainingSet) throws {
        try validateRank(values.integer(SparkALS.rank), for: data)
        if Self.implicitPrefs {
            let threshold = Float(values.real(SparkIALS.likedThreshold))
            guard data.trainRating.contains(where: { $0 >= threshold }) else {
                throw ModelsError.badParameter("\(name): no training rating is at or above liked_threshold \(values.real(SparkIALS.likedThreshold)): nothing to learn from")
            }
        }
    }

    public func fit(_ data: TrainingSet, progress: (TrainingProgress) -> Void) throws -> TrainedModel {
        throw ModelsError.badParameter("\(name) trains on Apache Spark: give --engine spark (and --master)")
    }

    /// The values as the Spark job's arguments (`--rank 32 --max-iter 15 …`).
    public var jobArguments: [String] {
        var arguments = ["--rank", "\(values.integer(SparkALS.rank))", "--max-iter", "\(values.integer(SparkALS.maxIter))",
                         "--reg-param", "\(values.real(SparkALS.regParam))", "--num-blocks", "\(values.integer(SparkALS.numBlocks))",
                         "--seed", "\(seed & 0x7FFF_FFFF_FFFF_FFFF)"]
        if Self.implicitPrefs {
            arguments += ["--implicit", "--alpha", "\(values.real(SparkIALS.alpha))", "--liked-threshold", "\(values.real(SparkIALS.likedThreshold))"]
        }
        return arguments
    }

    /// The rank the factors come back with.
    public var rank: Int { values.integer(SparkALS.rank) }
}

/// `spark-als`: MLlib's explicit ALS, a rating head (see `SparkHead`).
public struct SparkALS: SparkHead {
    public static let name = "spark-als"
    public static let summary = "Spark MLlib ALS, explicit (--engine spark): a rating head on the normalised values, the normalisation's terms as biases"
    public static let rank = Parameter.integer("rank", default: 32, minimum: 1, maximum: 10_000, help: "MLlib rank: latent factors")
    public static let maxIter = Parameter.integer("max_iter", default: 15, minimum: 1, maximum: 10_000, help: "MLlib maxIter: alternating sweeps")
    public static let regParam = Parameter.real("reg_param", default: 0.1, minimum: 0, exclusiveMinimum: true, maximum: 1e6, help: "MLlib regParam: the ridge is reg_param · n (ratings of the row); 0 leaves a row with fewer ratings than the rank singular")
    public static let numBlocks = Parameter.integer("num_blocks", default: 4, minimum: 1, maximum: 100_000, help: "MLlib numUserBlocks = numItemBlocks, and the export's Parquet files; fixed, so the factors do not depend on the cluster")
    public static let parameters = [rank, maxIter, regParam, numBlocks]
    public static let implicitPrefs = false

    public let values: ParameterValues
    public init(_ values: ParameterValues) throws { self.values = values }
}

/// `spark-ials`: MLlib's implicit ALS (`implicitPrefs`) on the liked ratings, a ranking head.
public struct SparkIALS: SparkHead {
    public static let name = "spark-ials"
    public static let summary = "Spark MLlib ALS, implicitPrefs (--engine spark): a ranking head on the liked ratings"
    public static let alpha = Parameter.real("alpha", default: 10, minimum: 0, maximum: 1e6, help: "MLlib alpha: a liked movie's confidence is 1 + alpha")
    public static let likedThreshold = Parameter.real("liked_threshold", default: 4, minimum: -1e6, maximum: 1e6, help: "a training rating at or above this is liked (the implicit input)")
    public static let parameters = [SparkALS.rank, SparkALS.maxIter, SparkALS.regParam, alpha, SparkALS.numBlocks, likedThreshold]
    public static let implicitPrefs = true

    public let values: ParameterValues
    public init(_ values: ParameterValues) throws { self.values = values }
}
