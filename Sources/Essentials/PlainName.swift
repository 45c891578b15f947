/// The one rule for names that become folder or file names (model names, aliases, pipeline and
/// step names): 1–100 ASCII letters, digits, `.`, `_` and `-`, not starting with `.`. Such a name
/// can never reach outside the folder it is joined to (`..`, `/`, empty and hidden names fail).
///
///     PlainName.problem("movielens-1m")   // nil
///     PlainName.problem("../x")           // "is not a plain name: …"
public enum PlainName {
    public static let rule = "use 1–100 letters, digits, '.', '_' and '-', not starting with '.'"

    /// nil for a plain name, else what is wrong with it.
    public static func problem(_ name: String) -> String? {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
        guard !name.isEmpty, name.utf8.count <= 100, allowed, !name.hasPrefix(".") else {
            return "is not a plain name: \(rule)"
        }
        return nil
    }

    /// Throws bad input (`<what> '<name>' is not a plain name: …`) unless `name` is plain.
    public static func check(_ name: String, what: String) throws {
        if let problem = problem(name) { throw ProjectorFailure(.badInput, "\(what) '\(name)' \(problem)") }
    }
}
