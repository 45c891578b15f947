/// Train and held-out RMSE after each iteration (or sample, for samplers), as the model saw them.
/// `testRMSE` is NaN when the split held nothing out.
public struct TrainingCurve: Sendable, Equatable {
    public var iteration: [Int32] = []
    public var trainRMSE: [Double] = []
    public var testRMSE: [Double] = []

    public init() {}

    public mutating func append(iteration: Int, train: Double, test: Double) {
        self.iteration.append(Int32(iteration))
        trainRMSE.append(train)
        testRMSE.append(test)
    }
}
