import Essentials
import Foundation
import ModelFormat

/// One recommender algorithm: declared hyper-parameters in, `TrainedModel` out.
///
/// Adding an algorithm is one new file in `Algorithms/` conforming to this protocol plus its
/// type in `Algorithms.all`. Its parameters are declared once, in `parameters`; `factorise`,
/// the manifest schema, `--help` and the README's table come from there. Adding a parameter is
/// a change to that one file. Every algorithm passes the shared conformance suite
/// (`Tests/ModelsTests/Conformance.swift`): seeded determinism (and a different seed gives a
/// different model), refusal of bad parameters, finite predictions, recovery of an exact
/// low-rank matrix, save/load round trip.
///
///     let als = try ALS.make(["rank": 32])
///     let trained = try als.fit(trainingSet) { progress in print(progress.iteration) }
public protocol Algorithm: Sendable {
    /// Name used on the command line and in files.
    static var name: String { get }
    /// One line for `factorise --help` and the README.
    static var summary: String { get }
    /// Every hyper-parameter, with default, range and help.
    static var parameters: [Parameter] { get }
    /// Whether its models predict ratings (a rating head) or only rank (EASE, `spark-ials`).
    static var predictsRatings: Bool { get }
    /// Where it trains: in this process (`fit`), or on Spark (`SparkHead`, `factorise --engine spark`).
    static var engine: TrainingEngine { get }
    /// Builds the algorithm from resolved values (defaults filled in, ranges checked); checks
    /// that involve several parameters (BPMF's keep ≤ samples) throw here.
    init(_ values: ParameterValues) throws
    /// The values actually used.
    var values: ParameterValues { get }
    /// Refuses hyper-parameters that cannot work on `data` (rank above min(users, movies), …).
    func validate(for data: TrainingSet) throws
    /// Fits the model; `progress` is called after each iteration.
    func fit(_ data: TrainingSet, progress: (TrainingProgress) -> Void) throws -> TrainedModel
}

extension Algorithm {
    /// Builds the algorithm from given values; unknown names, values of the wrong type and values
    /// out of range are refused with a message naming the parameter.
    public static func make(_ given: [String: ParameterValue] = [:], seed: UInt64 = 42) throws -> Self {
        try Self(ParameterValues.resolve(given, for: parameters, algorithm: name, seed: seed))
    }

    public static var predictsRatings: Bool { true }
    public static var engine: TrainingEngine { .inProcess }

    public var name: String { Self.name }
    public var seed: UInt64 { values.seed }
    /// The hyper-parameters actually used, as canonical JSON (the `params` of model files).
    public var parametersJSON: String { values.json }

    public func fit(_ data: TrainingSet) throws -> TrainedModel { try fit(data) { _ in } }

    /// Algorithms that hold the users × movies matrix densely (SVD, PCA, EASE) refuse one above
    /// `maximumDenseElements` (2³¹ floats, 8 GiB) instead of exhausting memory.
    func validateDense(rows: Int, columns: Int, for data: TrainingSet) throws {
        let (elements, overflow) = rows.multipliedReportingOverflow(by: columns)
        guard !overflow, elements <= Algorithms.maximumDenseElements else {
            throw ModelsError.badParameter("\(name): \(rows) users × \(columns) movies is too large a dense matrix (at most \(Algorithms.maximumDenseElements) entries, 8 GiB): use als or bpmf")
        }
    }

    /// The checks every factor model shares.
    func validateRank(_ rank: Int, for data: TrainingSet) throws {
        let limit = min(data.userCount, data.movieCount)
        guard rank >= 1 && rank <= limit else {
            throw ModelsError.badParameter("\(name): rank \(rank) must be between 1 and min(users, movies) = \(limit)")
        }
    }
}
