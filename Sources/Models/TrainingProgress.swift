/// What an algorithm reports while it trains (for logs and progress bars).
public struct TrainingProgress: Sendable {
    public var iteration: Int
    public var of: Int
    public var trainRMSE: Double
    public var testRMSE: Double
}
