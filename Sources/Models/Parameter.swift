import Essentials
import Foundation
import ModelFormat

/// One hyper-parameter, declared once by the algorithm that has it: name, type, default, range
/// and a one-line help. Everything else is derived from these declarations: `factorise`'s
/// options and `--help`, the validation messages, the pipeline manifest's schema, the `params`
/// JSON stored in model files, and the README's parameter table.
///
///     static let rank = Parameter.integer("rank", default: 64, minimum: 1, help: "latent factors")
///     rank.flag            // "--rank"
///     rank.rangeText       // "≥ 1"
public struct Parameter: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case integer(minimum: Int, maximum: Int?)
        /// `exclusiveMinimum`: the value must be above `minimum`, not equal to it.
        case real(minimum: Double, exclusiveMinimum: Bool, maximum: Double?)
        case choice([String])
    }

    /// snake_case: the manifest key and, with `-` for `_`, the command-line flag.
    public let name: String
    public let kind: Kind
    public let defaultValue: ParameterValue
    public let help: String

    public static func integer(_ name: String, default value: Int, minimum: Int, maximum: Int? = nil, help: String) -> Parameter {
        Parameter(name: name, kind: .integer(minimum: minimum, maximum: maximum), defaultValue: .integer(value), help: help)
    }

    public static func real(_ name: String, default value: Double, minimum: Double, exclusiveMinimum: Bool = false,
                            maximum: Double? = nil, help: String) -> Parameter {
        Parameter(name: name, kind: .real(minimum: minimum, exclusiveMinimum: exclusiveMinimum, maximum: maximum),
                  defaultValue: .real(value), help: help)
    }

    public static func choice(_ name: String, default value: String, _ choices: [String], help: String) -> Parameter {
        Parameter(name: name, kind: .choice(choices), defaultValue: .text(value), help: help)
    }

    public var flag: String { "--" + name.replacingOccurrences(of: "_", with: "-") }

    /// "N" (whole number), "X" (number) or "a|b|c".
    public var placeholder: String {
        switch kind {
        case .integer: "N"
        case .real: "X"
        case .choice(let choices): choices.joined(separator: "|")
        }
    }

    /// The allowed range in words: "≥ 1", "> 0", "0–2", "auto, exact or randomized".
    public var rangeText: String {
        func number(_ value: Double) -> String { ParameterValue.real(value).description }
        switch kind {
        case .integer(let minimum, let maximum):
            return maximum.map { "\(minimum)–\($0)" } ?? "≥ \(minimum)"
        case .real(let minimum, let exclusive, let maximum):
            if let maximum { return exclusive ? "> \(number(minimum)) and ≤ \(number(maximum))" : "\(number(minimum))–\(number(maximum))" }
            return (exclusive ? "> " : "≥ ") + number(minimum)
        case .choice(let choices):
            return choices.dropLast().joined(separator: ", ") + (choices.count > 1 ? " or " : "") + (choices.last ?? "")
        }
    }

    /// Reads a value from text (command line, manifest): bad input naming the parameter when
    /// it is not of the parameter's type. The range is checked by `check`.
    public func parse(_ text: String, algorithm: String) throws -> ParameterValue {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch kind {
        case .integer:
            guard let value = Int(trimmed) else { throw ModelsError.badParameter("\(algorithm): \(name) must be a whole number, not '\(text)'") }
            return .integer(value)
        case .real:
            guard let value = Double(trimmed), value.isFinite else { throw ModelsError.badParameter("\(algorithm): \(name) must be a number, not '\(text)'") }
            return .real(value)
        case .choice:
            return .text(trimmed)
        }
    }

    /// The value in this parameter's type and range, or bad input saying what is allowed.
    public func check(_ value: ParameterValue, algorithm: String) throws -> ParameterValue {
        let refuse = { ModelsError.badParameter("\(algorithm): \(name) \(value) must be \(rangeText)") }
        switch (kind, value) {
        case (.integer(let minimum, let maximum), .integer(let x)):
            guard x >= minimum, x <= (maximum ?? .max) else { throw refuse() }
            return value
        case (.real(let minimum, let exclusive, let maximum), .real(let x)):
            // The loops compute in Float: the value must survive the conversion (1e39 would become
            // infinity, 1e-50 zero).
            let single = Double(Float(x))
            guard x.isFinite, single.isFinite, exclusive ? x > minimum && single > minimum : x >= minimum,
                  x <= (maximum ?? .infinity) else { throw refuse() }
            return value
        case (.real, .integer(let x)):
            return try check(.real(Double(x)), algorithm: algorithm)
        case (.choice(let choices), .text(let x)):
            guard choices.contains(x) else {
                throw ModelsError.badParameter("\(algorithm): \(name) '\(x)' must be \(rangeText)")
            }
            return value
        default:
            throw ModelsError.badParameter("\(algorithm): \(name) must be \(placeholder == "N" ? "a whole number" : placeholder == "X" ? "a number" : rangeText), not \(value)")
        }
    }
}

/// Every parameter of one algorithm with its value (defaults filled in, ranges checked), plus the
/// seed. Its JSON (`params` in model files and manifests) has sorted snake_case keys:
/// `{"alpha":0.75,"init_scale":0.1,"iterations":15,"lambda":0.3,"rank":64,"seed":42}`.
public struct ParameterValues: Sendable, Equatable, Encodable {
    public private(set) var values: [String: ParameterValue]
    public let seed: UInt64

    /// Fills in defaults and checks every given value against `parameters`; a name the algorithm
    /// does not have is refused with the list of those it has.
    public static func resolve(_ given: [String: ParameterValue], for parameters: [Parameter], algorithm: String,
                               seed: UInt64) throws -> ParameterValues {
        for name in given.keys.sorted() where !parameters.contains(where: { $0.name == name }) {
            throw ModelsError.badParameter("\(algorithm) has no parameter '\(name)' (its parameters: \(parameters.map(\.name).joined(separator: ", ")))")
        }
        var values: [String: ParameterValue] = [:]
        for parameter in parameters {
            values[parameter.name] = try parameter.check(given[parameter.name] ?? parameter.defaultValue, algorithm: algorithm)
        }
        return ParameterValues(values: values, seed: seed)
    }

    public func integer(_ parameter: Parameter) -> Int {
        if case .integer(let value) = values[parameter.name] { return value }
        preconditionFailure("\(parameter.name) is not a resolved integer parameter")
    }

    public func real(_ parameter: Parameter) -> Double {
        switch values[parameter.name] {
        case .real(let value): return value
        case .integer(let value): return Double(value)
        default: preconditionFailure("\(parameter.name) is not a resolved real parameter")
        }
    }

    public func text(_ parameter: Parameter) -> String {
        if case .text(let value) = values[parameter.name] { return value }
        preconditionFailure("\(parameter.name) is not a resolved choice parameter")
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (name, value) in values { try container.encode(value, forKey: Key(stringValue: name)) }
        try container.encode(seed, forKey: Key(stringValue: "seed"))
    }

    /// Canonical JSON (sorted keys), as stored in files.
    public var json: String { JSON.line(self) }

    /// The same, as a value to embed in other JSON.
    public var jsonValue: JSONValue {
        var object: [String: JSONValue] = ["seed": .unsigned(seed)]
        for (name, value) in values {
            switch value {
            case .integer(let x): object[name] = .int(x)
            case .real(let x): object[name] = .number(x)
            case .text(let x): object[name] = .string(x)
            }
        }
        return .object(object)
    }
}
