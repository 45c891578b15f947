/// A trained model plus how it got there.
public struct TrainedModel: Sendable {
    public var model: LearnedModel
    public var curve: TrainingCurve
    /// Algorithm-specific numbers worth keeping (e.g. singular values), stored as `/model` attributes.
    public var extras: [String: [Double]]

    public init(model: LearnedModel, curve: TrainingCurve, extras: [String: [Double]] = [:]) {
        self.model = model
        self.curve = curve
        self.extras = extras
    }
}
