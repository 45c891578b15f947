import Essentials
import Foundation
import Models
import Yams

/// A pipeline manifest (YAML, under `Pipelines/`): the data, the split, the models to train and
/// evaluate on it, and what to publish.
///
/// ```yaml
/// name: movielens-1m                      # plain name; runs go to Runs/<name>/
/// data:
///   folder: ${MOVIELENS_DIR:-Data/movielens}/ml-1m
///   url: https://files.grouplens.org/datasets/movielens/ml-1m.zip   # fetched (md5 checked) if the folder is missing
/// split: {strategy: hash, seed: 42, fraction: 0.1}                   # the default
/// models:                                   # default: one bpmf model on raw ratings
///   - name: bpmf
///     normalise: {method: none}
///     factorise: {algorithm: bpmf, neighbours: 50}
///   - name: ease
///     factorise: {algorithm: ease}
///   - name: served                          # two heads: bpmf predicts ratings, ease ranks
///     combine: {rating: bpmf, ranking: ease, neighbours_from: ranking}
/// evaluate: {k: [5, 10, 20], relevance: 4, reference: Pipelines/reference/movielens-1m.json}
/// publish: {model: served, name: movielens-1m, gate: true, floors: Pipelines/floors/movielens-1m.json}
/// ```
///
/// Stages run in order: ingest, then for each model normalise → factorise → evaluate (or, for a
/// combined model, combine → evaluate), then publish. `${VAR}` and `${VAR:-default}` in any string are taken from the environment. Unknown
/// keys, wrong types and missing required keys are errors naming the file, line and key.
public struct PipelineManifest: Sendable, Equatable {
    public struct Model: Sendable, Equatable {
        public var name: String
        public var normalise: [String: String]
        public var factorise: [String: String]
        /// A two-headed model made by `combine` from two models listed before it (`rating`,
        /// `ranking`, `neighbours_from`) instead of trained: then `normalise` and `factorise` are empty.
        public var combine: [String: String]?

        public init(name: String, normalise: [String: String], factorise: [String: String], combine: [String: String]? = nil) {
            self.name = name
            self.normalise = normalise
            self.factorise = factorise
            self.combine = combine
        }
    }

    public var path: String
    public var name: String
    public var dataFolder: String
    public var dataFormat: String
    public var dataURL: String?
    /// ingest options (`--split hash --seed 42 …`) as key → value.
    public var split: [String: String]
    public var models: [Model]
    public var evaluate: [String: String]
    /// The metrics.json the evaluated model is gated against (CI), if any.
    public var reference: String?
    public var publish: [String: String]?
    /// The manifest's own text after expansion, for the run folder and the cache key.
    public var text: String
    /// Lines of the keys naming input paths, for `checkInputs`.
    var inputLines: [String: Int] = [:]

    // MARK: Schema

    enum Kind { case string, int, number, bool, intList }

    static let splitKeys: [String: Kind] = ["strategy": .string, "seed": .int, "fraction": .number, "name": .string, "holdout_per_user": .int]
    static let normaliseKeys: [String: Kind] = ["method": .string, "lambda": .number, "iterations": .int]
    static let combineKeys: [String: Kind] = ["rating": .string, "ranking": .string, "neighbours_from": .string]
    /// `factorise`'s own keys plus every algorithm's declared parameters (see `Algorithms`); which
    /// of those apply is checked against the chosen algorithm once the section is read.
    static let factoriseKeys: [String: Kind] = {
        var keys: [String: Kind] = ["algorithm": .string, "seed": .int, "neighbours": .int]  // Algorithms.commonKeys
        for parameter in Algorithms.allParameters {
            switch parameter.kind {
            case .integer: keys[parameter.name] = .int
            case .real: keys[parameter.name] = .number
            case .choice: keys[parameter.name] = .string
            }
        }
        return keys
    }()
    static let evaluateKeys: [String: Kind] = [
        "k": .intList, "relevance": .number, "reference": .string, "max_rmse_increase": .number, "max_precision_drop": .number, "gate_k": .int,
    ]
    static let publishKeys: [String: Kind] = [
        "model": .string, "name": .string, "gate": .bool, "promote": .bool,
        "max_rmse_increase": .number, "max_precision_drop": .number, "gate_k": .int, "floors": .string,
    ]

