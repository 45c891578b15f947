import ArgumentParser
import Models
import SparkEngine

/// `factorise`'s own options (a manifest model's `factorise` section, beside the chosen
/// algorithm's parameters, which each algorithm declares in `Models`: see `Algorithms`).
///
///     factorise --input train.h5 --output model.h5 --algorithm als --seed 42 --neighbours 50 --rank 32
///     # manifest:  factorise: {algorithm: als, seed: 42, neighbours: 50, rank: 32}
///
/// On Spark (`SparkEngine`): the engine, its master and free Spark properties.
///
///     factorise … --engine spark --algorithm spark-als --master spark://10.0.0.5:7077 \
///               --spark-conf spark.executor.memory=4g --rank 64 --reg-param 0.05
///     # manifest:  factorise: {engine: spark, algorithm: spark-als, master: "spark://10.0.0.5:7077",
///     #                        spark_conf: {spark.executor.memory: 4g}, rank: 64, reg_param: 0.05}
public struct FactoriseOptions: StageOptionSet {
    @Option(help: ArgumentHelp("The algorithm to train.", valueName: "algorithm"))
    public var algorithm = AlgorithmName(Algorithms.defaultName)

    @Option(help: "Random seed (recorded in the model).")
    public var seed: UInt64 = 42

    @Option(help: ArgumentHelp("\"Movies like this one\" kept per movie (0–\(Neighbours.maximumCount)): cosine of the movie factors, or EASE's largest weights.", valueName: "n"))
    public var neighbours: Int = Neighbours.defaultCount

    @Option(help: ArgumentHelp("Where to train: in-process, or spark (Apache Spark MLlib: --algorithm spark-als or spark-ials).", valueName: "engine"))
    public var engine: TrainingEngine = .inProcess

    @Option(help: ArgumentHelp("--engine spark: the Spark master (\(SparkMaster.expected); default \(Self.defaultMaster)).", valueName: "url"))
    public var master: String?

    @Option(help: ArgumentHelp("--engine spark: a Spark property, key=value (repeatable); the values of keys naming a password, token, secret, credential or key are never recorded.", valueName: "key=value"))
    public var sparkConf: [String] = []

    @Option(help: ArgumentHelp("--engine spark: seconds a cluster may leave the job without an executor (none registered, or all lost) before it fails; default \(Int(Self.defaultDeadline)).", valueName: "seconds"))
    public var sparkDeadline: Double?

    @Option(help: ArgumentHelp("--engine spark: a folder or URI the cluster reads, for the exported ratings (default: a temporary folder on this machine).", valueName: "uri"))
    public var sparkData: String?

    public static let defaultMaster = "local[2]"
    public static let defaultDeadline: Double = 120

    public init() {}

    public func validate() throws {
        guard neighbours >= 0 && neighbours <= Neighbours.maximumCount else {
            throw ValidationError("--neighbours must be between 0 and \(Neighbours.maximumCount), not \(neighbours)")
        }
        if engine == .spark {
            if let sparkDeadline, !(sparkDeadline > 0 && sparkDeadline <= 86_400) {
                throw ValidationError("--spark-deadline must be more than 0 and at most 86400 seconds, not \(sparkDeadline)")
            }
            _ = try sparkSettings()
        } else if master != nil || !sparkConf.isEmpty || sparkData != nil || sparkDeadline != nil {
            throw ValidationError("--master, --spark-conf, --spark-data and --spark-deadline go with --engine spark")
        }
        if let type = try? Algorithms.type(named: algorithm.name), type.engine != engine {
            throw ValidationError(engine == .spark
                ? "--engine spark trains \(Algorithms.names(engine: .spark).joined(separator: " or ")), not --algorithm \(algorithm)"
                : "--algorithm \(algorithm) trains on Apache Spark: give --engine spark (and --master)")
        }
    }

    /// The Spark settings these options give (`--engine spark`); bad input naming the option.
    public func sparkSettings() throws -> SparkSettings {
        do {
            if let sparkData { try SparkSettings.checkDataURI(sparkData) }
            return SparkSettings(master: try SparkMaster(master ?? Self.defaultMaster), conf: try SparkConf(sparkConf),
                                 deadline: sparkDeadline ?? Self.defaultDeadline, dataURI: sparkData)
        } catch {
            throw ValidationError(error.message)
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
