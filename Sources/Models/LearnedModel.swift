import LinearAlgebra

/// EASE's learned state: an item-item weight matrix B (movies × movies, zero diagonal). A user's
/// scores are `x_u B`, with x_u their binary row of training movies.
public struct ItemItemModel: Sendable, Equatable {
    public var weights: Matrix

    public init(weights: Matrix) { self.weights = weights }

    public var movieCount: Int { weights.rows }
}

/// What an algorithm learned: latent factors (rating predictions and rankings) or an item-item
/// matrix (rankings only).
public enum LearnedModel: Sendable {
    case factors(FactorModel)
    case itemItem(ItemItemModel)

    /// The name stored as `model_kind` in model files.
    public var kind: String {
        switch self {
        case .factors: "factors"
        case .itemItem: "item-item"
        }
    }

    /// Whether the model predicts ratings (RMSE applies) or only ranks movies.
    public var predictsRatings: Bool {
        if case .factors = self { return true }
        return false
    }

    public var factors: FactorModel? {
        if case .factors(let model) = self { return model }
        return nil
    }

    /// The vectors whose cosine similarity gives "movies like this one": Q for factor models,
    /// the rows of B for EASE.
    public var movieVectors: Matrix {
        switch self {
        case .factors(let model): model.movieFactors
        case .itemItem(let model): model.weights
        }
    }

    public var allFinite: Bool {
        switch self {
        case .factors(let model): model.allFinite
        case .itemItem(let model): model.weights.allFinite
        }
    }

    /// Ranking scores of every movie for the users in `users` (block × movies). Factor models: one
    /// BLAS `gemm`. EASE: x_u B summed over the user's training movies (a sparse row times B: about
    /// 150 rows of B per ML-1M user, 50× less work than a dense gemm). `training` holds each
    /// user's training movies.
    public func scores(users: Range<Int>, training: SparseRows) -> Matrix {
        switch self {
        case .factors(let model):
            return model.scores(users: users)
        case .itemItem(let model):
            let m = model.movieCount
            var result = Matrix(rows: users.count, columns: m)
            result.values.withUnsafeMutableBufferPointer { out in
                model.weights.values.withUnsafeBufferPointer { b in
                    for (row, user) in users.enumerated() {
                        let target = out.baseAddress! + row * m
                        for entry in training.range(user) {
                            let source = b.baseAddress! + Int(training.columns[entry]) * m
                            for movie in 0..<m { target[movie] += source[movie] }
                        }
                    }
                }
            }
            return result
        }
    }
}
