import ModelFormat
/// A trained model plus how it got there.
public struct TrainedModel: Sendable {
    public var model: LearnedModel
    public var curve: TrainingCurve
    /// Algorithm-specific numbers worth keeping (e.g. singular values), stored as head extras.
    public var extras: [String: [Double]]
    /// Each training rating's weight in a user's input row when scoring (in the training set's
    /// order); nil: every training movie counts 1. EASE's liked input weight sets it.
    public var inputWeights: [Float]?

    /// The stored model's held-out RMSE: the curve's last point, unless the algorithm stores an
    /// approximation of what the curve measured (the Bayesian FM's compressed average records its
    /// own as the extra `stored_test_rmse`).
    public var storedTestRMSE: Double { extras["stored_test_rmse"]?.first ?? curve.testRMSE.last ?? .nan }

    public init(model: LearnedModel, curve: TrainingCurve, extras: [String: [Double]] = [:], inputWeights: [Float]? = nil) {
        self.model = model
        self.curve = curve
        self.extras = extras
        self.inputWeights = inputWeights
    }
}
