import Essentials
import ModelFormat

/// The algorithm registry, and what is derived from the algorithms' parameter declarations.
public enum Algorithms {
    public static let all: [any Algorithm.Type] = [SVD.self, PCA.self, ALS.self, BPMF.self, BayesianFM.self, EASE.self, SparkALS.self, SparkIALS.self]
    public static var names: [String] { all.map { $0.name } }
    /// The algorithms an engine trains (`factorise --engine`).
    public static func names(engine: TrainingEngine) -> [String] { all.filter { $0.engine == engine }.map { $0.name } }
    /// The algorithms whose models can be a rating head.
    public static var ratingNames: [String] { all.filter { $0.predictsRatings }.map { $0.name } }
    /// `factorise`'s own options (and manifest keys), which no algorithm parameter may be named
    /// (`FactoriseOptions` declares them; a test keeps the two lists equal).
    public static let commonKeys = ["algorithm", "seed", "neighbours", "engine", "master", "spark_conf", "spark_deadline", "spark_data"]
    /// The algorithm `factorise` trains when none is named.
    public static let defaultName = ALS.name
    /// See `Algorithm.validateDense`.
    public static let maximumDenseElements = 1 << 31

    /// The algorithm named `name`, or bad input listing the names.
    public static func type(named name: String) throws -> any Algorithm.Type {
        guard let type = all.first(where: { $0.name == name }) else {
            throw ModelsError.badParameter("unknown algorithm '\(name)': expected one of \(names.joined(separator: ", "))")
        }
        return type
    }

    /// `name` with `given` values (defaults for the rest).
    public static func make(_ name: String, _ given: [String: ParameterValue] = [:], seed: UInt64 = 42) throws -> any Algorithm {
        try type(named: name).make(given, seed: seed)
    }

    /// `name` with values given as text (command line, manifest): each parsed by its declaration.
    public static func make(_ name: String, text given: [String: String], seed: UInt64 = 42) throws -> any Algorithm {
        let type = try type(named: name)
        var values: [String: ParameterValue] = [:]
        for (key, text) in given {
            guard let parameter = type.parameters.first(where: { $0.name == key }) else {
                throw ModelsError.badParameter("\(name) has no parameter '\(key)' (its parameters: \(type.parameters.map(\.name).joined(separator: ", ")))")
            }
            values[key] = try parameter.parse(text, algorithm: name)
        }
        return try type.make(values, seed: seed)
    }

    /// Every parameter name of any algorithm, with its declaration (the first, if several share it).
    public static var allParameters: [Parameter] {
        var seen: [Parameter] = []
        for type in all { for parameter in type.parameters where !seen.contains(where: { $0.name == parameter.name }) { seen.append(parameter) } }
        return seen
    }

    /// The parameters per algorithm for `factorise --help`.
    public static var helpText: String {
        all.map { type in
            let lines = type.parameters.map { parameter in
                let option = "\(parameter.flag) \(parameter.placeholder)"
                let padding = String(repeating: " ", count: max(1, 26 - option.count))
                return "    \(option)\(padding)\(parameter.help) (default \(parameter.defaultValue); \(parameter.rangeText))"
            }
            return (["  \(type.name): \(type.summary)"] + lines).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// The README's parameter table (Markdown), kept equal to this by a test.
    public static var markdownTable: String {
        var lines = ["| algorithm | parameter | default | range | meaning |", "|---|---|---|---|---|"]
        for type in all {
            for parameter in type.parameters {
                lines.append("| `\(type.name)` | `\(parameter.name)` (`\(parameter.flag)`) | \(parameter.defaultValue) | \(parameter.rangeText) | \(parameter.help) |")
            }
        }
        return lines.joined(separator: "\n")
    }
}
