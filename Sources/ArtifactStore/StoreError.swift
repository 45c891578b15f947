import Essentials

/// The ArtifactStore module's errors: a bad name or reference, a missing model, version or alias,
/// a file that fails its checksum are `.badInput` (exit 2); the gate refusing `.qualityGate`
/// (exit 3); an I/O failure `.failure` (exit 1).
public typealias StoreError = ProjectorFailure
