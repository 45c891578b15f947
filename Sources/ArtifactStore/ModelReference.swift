import Essentials

/// What a caller names a stored model by: `NAME`, `NAME@VERSION` or `NAME@ALIAS`. Parsed in this
/// one place, before anything touches the file system; the name and alias follow `PlainName`.
///
///     try ModelReference.parse("movielens-1m@3")            // name movielens-1m, version 3
///     try ModelReference.parse("movielens-1m@production")   // alias production
///     try ModelReference.parse("movielens-1m")              // no selector: the caller's default alias
///     try ModelReference.parse("a@@b")                      // bad input (exit 2)
public struct ModelReference: Sendable, Equatable, CustomStringConvertible {
    public enum Selector: Sendable, Equatable {
        case version(Int)
        case alias(String)
    }

    public var name: String
    public var selector: Selector?

    public init(name: String, selector: Selector?) {
        self.name = name
        self.selector = selector
    }

    /// The alias a gate or `--promote` moves, and what a bare name means.
    public static let production = "production"
    /// The alias every publish moves: the newest version.
    public static let latest = "latest"

    /// Versions are below 10¹⁸ (18 digits: what the HTTP API's `ref` pattern states).
    public static let maximumVersion = 1_000_000_000_000_000_000

    public static func parse(_ text: String) throws -> ModelReference {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let usage = "use NAME, NAME@VERSION or NAME@ALIAS"
        guard let name = parts.first, !name.isEmpty else {
            throw StoreError(.badInput, "model reference '\(text)' has no model name: \(usage)")
        }
        try PlainName.check(name, what: "model name")
        guard parts.count == 2 else { return ModelReference(name: name, selector: nil) }
        let selector = parts[1]
        guard !selector.isEmpty else { throw StoreError(.badInput, "model reference '\(text)' ends with '@': \(usage)") }
        if selector.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            guard let version = Int(selector), version >= 1, version < maximumVersion else {
                throw StoreError(.badInput, "model reference '\(text)': version '\(selector)' must be a whole number from 1 below 10^18")
            }
            return ModelReference(name: name, selector: .version(version))
        }
        try ModelStore.checkName(selector, what: "alias")
        return ModelReference(name: name, selector: .alias(selector))
    }

    public var description: String {
        switch selector {
        case nil: name
        case .version(let version): "\(name)@\(version)"
        case .alias(let alias): "\(name)@\(alias)"
        }
    }
}
