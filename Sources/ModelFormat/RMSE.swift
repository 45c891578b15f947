import Essentials
import LinearAlgebra

/// Root-mean-square error of a model's clipped predictions on (user, movie, rating) triplets.
public func rmse(_ model: FactorModel, users: [Int32], movies: [Int32], ratings: [Float], scale metadata: DatasetMetadata) -> Double {
    guard !ratings.isEmpty else { return .nan }
    // A fixed number of parts, not one per core: the sum's order, so its last bits, the same on any machine.
    let parts = Parallel.ranges(ratings.count, parts: 64)
    let k = model.rank, link = model.ordinal
    let sums = try! Parallel.map(parts.count) { part in
        model.userFactors.values.withUnsafeBufferPointer { p in
            model.movieFactors.values.withUnsafeBufferPointer { q in
                var sum = 0.0
                for index in parts[part] {
                    let user = Int(users[index]), movie = Int(movies[index])
                    // `FactorModel.rawPrediction`, its link bound once (not a copy per prediction).
                    let eta = model.globalMean + model.userBias[user] + model.movieBias[movie]
                        + dot(p.baseAddress! + user * k, q.baseAddress! + movie * k, k)
                    let raw = link?.expected(eta, user: user, movie: movie) ?? eta
                    let error = Double(metadata.clip(raw) - ratings[index])
                    sum += error * error
                }
                return sum
            }
        }
    }
    return (sums.reduce(0, +) / Double(ratings.count)).squareRoot()
}
