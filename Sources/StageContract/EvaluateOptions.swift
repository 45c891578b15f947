import ArgumentParser
import Evaluation

/// `evaluate`'s measuring options (a manifest's `evaluate` section, beside `reference`).
///
///     evaluate --model m.h5 --data ratings.h5 --output metrics.json --k 5 --k 10 --relevance 4
///     # manifest:  evaluate: {k: [5, 10], relevance: 4}
public struct EvaluateOptions: StageOptionSet {
    @Option(parsing: .upToNextOption, help: ArgumentHelp("Cut-offs for the ranking metrics (1–10000), e.g. --k 5 10 20.", valueName: "k"),
            transform: EvaluateOptions.cutoff)
    public var k: [Int] = EvaluationProtocol.defaultKs

    @Option(help: "A held-out rating at or above this is relevant.")
    public var relevance: Float = EvaluationProtocol.defaultRelevance

    @OptionGroup public var tolerances: GateOptions

    public init() {}

    /// One cut-off; the comma-separated list of earlier releases is refused naming the new form.
    static func cutoff(_ text: String) throws -> Int {
        guard let value = Int(text) else {
            throw ValidationError(text.contains(",") ? "give the cut-offs as separate values (--k 5 10 20), not comma-separated" : "not a whole number")
        }
        return value
    }

    public func validate() throws {
        guard relevance.isFinite else { throw ValidationError("--relevance must be a finite number, not \(relevance)") }
        guard !k.isEmpty, k.allSatisfy({ $0 > 0 && $0 <= 10_000 }) else {
            throw ValidationError("--k must be whole numbers from 1 to 10000, not \(k.map(String.init).joined(separator: " "))")
        }
        guard Set(k).count == k.count else { throw ValidationError("--k lists \(k.map(String.init).joined(separator: " ")): each cut-off once") }
    }

    /// The protocol these options describe (cut-offs in ascending order).
    public var evaluationProtocol: EvaluationProtocol { EvaluationProtocol(ks: k.sorted(), relevanceThreshold: relevance) }
}
