import Foundation
import LinearAlgebra

/// Hyper-parameters a user may set; each algorithm reads the ones it has and fills in its own
/// defaults for the rest. Kept apart from learned state: this is what goes into `params`.
public struct AlgorithmConfig: Sendable, Equatable {
    public var rank: Int?
    public var iterations: Int?
    public var lambda: Double?
    /// als: exponent of the weighted-λ ridge.
    public var alpha: Double?
    public var seed: UInt64 = 42
    /// svd: `auto`, `exact` (LAPACK gesdd) or `randomized` (Halko et al. 2011).
    public var solver: String?
    public var oversampling: Int?
    public var powerIterations: Int?
    public var initScale: Double?
    /// bpmf: sweeps discarded before averaging.
    public var burnIn: Int?
    /// bpmf: samples averaged into the stored model.
    public var keep: Int?

    public init(rank: Int? = nil, iterations: Int? = nil, lambda: Double? = nil, alpha: Double? = nil, seed: UInt64 = 42,
                solver: String? = nil, oversampling: Int? = nil, powerIterations: Int? = nil,
                initScale: Double? = nil, burnIn: Int? = nil, keep: Int? = nil) {
        self.rank = rank
        self.iterations = iterations
        self.lambda = lambda
        self.alpha = alpha
        self.seed = seed
        self.solver = solver
        self.oversampling = oversampling
        self.powerIterations = powerIterations
        self.initScale = initScale
        self.burnIn = burnIn
        self.keep = keep
    }
}

/// A trained model plus how it got there.
public struct TrainedModel: Sendable {
    public var model: LearnedModel
    public var curve: TrainingCurve
    /// Algorithm-specific numbers worth keeping (e.g. singular values), stored as `/model` attributes.
    public var extras: [String: [Double]]

    public init(model: LearnedModel, curve: TrainingCurve, extras: [String: [Double]] = [:]) {
        self.model = model
        self.curve = curve
        self.extras = extras
    }
}

/// One recommender algorithm: hyper-parameters in, `TrainedModel` out.
///
/// Adding an algorithm is one new file in `Algorithms/` conforming to this protocol plus a line
/// in `Algorithms.make`. Every algorithm passes the shared conformance suite
/// (`Tests/ModelsTests/Conformance.swift`): seeded determinism, refusal of bad parameters,
/// finite predictions, recovery of an exact low-rank matrix, save/load round trip.
///
///     let als = try Algorithms.make("als", AlgorithmConfig(rank: 32))
///     let trained = try als.fit(trainingSet) { progress in print(progress.iteration) }
public protocol Algorithm: Sendable {
    /// Name used on the command line and in files.
    var name: String { get }
    /// The hyper-parameters actually used (defaults filled in), as canonical JSON.
    var parametersJSON: String { get }
    var seed: UInt64 { get }
    /// Refuses hyper-parameters that cannot work on `data` (rank above min(users, movies), …).
    func validate(for data: TrainingSet) throws
    /// Fits the model; `progress` is called after each iteration.
    func fit(_ data: TrainingSet, progress: (TrainingProgress) -> Void) throws -> TrainedModel
}

extension Algorithm {
    public func fit(_ data: TrainingSet) throws -> TrainedModel { try fit(data) { _ in } }

    /// The checks every factor model shares.
    func validateRank(_ rank: Int, for data: TrainingSet) throws {
        let limit = min(data.userCount, data.movieCount)
        guard rank >= 1 && rank <= limit else {
            throw ModelsError.badParameter("\(name): rank \(rank) must be between 1 and min(users, movies) = \(limit)")
        }
    }
}

/// The algorithm registry.
public enum Algorithms {
    public static let names = ["svd", "pca", "als", "bpmf", "ease"]

    public static func make(_ name: String, _ config: AlgorithmConfig = AlgorithmConfig()) throws -> any Algorithm {
        switch name {
        case "svd": return try SVD(config)
        case "pca": return try PCA(config)
        case "als": return try ALS(config)
        case "bpmf": return try BPMF(config)
        case "ease": return try EASE(config)
        default:
            throw ModelsError.badParameter("unknown algorithm '\(name)': expected one of \(names.joined(separator: ", "))")
        }
    }
}

/// Encodes hyper-parameters as canonical JSON (sorted keys), the form stored in model files.
func canonicalJSON<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try! encoder.encode(value), as: UTF8.self)
}

/// Root-mean-square error of a model's clipped predictions on (user, movie, rating) triplets.
public func rmse(_ model: FactorModel, users: [Int32], movies: [Int32], ratings: [Float], scale metadata: DatasetMetadata) -> Double {
    guard !ratings.isEmpty else { return .nan }
    let parts = Parallel.ranges(ratings.count, parts: Parallel.workers * 4)
    let k = model.rank
    let sums = try! Parallel.map(parts.count) { part in
        model.userFactors.values.withUnsafeBufferPointer { p in
            model.movieFactors.values.withUnsafeBufferPointer { q in
                var sum = 0.0
                for index in parts[part] {
                    let user = Int(users[index]), movie = Int(movies[index])
                    let raw = model.globalMean + model.userBias[user] + model.movieBias[movie]
                        + dot(p.baseAddress! + user * k, q.baseAddress! + movie * k, k)
                    let error = Double(metadata.clip(raw) - ratings[index])
                    sum += error * error
                }
                return sum
            }
        }
    }
    return (sums.reduce(0, +) / Double(ratings.count)).squareRoot()
}

extension TrainingSet {
    /// Train and held-out RMSE of `model`, for training curves.
    public func curvePoint(_ model: FactorModel) -> (train: Double, test: Double) {
        (rmse(model, users: trainUser, movies: trainMovie, ratings: trainRating, scale: metadata),
         rmse(model, users: testUser, movies: testMovie, ratings: testRating, scale: metadata))
    }

    /// The normalised training values as a dense users × movies matrix (missing entries 0).
    public func denseMatrix() -> Matrix {
        var x = Matrix(rows: userCount, columns: movieCount)
        for index in 0..<trainValue.count {
            x.values[Int(trainUser[index]) * movieCount + Int(trainMovie[index])] = trainValue[index]
        }
        return x
    }

    /// A factor model with the normalisation terms folded into its biases.
    public func factorModel(userFactors: Matrix, movieFactors: Matrix, userBias: [Float]? = nil, movieBias: [Float]? = nil) -> FactorModel {
        FactorModel(
            globalMean: terms.globalMean,
            userBias: userBias.map { zip(terms.userOffset, $0).map(+) } ?? terms.userOffset,
            movieBias: movieBias.map { zip(terms.movieOffset, $0).map(+) } ?? terms.movieOffset,
            userFactors: userFactors, movieFactors: movieFactors)
    }
}
