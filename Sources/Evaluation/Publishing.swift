import ArtifactStore
import Essentials
import Models
import MovieLens

/// The project's publish gate, as the store takes it (`PublishGate`): `ChallengerGate`'s rules
/// applied to the candidate file, with the ratings file it was trained from (production is
/// re-scored on its held-out ratings), the record kept in the manifest.
///
///     let gate = ChampionChallengerGate(rules: ChallengerGate(floors: floors), data: (table, "ratings.h5"))
///     try store.publish(model: "m.h5", name: "movielens-1m", gate: gate, codeVersion: version)
public struct ChampionChallengerGate: PublishGate {
    public var rules: ChallengerGate
    public var data: (table: RatingsTable, path: String)?

    public init(rules: ChallengerGate = ChallengerGate(), data: (table: RatingsTable, path: String)? = nil) {
        self.rules = rules
        self.data = data
    }

    public func decide(candidate path: String, champion: Champion?) throws -> GateDecision {
        let record = try rules.decide(candidate: try ModelFile.read(path), candidatePath: path, data: data, champion: champion)
        return GateDecision(passed: record.passed, reasons: record.reasons, heldOut: record.heldOut, record: try JSONValue(encoding: record))
    }
}

extension ModelCard {
    /// What the store records of a model file: its heads, the metrics evaluate recorded in it,
    /// what it was trained on.
    public init(describing file: ModelFile, source: String) throws {
        let heads = try file.headSummaries(source: source).mapValues { summary in try summary.map { try JSONValue(encoding: $0) } ?? .null }
        self.init(algorithm: file.algorithm, heads: heads, metrics: file.recordedMetrics, dataFingerprint: file.metadata.fingerprint,
                  split: file.metadata.split, splitParams: file.metadata.splitParameters)
    }
}

extension ModelStore {
    /// Publishes a model file (see `publish(model:name:card:…)`), described by what it holds,
    /// behind the project's gate when one is given.
    public func publish(model path: String, name: String, gate: ChampionChallengerGate? = nil, promote: Bool = false,
                        codeVersion: String, run: Lineage? = nil) throws -> PublishResult {
        try Self.checkName(name)
        let card = try ModelCard(describing: try ModelFile.read(path), source: path)
        return try publish(model: path, name: name, card: card, gate: gate, promote: promote, codeVersion: codeVersion, run: run)
    }
}
