import Foundation

/// The one error protocol: every module's error type conforms and says which exit code it
/// deserves, so the executables map errors to exit codes by type, never by message text.
///
///     struct MovieLensError: ProjectorError { var exitCode: StageExitCode { .badInput } … }
///     exit(StageExitCode.of(error).rawValue)
public protocol ProjectorError: Error, CustomStringConvertible, Sendable {
    var exitCode: StageExitCode { get }
}

extension StageExitCode {
    /// The exit code an error deserves: its own if it is a `ProjectorError`, else 1 (failure).
    public static func of(_ error: any Error) -> StageExitCode {
        (error as? any ProjectorError)?.exitCode ?? .failure
    }
}

/// What went wrong, in the terms the exit codes use.
public enum FailureKind: Sendable, Equatable {
    /// Bad usage, a bad name, a malformed or inconsistent file (exit 2).
    case badInput
    /// An I/O or numerical failure, or a bug (exit 1).
    case failure
    /// The quality gate refused (exit 3).
    case qualityGate
    /// Another process holds a lock (exit 4).
    case busy

    public var exitCode: StageExitCode {
        switch self {
        case .badInput: .badInput
        case .failure: .failure
        case .qualityGate: .qualityGateRefused
        case .busy: .busy
        }
    }

    /// The kind an exit code says (success, which is no failure, and any other: failure).
    public init(_ code: StageExitCode) {
        switch code {
        case .badInput: self = .badInput
        case .qualityGateRefused: self = .qualityGate
        case .busy: self = .busy
        case .success, .failure: self = .failure
        }
    }
}

/// A failure with a kind and a message: the error type of the modules whose errors need no more
/// (the artifact store, evaluation, the shared mechanisms here).
///
///     throw ProjectorFailure(.badInput, "no model named 'x' in Artifacts")
public struct ProjectorFailure: ProjectorError, Equatable {
    public var kind: FailureKind
    public var message: String

    public init(_ kind: FailureKind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var exitCode: StageExitCode { kind.exitCode }
    public var description: String { message }
}

/// The text of `errno` (by default its current value), for messages.
public func systemError(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }
