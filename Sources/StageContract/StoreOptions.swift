import ArgumentParser
import ArtifactStore

/// `--store DIR`, shared by publish, store, recommend, serve and pipeline.
public struct StoreOptions: ParsableArguments, Sendable {
    @Option(help: "The model store (default: $PROJECTOR_STORE, else Artifacts).")
    public var store: String?

    public init() {}

    public var root: String { ModelStore.root(option: store) }
    public var modelStore: ModelStore { ModelStore(root: root) }
}
