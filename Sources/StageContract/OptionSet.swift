import ArgumentParser

/// A stage's options, declared once: the struct is the executable's options (`@OptionGroup`),
/// what a pipeline manifest's section decodes into (`ManifestSection`), and, encoded, the command
/// line the pipeline runner starts the stage with (`arguments`). A flag's name is its property's
/// name in kebab case (`testFraction` → `--test-fraction`), its manifest key the same in snake case
/// (`test_fraction`): one name, one default, one check (`validate()`), in one place.
///
///     struct NormaliseOptions: StageOptionSet {
///         @Option(help: "…") var method: NormalisationMethod = .baseline
///     }
///     try NormaliseOptions.parse(["--method", "none"]).arguments   // ["--method=none", "--lambda=10.0", …]
///
/// Every option must have a default (the runner's command lines and the manifest's defaults come
/// from `parse([])`), and names are the properties' own (no custom `name:`): a test round-trips
/// every option set through `arguments`.
public protocol StageOptionSet: ParsableArguments, Encodable, Sendable {}

extension StageOptionSet {
    /// The option values in declaration order: (property name, value).
    public var entries: [(name: String, value: ArgumentValue)] { ArgumentsEncoder.entries(of: self) }

    /// The command line that gives these values: every option that has a value, in declaration
    /// order (`--seed=42 --test-fraction=0.1`; a list repeats its flag; a true flag alone). Values
    /// are joined to their flags, so one that starts with `-` (`--rating-min=-10`) is a value.
    public var arguments: [String] {
        entries.flatMap { name, value -> [String] in
            let flag = "--" + OptionName.kebab(name)
            switch value {
            case .absent, .flag(false): return []
            case .flag(true): return [flag]
            case .text(let text): return [flag + "=" + text]
            case .list(let items): return items.map { flag + "=" + $0 }
            }
        }
    }

    /// The defaults, as parsing an empty command line gives them.
    public static var defaults: Self {
        // Every option has a default (see the protocol's doc): an empty command line parses.
        try! parse([])
    }

    /// The manifest keys (snake case) of these options, in declaration order.
    public static var manifestKeys: [String] { defaults.entries.map { OptionName.snake($0.name) } }
}

/// One option's value, as the command line carries it.
public enum ArgumentValue: Sendable, Equatable {
    /// An optional option without a value.
    case absent
    case flag(Bool)
    case text(String)
    case list([String])
}

/// The one naming rule between a property, its flag and its manifest key.
///
///     OptionName.kebab("maxRmseIncrease")   // "max-rmse-increase"
///     OptionName.snake("maxRmseIncrease")   // "max_rmse_increase"
public enum OptionName {
    public static func kebab(_ property: String) -> String { words(property, separator: "-") }
    public static func snake(_ property: String) -> String { words(property, separator: "_") }

    static func words(_ property: String, separator: Character) -> String {
        var result = ""
        for character in property {
            if character.isUppercase {
                if !result.isEmpty { result.append(separator) }
                result += character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }
}
