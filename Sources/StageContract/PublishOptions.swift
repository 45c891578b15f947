import ArgumentParser
import Evaluation

/// `publish`'s gate and promotion options (a manifest's `publish` section, beside the model and
/// name it publishes).
///
///     publish --input m.h5 --name movielens-1m --gate --floors Pipelines/floors/movielens-1m.json
///     # manifest:  publish: {model: served, name: movielens-1m, gate: true, floors: Pipelines/floors/movielens-1m.json}
public struct PublishOptions: StageOptionSet {
    @Flag(help: "Gate on the production version (and --floors); promote to production when it passes.")
    public var gate = false

    @Flag(help: "Also point 'production' at the new version (without a gate).")
    public var promote = false

    @Option(help: "Gate: a projector.floors file of absolute bounds the model must meet (e.g. Pipelines/floors/movielens-1m.json).")
    public var floors: String?

    @Option(help: "Gate: a held-out rating at or above this is relevant (as evaluate's --relevance).")
    public var relevance: Float = EvaluationProtocol.defaultRelevance

    @OptionGroup public var tolerances: GateOptions

    @Option(help: "After publishing, remove older versions, keeping the newest N and every alias target (store gc).")
    public var keep: Int?

    public init() {}

    public func validate() throws {
        if !gate, floors != nil { throw ValidationError("--floors goes with --gate (floors are part of the gate)") }
        if let keep, keep < 1 { throw ValidationError("--keep must be at least 1, not \(keep)") }
        guard relevance.isFinite else { throw ValidationError("--relevance must be a finite number, not \(relevance)") }
    }
}