    // MARK: Loading

    public static func load(_ path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PipelineManifest {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw PipelineError.manifest(path, line: nil, "cannot read the manifest")
        }
        let raw = String(decoding: bytes, as: UTF8.self)
        let text = try expand(raw, file: path, environment: environment)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw PipelineError.manifest(path, line: yamlLine(error), "not valid YAML: \(yamlProblem(error))")
        }
        guard let root, case .mapping(let top) = root else {
            throw PipelineError.manifest(path, line: root?.mark?.line, "the manifest must be a mapping with at least 'name' and 'data'")
        }
        let reader = Reader(file: path)
        let fields = try reader.mapping(top, allowed: ["name", "description", "data", "split", "models", "evaluate", "publish"], at: "")
        guard let nameNode = fields["name"] else { throw PipelineError.manifest(path, line: top.mark?.line, "missing required key 'name'") }
        let name = try reader.scalar(nameNode, .string, key: "name")
        try reader.plainName(name, node: nameNode, key: "name")
        guard let dataNode = fields["data"] else { throw PipelineError.manifest(path, line: top.mark?.line, "missing required key 'data'") }
        let data = try reader.section(dataNode, ["folder": .string, "format": .string, "url": .string], key: "data")
        var inputLines: [String: Int] = [:]
        if case .mapping(let mapping) = dataNode {
            for (key, value) in mapping where key.string == "folder" { inputLines["data.folder"] = value.mark?.line }
        }
        if let evaluateNode = fields["evaluate"], case .mapping(let mapping) = evaluateNode {
            for (key, value) in mapping where key.string == "reference" { inputLines["evaluate.reference"] = value.mark?.line }
        }
        if let publishNode = fields["publish"], case .mapping(let mapping) = publishNode {
            for (key, value) in mapping where key.string == "floors" { inputLines["publish.floors"] = value.mark?.line }
        }
        guard let folder = data["folder"] else { throw PipelineError.manifest(path, line: dataNode.mark?.line, "missing required key 'data.folder'") }
        let format = data["format"] ?? "auto"
        guard ["auto", "csv"].contains(format) else {
            throw PipelineError.manifest(path, line: dataNode.mark?.line, "data.format must be auto or csv, not '\(format)'")
        }
        let split = try fields["split"].map { try reader.section($0, splitKeys, key: "split") } ?? [:]

