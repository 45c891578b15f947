/// The one error type of the Evaluation module.
public struct EvaluationError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The model and data do not belong together, or a reference file is unreadable (exit 2).
        case badInput
        /// Quality regressed beyond the tolerances (exit 3).
        case qualityGate
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
