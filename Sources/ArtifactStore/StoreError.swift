/// The one error type of the ArtifactStore module.
public struct StoreError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        /// A bad name, a missing model/version/alias, or a file that fails its checksum (exit 2).
        case badInput
        /// The quality gate refused the publish (exit 3).
        case qualityGate
        /// An I/O failure (exit 1).
        case failure
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