        var models: [Model] = []
        if let modelsNode = fields["models"] {
            guard case .sequence(let list) = modelsNode, !list.isEmpty else {
                throw PipelineError.manifest(path, line: modelsNode.mark?.line, "'models' must be a non-empty list")
            }
            for (index, item) in list.enumerated() {
                guard case .mapping(let mapping) = item else {
                    throw PipelineError.manifest(path, line: item.mark?.line, "models[\(index)] must be a mapping with name, normalise and factorise (or combine)")
                }
                let entry = try reader.mapping(mapping, allowed: ["name", "normalise", "factorise", "combine"], at: "models[\(index)].")
                guard let nameNode = entry["name"] else {
                    throw PipelineError.manifest(path, line: item.mark?.line, "missing required key 'models[\(index)].name'")
                }
                let modelName = try reader.scalar(nameNode, .string, key: "models[\(index)].name")
                try reader.plainName(modelName, node: nameNode, key: "models[\(index)].name")
                if models.contains(where: { $0.name == modelName }) {
                    throw PipelineError.manifest(path, line: nameNode.mark?.line, "model name '\(modelName)' is used twice")
                }
                if let combineNode = entry["combine"] {
                    let key = "models[\(index)].combine"
                    if entry["normalise"] != nil || entry["factorise"] != nil {
                        throw PipelineError.manifest(path, line: combineNode.mark?.line, "models[\(index)] has 'combine' and also 'normalise' or 'factorise': a combined model is made from two trained ones, not trained itself")
                    }
                    var combine = try reader.section(combineNode, combineKeys, key: key)
                    let trained = models.filter { $0.combine == nil }.map(\.name)
                    for role in ["rating", "ranking"] {
                        guard let source = combine[role] else {
                            throw PipelineError.manifest(path, line: combineNode.mark?.line, "missing required key '\(key).\(role)'")
                        }
                        guard trained.contains(source) else {
                            throw PipelineError.manifest(path, line: combineNode.mark?.line, "'\(key).\(role)' '\(source)' is not a trained model listed before it (\(trained.isEmpty ? "none" : trained.joined(separator: ", ")))")
                        }
                    }
                    if let source = models.first(where: { $0.name == combine["rating"] }),
                       let algorithm = source.factorise["algorithm"], !Algorithms.ratingNames.contains(algorithm) {
                        throw PipelineError.manifest(path, line: combineNode.mark?.line, "'\(key).rating' '\(source.name)' is \(algorithm), which predicts no ratings (a rating head is one of: \(Algorithms.ratingNames.joined(separator: ", ")))")
                    }
                    let from = combine["neighbours_from"] ?? "ranking"
                    guard from == "rating" || from == "ranking" else {
                        throw PipelineError.manifest(path, line: combineNode.mark?.line, "'\(key).neighbours_from' must be rating or ranking, not '\(from)'")
                    }
                    combine["neighbours_from"] = from
                    models.append(Model(name: modelName, normalise: [:], factorise: [:], combine: combine))
                    continue
                }
                let normalise = try entry["normalise"].map { try reader.section($0, normaliseKeys, key: "models[\(index)].normalise") } ?? [:]
                let factorise = try entry["factorise"].map { try reader.section($0, factoriseKeys, key: "models[\(index)].factorise") } ?? [:]
                var parameters = factorise
                for key in Algorithms.commonKeys { parameters.removeValue(forKey: key) }
                do {
                    _ = try Algorithms.make(factorise["algorithm"] ?? "als", text: parameters)
                } catch let error as ModelsError {
                    throw PipelineError.manifest(path, line: (entry["factorise"] ?? item).mark?.line, "models[\(index)].factorise: \(error.message)")
                }
                models.append(Model(name: modelName, normalise: normalise, factorise: factorise))
            }
        } else {
            models = [Model(name: "bpmf", normalise: ["method": "none"], factorise: ["algorithm": "bpmf"])]
        }
        var evaluate = try fields["evaluate"].map { try reader.section($0, evaluateKeys, key: "evaluate") } ?? [:]
        let reference = evaluate.removeValue(forKey: "reference")
        var publish: [String: String]? = nil
        if let publishNode = fields["publish"] {
            var section = try reader.section(publishNode, publishKeys, key: "publish")
            let target = section["model"] ?? models[0].name
            guard models.contains(where: { $0.name == target }) else {
                throw PipelineError.manifest(path, line: publishNode.mark?.line, "publish.model '\(target)' is not one of the models (\(models.map(\.name).joined(separator: ", ")))")
            }
            section["model"] = target
            if section["name"] == nil { section["name"] = name }
            try reader.plainName(section["name"]!, node: publishNode, key: "publish.name")
            publish = section
        }
        return PipelineManifest(path: path, name: name, dataFolder: folder, dataFormat: format, dataURL: data["url"],
                                split: split, models: models, evaluate: evaluate, reference: reference, publish: publish, text: text,
                                inputLines: inputLines)
    }

    /// Checks that the input paths exist: the data folder (unless a URL can fetch it) and the
    /// reference metrics. Errors name the file, line and key.
    public func checkInputs() throws {
        var isDirectory: ObjCBool = false
        let present = FileManager.default.fileExists(atPath: dataFolder, isDirectory: &isDirectory)
        if present && !isDirectory.boolValue && dataFormat == "auto" {
            throw PipelineError.manifest(path, line: inputLines["data.folder"], "'data.folder' \(dataFolder) is a file, not a MovieLens folder (for a CSV file set data.format: csv)")
        }
        if !present && dataURL == nil {
            throw PipelineError.manifest(path, line: inputLines["data.folder"], "'data.folder' \(dataFolder) does not exist and no data.url is given to fetch it (set MOVIELENS_DIR or run Scripts/fetch-movielens)")
        }
        if let reference, !FileManager.default.fileExists(atPath: reference) {
            throw PipelineError.manifest(path, line: inputLines["evaluate.reference"], "'evaluate.reference' \(reference) does not exist")
        }
        if let floors = publish?["floors"] {
            guard FileManager.default.fileExists(atPath: floors) else {
                throw PipelineError.manifest(path, line: inputLines["publish.floors"], "'publish.floors' \(floors) does not exist")
            }
            guard publish?["gate"] == "true" else {
                throw PipelineError.manifest(path, line: inputLines["publish.floors"], "'publish.floors' needs 'publish.gate: true' (floors are part of the gate)")
            }
        }
    }

    /// Replaces `${VAR}` and `${VAR:-default}` from the environment; an unset variable without a
    /// default is an error naming the line.
    static func expand(_ text: String, file: String, environment: [String: String]) throws -> String {
        var output = ""
        for (index, line) in text.components(separatedBy: "\n").enumerated() {
            var rest = Substring(line)
            while let start = rest.range(of: "${") {
                output += rest[..<start.lowerBound]
                guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                    throw PipelineError.manifest(file, line: index + 1, "unterminated '${' (write ${NAME} or ${NAME:-default})")
                }
                let body = rest[start.upperBound..<end]
                let parts = body.components(separatedBy: ":-")
                let variable = parts[0]
                guard !variable.isEmpty, variable.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw PipelineError.manifest(file, line: index + 1, "'${\(body)}' is not a variable reference")
                }
                if let value = environment[variable], !value.isEmpty {
                    output += value
                } else if parts.count > 1 {
                    output += parts.dropFirst().joined(separator: ":-")
                } else {
                    throw PipelineError.manifest(file, line: index + 1, "environment variable \(variable) is not set (give a default: ${\(variable):-value})")
                }
                rest = rest[rest.index(after: end)...]
            }
            output += rest
            output += "\n"
        }
        return String(output.dropLast())
    }

    static func yamlLine(_ error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: nil
        }
    }

    static func yamlProblem(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): problem
        default: "\(error)"
        }
    }

    /// Walks YAML nodes, checking keys and types.
    struct Reader {
        let file: String

        func mapping(_ mapping: Node.Mapping, allowed: [String], at prefix: String) throws -> [String: Node] {
            var result: [String: Node] = [:]
            for (keyNode, value) in mapping {
                guard let key = keyNode.string else {
                    throw PipelineError.manifest(file, line: keyNode.mark?.line, "keys must be plain strings")
                }
                guard allowed.contains(key) else {
                    throw PipelineError.manifest(file, line: keyNode.mark?.line, "unknown key '\(prefix)\(key)' (expected one of: \(allowed.joined(separator: ", ")))")
                }
                result[key] = value
            }
            return result
        }

        func section(_ node: Node, _ schema: [String: Kind], key: String) throws -> [String: String] {
            guard case .mapping(let mapping) = node else {
                throw PipelineError.manifest(file, line: node.mark?.line, "'\(key)' must be a mapping")
            }
            let fields = try self.mapping(mapping, allowed: schema.keys.sorted(), at: key + ".")
            var result: [String: String] = [:]
            for (name, value) in fields { result[name] = try scalar(value, schema[name]!, key: key + "." + name) }
            return result
        }

        func scalar(_ node: Node, _ kind: Kind, key: String) throws -> String {
            func fail(_ expected: String) -> PipelineError {
                PipelineError.manifest(file, line: node.mark?.line, "'\(key)' must be \(expected), not '\(node.string ?? "a \(node)")'")
            }
            switch kind {
            case .intList:
                guard case .sequence(let list) = node else { throw fail("a list of whole numbers") }
                let values = try list.map { item -> Int in
                    guard let value = item.int, value > 0 else { throw fail("a list of positive whole numbers") }
                    return value
                }
                guard !values.isEmpty else { throw fail("a non-empty list of whole numbers") }
                return values.map(String.init).joined(separator: ",")
            default:
                guard case .scalar(let scalar) = node else { throw fail(kind == .string ? "a string" : "a single value") }
                switch kind {
                case .int: guard let value = node.int else { throw fail("a whole number") }; return String(value)
                case .number: guard let value = node.float, value.isFinite else { throw fail("a number") }; return String(value)
                case .bool: guard let value = node.bool else { throw fail("true or false") }; return String(value)
                default: return scalar.string
                }
            }
        }

        func plainName(_ name: String, node: Node, key: String) throws {
            if let problem = PlainName.problem(name) {
                throw PipelineError.manifest(file, line: node.mark?.line, "'\(key)' '\(name)' \(problem)")
            }
        }
    }
}
