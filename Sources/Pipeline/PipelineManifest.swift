import ArgumentParser
import Essentials
import Foundation
import Models
import SparkEngine
import StageContract
import Yams

/// A pipeline manifest (YAML, under `Pipelines/`): the data, the split, the models to train and
/// evaluate on it, and what to publish. Each stage's section holds that stage's options under
/// their own names (`ingest --test-fraction` is `ingest: {test_fraction: …}`): the sections are
/// decoded into the stages' option structs (`StageContract`), the runner's command lines are
/// encoded from them.
///
/// ```yaml
/// name: movielens-1m                      # plain name; runs go to Runs/<name>/
/// data:
///   folder: ${MOVIELENS_DIR:-Data/movielens}/ml-1m
///   url: https://files.grouplens.org/datasets/movielens/ml-1m.zip   # fetched (md5 checked) if the folder is missing
/// ingest: {split: hash, seed: 42, test_fraction: 0.1}               # the default
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
/// Several splits (`splits: {NAME: {split: …}, …}` instead of `ingest`) train and evaluate every
/// model on each; the first (or `publish.split`) is the one published and gated.
///
/// Stages run in order: ingest, then for each model normalise → factorise → evaluate (or, for a
/// combined model, combine → evaluate), then publish. `${VAR}` and `${VAR:-default}` in any string are taken from the environment. Unknown
/// keys, wrong types and missing required keys are errors naming the file, line and key.
public struct PipelineManifest: Sendable {
    public struct Model: Sendable {
        public var name: String
        public var normalise: NormaliseOptions
        public var factorise: FactoriseOptions
        /// The algorithm's own parameters as given (manifest key → text), checked at load.
        public var parameters: [String: String]
        /// A two-headed model made by `combine` from two models listed before it instead of trained.
        public var combine: Combine?

        public var isCombined: Bool { combine != nil }
    }

    /// `combine`'s inputs (two trained models, by name) and options.
    public struct Combine: Sendable {
        public var rating: String
        public var ranking: String
        public var options: CombineOptions
    }

    /// One split of the data: its name (steps of a manifest with several are `…@NAME`) and ingest's options.
    public struct Split: Sendable {
        public var name: String
        public var options: IngestOptions
    }

    /// What to publish: which model, under which name, trained on which split, with publish's options.
    public struct Publish: Sendable {
        public var model: String
        public var name: String
        public var split: String
        public var options: PublishOptions
    }

    public var path: String
    public var name: String
    public var dataFolder: String
    public var dataFormat: DataFormat
    public var dataURL: String?
    /// One split (`ingest`, named `default`) or several (`splits`).
    public var splits: [Split]
    public var models: [Model]
    public var evaluate: EvaluateOptions
    /// The metrics.json the evaluated model is gated against (CI), if any.
    public var reference: String?
    public var publish: Publish?
    /// The manifest's own text after expansion, for the run folder and the cache key.
    public var text: String

