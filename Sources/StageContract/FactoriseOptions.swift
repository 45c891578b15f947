import ArgumentParser
import Models

/// `factorise`'s own options (a manifest model's `factorise` section, beside the chosen
/// algorithm's parameters, which each algorithm declares in `Models`: see `Algorithms`).
///
///     factorise --input train.h5 --output model.h5 --algorithm als --seed 42 --neighbours 50 --rank 32
///     # manifest:  factorise: {algorithm: als, seed: 42, neighbours: 50, rank: 32}
public struct FactoriseOptions: StageOptionSet {
    @Option(help: ArgumentHelp("The algorithm to train.", valueName: "algorithm"))
    public var algorithm = AlgorithmName(Algorithms.defaultName)

    @Option(help: "Random seed (recorded in the model).")
    public var seed: UInt64 = 42

    @Option(help: ArgumentHelp("\"Movies like this one\" kept per movie (0–\(Neighbours.maximumCount)): cosine of the movie factors, or EASE's largest weights.", valueName: "n"))
    public var neighbours: Int = Neighbours.defaultCount

    public init() {}

    public func validate() throws {
        guard neighbours >= 0 && neighbours <= Neighbours.maximumCount else {
            throw ValidationError("--neighbours must be between 0 and \(Neighbours.maximumCount), not \(neighbours)")
        }
    }

    /// The algorithm with these options' seed and the given parameters (`--rank 32` → "rank": "32").
    public func makeAlgorithm(parameters: [String: String]) throws -> any Algorithm {
        do { return try Algorithms.make(algorithm.name, text: parameters, seed: seed) } catch let error as ModelsError {
            throw ValidationError(error.message)
        }
    }
}

/// An algorithm's name as `--algorithm` takes it: one of `Algorithms.names` (the registry is the
/// list of choices, so `--help` and the parse error name them).
public struct AlgorithmName: ExpressibleByArgument, Codable, Sendable, Equatable, CustomStringConvertible {
    public let name: String

    /// A registered name (a programming error otherwise).
    public init(_ name: String) {
        precondition(Algorithms.names.contains(name), "\(name) is not a registered algorithm")
        self.name = name
    }

    public init?(argument: String) {
        guard Algorithms.names.contains(argument) else { return nil }
        name = argument
    }

    public static var allValueStrings: [String] { Algorithms.names }
    public var description: String { name }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard Algorithms.names.contains(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown algorithm '\(text)'"))
        }
        name = text
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}
