import ArgumentParser
import Evaluation

/// The quality gate's tolerances, shared by `evaluate --reference` and `publish --gate`; the
/// defaults are `QualityGate`'s own.
///
///     @OptionGroup var tolerances: GateOptions
///     let gate = tolerances.gate
public struct GateOptions: StageOptionSet {
    @Option(help: "Gate: how much RMSE may rise over the reference.")
    public var maxRmseIncrease: Double = QualityGate().maxRMSEIncrease

    @Option(help: "Gate: how much precision@k may fall below the reference.")
    public var maxPrecisionDrop: Double = QualityGate().maxPrecisionDrop

    @Option(help: "Gate: which precision@k is compared.")
    public var gateK: Int = QualityGate().precisionK

    public init() {}

    public func validate() throws {
        guard maxRmseIncrease >= 0, maxPrecisionDrop >= 0 else { throw ValidationError("tolerances must be ≥ 0") }
        guard gateK > 0 else { throw ValidationError("--gate-k must be at least 1") }
    }

    public var gate: QualityGate {
        QualityGate(maxRMSEIncrease: maxRmseIncrease, maxPrecisionDrop: maxPrecisionDrop, precisionK: gateK)
    }
}
