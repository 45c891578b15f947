import Essentials

/// The one error type of the Models module.
///
///     ModelsError.badParameter("rank 0 must be between 1 and min(users, movies) = 943")
///     ModelsError.diverged("als", iteration: 3, "NaN in the user factors: lower the learning rate or raise lambda")
public struct ModelsError: ProjectorError, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A hyper-parameter is out of range, or the data cannot be fitted (exit code 2).
        case badParameter
        /// Training produced NaN or Inf (exit code 1).
        case diverged
        /// A file is not what the reader expects (exit code 2).
        case badFile
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public static func badParameter(_ message: String) -> ModelsError { ModelsError(.badParameter, message) }
    public static func diverged(_ algorithm: String, iteration: Int, _ detail: String) -> ModelsError {
        ModelsError(.diverged, "\(algorithm) diverged at iteration \(iteration): \(detail)")
    }
    public static func badFile(_ path: String, _ message: String) -> ModelsError {
        ModelsError(.badFile, "\(path): \(message)")
    }

    public var description: String { message }

    public var exitCode: StageExitCode { kind == .diverged ? .failure : .badInput }
}