    /// `text` as the run folder keeps it: the value of each secret-looking `spark_conf` key
    /// (`SparkConf.isSecret`) replaced by `(redacted)` on the lines naming that key (a manifest's
    /// `${VAR}` is expanded in `text`, so a secret passed by variable would otherwise be written).
    public var recordedText: String {
        let secrets = models.flatMap { model in
            ((try? SparkConf(model.factorise.sparkConf))?.entries ?? []).filter { SparkConf.isSecret($0.key) && !$0.value.isEmpty }
        }
        guard !secrets.isEmpty else { return text }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var line = String(line)
            for (key, value) in secrets where line.contains(key) {
                line = line.replacingOccurrences(of: value, with: SparkConf.redacted)
            }
            return line
        }.joined(separator: "\n")
    }
    /// Lines of the keys naming input paths, for `checkInputs`.
    var inputLines: [String: Int] = [:]

    /// The name of the split when there is only one.
    public static let defaultSplit = "default"

    // MARK: Schema

    enum Kind { case string, int, number, bool }

    static let dataKeys: [String: Kind] = ["folder": .string, "format": .string, "url": .string]
    /// A factorise section's keys: `FactoriseOptions`' plus every algorithm's declared parameters
    /// (see `Algorithms`); which of those apply is checked against the chosen algorithm once the
    /// section is read.
    static var factoriseKeys: [String] {
        (FactoriseOptions.manifestKeys + Algorithms.allParameters.map(\.name)).sorted()
    }

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
        if let old = top.first(where: { $0.key.string == "split" }) {
            throw PipelineError.manifest(path, line: old.key.mark?.line, "'split' is now 'ingest', with ingest's option names: strategy → split, fraction → test_fraction, name → split_name (ingest: {split: hash, seed: 42, test_fraction: 0.1})")
        }
        let fields = try reader.mapping(top, allowed: ["name", "description", "data", "ingest", "splits", "models", "evaluate", "publish"], at: "")
        guard let nameNode = fields["name"] else { throw PipelineError.manifest(path, line: top.mark?.line, "missing required key 'name'") }
        let name = try reader.scalar(nameNode, .string, key: "name")
        try reader.plainName(name, node: nameNode, key: "name")
        guard let dataNode = fields["data"] else { throw PipelineError.manifest(path, line: top.mark?.line, "missing required key 'data'") }
        let data = try reader.section(dataNode, dataKeys, key: "data")
        var inputLines: [String: Int] = [:]
        inputLines["data.folder"] = reader.valueLine(dataNode, "folder")
        inputLines["evaluate.reference"] = fields["evaluate"].flatMap { reader.valueLine($0, "reference") }
        inputLines["publish.floors"] = fields["publish"].flatMap { reader.valueLine($0, "floors") }
        guard let folder = data["folder"] else { throw PipelineError.manifest(path, line: dataNode.mark?.line, "missing required key 'data.folder'") }
        let formatText = data["format"] ?? DataFormat.auto.rawValue
        guard let format = DataFormat(rawValue: formatText) else {
            throw PipelineError.manifest(path, line: reader.valueLine(dataNode, "format"), "data.format must be \(DataFormat.allCases.map(\.rawValue).joined(separator: " or ")), not '\(formatText)'")
        }

        var splits: [Split] = []
        switch (fields["ingest"], fields["splits"]) {
        case (let ingest?, _?):
            throw PipelineError.manifest(path, line: ingest.mark?.line, "give either 'ingest' (one split) or 'splits' (several), not both")
        case (_, let splitsNode?):
            guard case .mapping(let mapping) = splitsNode, !mapping.isEmpty else {
                throw PipelineError.manifest(path, line: splitsNode.mark?.line, "'splits' must be a mapping of split names to ingest options")
            }
            for (keyNode, value) in mapping {
                let splitName = try reader.scalar(keyNode, .string, key: "splits")
                try reader.plainName(splitName, node: keyNode, key: "splits.\(splitName)")
                let (options, _) = try reader.options(IngestOptions.self, value, key: "splits.\(splitName)")
                splits.append(Split(name: splitName, options: options))
            }
        case (let ingest, nil):
            let options = try ingest.map { try reader.options(IngestOptions.self, $0, key: "ingest").options } ?? IngestOptions.defaults
            splits = [Split(name: defaultSplit, options: options)]
        }

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
                    let (options, heads) = try reader.options(CombineOptions.self, combineNode, key: key, alsoAllowed: ["rating", "ranking"])
                    let trained = models.filter { !$0.isCombined }
                    var sources: [String: String] = [:]
                    for role in ["rating", "ranking"] {
                        guard let node = heads[role] else {
                            throw PipelineError.manifest(path, line: combineNode.mark?.line, "missing required key '\(key).\(role)'")
                        }
                        let source = try reader.scalar(node, .string, key: "\(key).\(role)")
                        guard trained.contains(where: { $0.name == source }) else {
                            throw PipelineError.manifest(path, line: node.mark?.line, "'\(key).\(role)' '\(source)' is not a trained model listed before it (\(trained.isEmpty ? "none" : trained.map(\.name).joined(separator: ", ")))")
                        }
                        sources[role] = source
                    }
                    if let source = trained.first(where: { $0.name == sources["rating"] }), !Algorithms.ratingNames.contains(source.factorise.algorithm.name) {
                        throw PipelineError.manifest(path, line: heads["rating"]?.mark?.line, "'\(key).rating' '\(source.name)' is \(source.factorise.algorithm), which predicts no ratings (a rating head is one of: \(Algorithms.ratingNames.joined(separator: ", ")))")
                    }
                    models.append(Model(name: modelName, normalise: .defaults, factorise: .defaults, parameters: [:],
                                        combine: Combine(rating: sources["rating"]!, ranking: sources["ranking"]!, options: options)))
                    continue
                }
                let normalise = try entry["normalise"].map { try reader.options(NormaliseOptions.self, $0, key: "models[\(index)].normalise").options } ?? .defaults
                let factoriseKey = "models[\(index)].factorise"
                let (factorise, given) = try entry["factorise"].map {
                    try reader.options(FactoriseOptions.self, $0, key: factoriseKey, alsoAllowed: Algorithms.allParameters.map(\.name),
                                       allowedInMessage: factoriseKeys)
                } ?? (.defaults, [:])
                var parameters: [String: String] = [:]
                for (key, node) in given {
                    let parameter = Algorithms.allParameters.first { $0.name == key }!
                    let kind: Kind = switch parameter.kind {
                    case .integer: .int
                    case .real: .number
                    case .choice: .string
                    }
                    parameters[key] = try reader.scalar(node, kind, key: "\(factoriseKey).\(key)")
                }
                do {
                    _ = try factorise.makeAlgorithm(parameters: parameters)
                } catch let error as ValidationError {
                    throw PipelineError.manifest(path, line: (entry["factorise"] ?? item).mark?.line, "\(factoriseKey): \(error.message)")
                }
                models.append(Model(name: modelName, normalise: normalise, factorise: factorise, parameters: parameters))
            }
        } else {
            var normalise = NormaliseOptions.defaults, factorise = FactoriseOptions.defaults
            normalise.method = .none
            factorise.algorithm = AlgorithmName(BPMF.name)
            models = [Model(name: BPMF.name, normalise: normalise, factorise: factorise, parameters: [:])]
        }
        let (evaluate, evaluateExtras) = try fields["evaluate"].map {
            try reader.options(EvaluateOptions.self, $0, key: "evaluate", alsoAllowed: ["reference"])
        } ?? (.defaults, [:])
        let reference = try evaluateExtras["reference"].map { try reader.scalar($0, .string, key: "evaluate.reference") }
        var publish: Publish? = nil
        if let publishNode = fields["publish"] {
            if let relevance = reader.keyLine(publishNode, "relevance") {
                throw PipelineError.manifest(path, line: relevance, "'publish.relevance' is evaluate.relevance: the gate judges relevance as the evaluation does")
            }
            var (options, extras) = try reader.options(PublishOptions.self, publishNode, key: "publish", alsoAllowed: ["model", "name", "split"])
            options.relevance = evaluate.relevance
            let target = try extras["model"].map { try reader.scalar($0, .string, key: "publish.model") } ?? models[0].name
            guard models.contains(where: { $0.name == target }) else {
                throw PipelineError.manifest(path, line: extras["model"]?.mark?.line ?? publishNode.mark?.line, "publish.model '\(target)' is not one of the models (\(models.map(\.name).joined(separator: ", ")))")
            }
            let published = try extras["name"].map { try reader.scalar($0, .string, key: "publish.name") } ?? name
            try reader.plainName(published, node: extras["name"] ?? publishNode, key: "publish.name")
            let split = try extras["split"].map { try reader.scalar($0, .string, key: "publish.split") } ?? splits[0].name
            guard splits.contains(where: { $0.name == split }) else {
                throw PipelineError.manifest(path, line: extras["split"]?.mark?.line, "publish.split '\(split)' is not one of the splits (\(splits.map(\.name).joined(separator: ", ")))")
            }
            publish = Publish(model: target, name: published, split: split, options: options)
        }
        return PipelineManifest(path: path, name: name, dataFolder: folder, dataFormat: format, dataURL: data["url"],
                                splits: splits, models: models, evaluate: evaluate, reference: reference, publish: publish, text: text,
                                inputLines: inputLines)
    }

    /// Checks that the input paths exist: the data folder (unless a URL can fetch it) and the
    /// reference metrics. Errors name the file, line and key.
    public func checkInputs() throws {
        var isDirectory: ObjCBool = false
        let present = FileManager.default.fileExists(atPath: dataFolder, isDirectory: &isDirectory)
        if present && !isDirectory.boolValue && dataFormat == .auto {
            throw PipelineError.manifest(path, line: inputLines["data.folder"], "'data.folder' \(dataFolder) is a file, not a MovieLens folder (for a CSV file set data.format: csv)")
        }
        if !present && dataURL == nil {
            throw PipelineError.manifest(path, line: inputLines["data.folder"], "'data.folder' \(dataFolder) does not exist and no data.url is given to fetch it (set MOVIELENS_DIR or run Scripts/fetch-movielens)")
        }
        if let reference, !FileManager.default.fileExists(atPath: reference) {
            throw PipelineError.manifest(path, line: inputLines["evaluate.reference"], "'evaluate.reference' \(reference) does not exist")
        }
        if let floors = publish?.options.floors {
            guard FileManager.default.fileExists(atPath: floors) else {
                throw PipelineError.manifest(path, line: inputLines["publish.floors"], "'publish.floors' \(floors) does not exist")
            }
            guard publish?.options.gate == true else {
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
            guard case .scalar(let scalar) = node else { throw fail(kind == .string ? "a string" : "a single value") }
            switch kind {
            case .int: guard let value = node.int else { throw fail("a whole number") }; return String(value)
            case .number: guard let value = node.float, value.isFinite else { throw fail("a number") }; return String(value)
            case .bool: guard let value = node.bool else { throw fail("true or false") }; return String(value)
            case .string: return scalar.string
            }
        }

        /// The line of `key`'s value in a mapping node.
        func valueLine(_ node: Node, _ key: String) -> Int? {
            guard case .mapping(let mapping) = node else { return nil }
            return mapping.first { $0.key.string == key }?.value.mark?.line
        }

        /// The line of `key` itself in a mapping node, nil when absent.
        func keyLine(_ node: Node, _ key: String) -> Int? {
            guard case .mapping(let mapping) = node else { return nil }
            return mapping.first { $0.key.string == key }?.key.mark?.line
        }

        /// A section decoded into a stage's options: each key is the option's name in snake case,
        /// given to the stage's own parser (`--name value`; a list repeats the flag; a flag is
        /// true or false), so types, ranges and choices are checked by the one declaration and an
        /// error names the key's line. Keys in `alsoAllowed` are the manifest's own (another
        /// model's name, a reference file): returned as nodes.
        func options<Options: StageOptionSet>(
            _: Options.Type, _ node: Node, key section: String, alsoAllowed: [String] = [], allowedInMessage: [String]? = nil
        ) throws -> (options: Options, extras: [String: Node]) {
            guard case .mapping(let mapping) = node else {
                throw PipelineError.manifest(file, line: node.mark?.line, "'\(section)' must be a mapping")
            }
            let defaults = Dictionary(uniqueKeysWithValues: Options.defaults.entries.map { (OptionName.snake($0.name), $0) })
            let allowed = allowedInMessage ?? (Options.manifestKeys + alsoAllowed).sorted()
            var arguments: [String] = []
            var extras: [String: Node] = [:]
            var lines: [(flag: String, key: String, line: Int?)] = []
            for (keyNode, value) in mapping {
                guard let key = keyNode.string else {
                    throw PipelineError.manifest(file, line: keyNode.mark?.line, "keys must be plain strings")
                }
                if alsoAllowed.contains(key) {
                    extras[key] = value
                    continue
                }
                guard let declared = defaults[key] else {
                    throw PipelineError.manifest(file, line: keyNode.mark?.line, "unknown key '\(section).\(key)' (expected one of: \(allowed.joined(separator: ", ")))")
                }
                let flag = "--" + OptionName.kebab(declared.name)
                switch (declared.value, value) {
                case (.flag, _):
                    if try scalar(value, .bool, key: "\(section).\(key)") == "true" { arguments.append(flag) }
                case (.list, .sequence(let items)):
                    guard !items.isEmpty else {
                        throw PipelineError.manifest(file, line: value.mark?.line, "'\(section).\(key)' must be a non-empty list")
                    }
                    arguments += try items.map { flag + "=" + (try scalar($0, .string, key: "\(section).\(key)")) }
                case (.list, .mapping(let pairs)):
                    // A list of key=value words (factorise's spark_conf) written as a mapping.
                    guard !pairs.isEmpty else {
                        throw PipelineError.manifest(file, line: value.mark?.line, "'\(section).\(key)' must be a non-empty mapping")
                    }
                    for (name, item) in pairs {
                        guard let name = name.string else {
                            throw PipelineError.manifest(file, line: name.mark?.line, "'\(section).\(key)': keys must be plain strings")
                        }
                        arguments.append(flag + "=" + name + "=" + (try scalar(item, .string, key: "\(section).\(key).\(name)")))
                    }
                default:
                    // Joined to the flag, so that a value starting with '-' stays a value.
                    arguments.append(flag + "=" + (try scalar(value, .string, key: "\(section).\(key)")))
                }
                lines.append((flag, key, value.mark?.line))
            }
            do {
                return (try Options.parse(arguments), extras)
            } catch {
                // The stage's own parser and checks judged the section; the error names the flag it
                // is about (the first one it mentions), so it is reported at that key's line.
                // On one line: a long list of choices comes as "…one of the following:\n  - a\n  - b".
                let parts = Options.message(for: error).split(separator: "\n").map(String.init)
                let items = parts.dropFirst().map { $0.hasPrefix("  - ") ? String($0.dropFirst(4)) : $0 }
                let message = ([parts.first ?? ""] + [items.joined(separator: ", ")].filter { !$0.isEmpty }).joined(separator: " ")
                func position(_ flag: String) -> String.Index? {
                    var searched = message.startIndex
                    while let found = message.range(of: flag, range: searched..<message.endIndex) {
                        let next = found.upperBound
                        if next == message.endIndex || !(message[next].isLetter || message[next].isNumber || message[next] == "-") {
                            return found.lowerBound
                        }
                        searched = next
                    }
                    return nil
                }
                let culprit = lines.compactMap { entry in position(entry.flag).map { (entry, $0) } }.min { $0.1 < $1.1 }?.0
                if let culprit {
                    throw PipelineError.manifest(file, line: culprit.line, "'\(section).\(culprit.key)': \(message)")
                }
                throw PipelineError.manifest(file, line: node.mark?.line, "'\(section)': \(message)")
            }
        }

        func plainName(_ name: String, node: Node, key: String) throws {
            if let problem = PlainName.problem(name) {
                throw PipelineError.manifest(file, line: node.mark?.line, "'\(key)' '\(name)' \(problem)")
            }
        }
    }
}
