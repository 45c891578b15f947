import LinearAlgebra
import ModelFormat

extension TrainingSet {
    /// Train and held-out RMSE of `model`, for training curves.
    public func curvePoint(_ model: FactorModel) -> (train: Double, test: Double) {
        (rmse(model, users: trainUser, movies: trainMovie, ratings: trainRating, scale: metadata),
         rmse(model, users: testUser, movies: testMovie, ratings: testRating, scale: metadata))
    }

    /// RMSE of averaged predictions `sums[i] / count`, clipped to the scale, against `ratings`
    /// (NaN when there are none): the samplers' training curves.
    public func averagedRMSE(_ sums: [Double], count: Int, ratings: [Float]) -> Double {
        guard !ratings.isEmpty else { return .nan }
        var total = 0.0
        for index in 0..<ratings.count {
            let error = Double(metadata.clip(Float(sums[index] / Double(count))) - ratings[index])
            total += error * error
        }
        return (total / Double(ratings.count)).squareRoot()
    }

    /// The normalised training values as a dense users × movies matrix (missing entries 0).
    public func denseMatrix() -> Matrix {
        var x = Matrix(rows: userCount, columns: movieCount)
        for index in 0..<trainValue.count {
            x.values[Int(trainUser[index]) * movieCount + Int(trainMovie[index])] = trainValue[index]
        }
        return x
    }

    /// A factor model with the normalisation terms folded into its biases.
    public func factorModel(userFactors: Matrix, movieFactors: Matrix, userBias: [Float]? = nil, movieBias: [Float]? = nil) -> FactorModel {
        FactorModel(
            globalMean: terms.globalMean,
            userBias: userBias.map { zip(terms.userOffset, $0).map(+) } ?? terms.userOffset,
            movieBias: movieBias.map { zip(terms.movieOffset, $0).map(+) } ?? terms.movieOffset,
            userFactors: userFactors, movieFactors: movieFactors)
    }
}
