/// Rating-prediction error: RMSE and MAE over every held-out rating.
///
///     let e = RatingError.measure(predictions: [3.5, 4], truth: [4, 4])
///     e.rmse   // 0.35355…  = √((0.25 + 0) / 2)
///     e.mae    // 0.25
public struct RatingError: Sendable, Equatable, Codable {
    public var rmse: Double
    public var mae: Double
    public var count: Int

    public static func measure(predictions: [Float], truth: [Float]) -> RatingError {
        precondition(predictions.count == truth.count)
        var squared = 0.0, absolute = 0.0
        for index in predictions.indices {
            let error = Double(predictions[index]) - Double(truth[index])
            squared += error * error
            absolute += abs(error)
        }
        let n = Double(max(1, predictions.count))
        return RatingError(rmse: predictions.isEmpty ? .nan : (squared / n).squareRoot(),
                           mae: predictions.isEmpty ? .nan : absolute / n, count: predictions.count)
    }
}
