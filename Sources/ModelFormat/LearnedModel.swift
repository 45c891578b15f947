import Essentials
import LinearAlgebra

/// EASE's learned state: an item-item weight matrix B (movies × movies, zero diagonal). A user's
/// scores are `x_u B`, with x_u their row of training movies (1 each, or EASE's liked weights).
public struct ItemItemModel: Sendable, Equatable {
    public var weights: Matrix

    public init(weights: Matrix) { self.weights = weights }

    public var movieCount: Int { weights.rows }

    /// B with only the `keep` largest-magnitude entries of each column (the weights that make a
    /// movie's score), stored by row: a user's scores are the sum of the rows of their training
    /// movies. Ties go to the lower row index; zeros are never kept.
    ///
    ///     let sparse = dense.sparsified(keep: 500)   // ML-1M: 3,706 × 500 entries instead of 3,706²
    ///
    /// With `indices` (ascending), B is over those movies of a catalogue of `movieCount`: row and
    /// column i of B are movie `indices[i]`, and every other movie's row is empty (EASE fitted on
    /// the most-rated movies only).
    public func sparsified(keep: Int, indices: [Int32]? = nil, movieCount total: Int? = nil) -> SparseItemItemModel {
        let m = movieCount
        precondition(indices == nil || (indices!.count == m && total != nil), "sparsified: \(m) indices into a catalogue needed")
        @inline(__always) func global(_ index: Int) -> Int32 { indices.map { $0[index] } ?? Int32(index) }
        let kept = min(max(0, keep), m)
        var rowOf: [Int32] = [], columnOf: [Int32] = [], values: [Float] = []
        rowOf.reserveCapacity(m * kept)
        columnOf.reserveCapacity(m * kept)
        values.reserveCapacity(m * kept)
        // B is row-major: columns are gathered a block at a time, reading whole rows.
        let block = 64
        var gathered = [Float](repeating: 0, count: block * m)
        var magnitudes: [Float] = []
        magnitudes.reserveCapacity(m)
        weights.values.withUnsafeBufferPointer { b in
            for start in stride(from: 0, to: m, by: block) {
                let width = min(block, m - start)
                for row in 0..<m {
                    for offset in 0..<width { gathered[offset * m + row] = b[row * m + start + offset] }
                }
                for offset in 0..<width {
                    let column = gathered[(offset * m)..<(offset * m + m)]
                    magnitudes.removeAll(keepingCapacity: true)
                    for value in column where value != 0 { magnitudes.append(abs(value)) }
                    // Keep every entry above the kept-th largest magnitude, then equal ones by row.
                    let threshold: Float = magnitudes.count <= kept ? 0 : kept == 0 ? .infinity : kthLargest(&magnitudes, k: kept)
                    var above = 0
                    if threshold > 0 { for value in column where abs(value) > threshold { above += 1 } }
                    var equalAllowed = kept - above
                    for (row, value) in zip(0..<m, column) where value != 0 {
                        let size = abs(value)
                        guard size > threshold || (size == threshold && equalAllowed > 0) else { continue }
                        if size == threshold { equalAllowed -= 1 }
                        rowOf.append(global(row))
                        columnOf.append(global(start + offset))
                        values.append(value)
                    }
                }
            }
        }
        return SparseItemItemModel(rows: SparseRows(rows: total ?? m, rowOf: rowOf, columnOf: columnOf, values: values), keptPerColumn: kept)
    }
}

/// A sparsified EASE matrix (see `ItemItemModel.sparsified`): row i holds the kept weights
/// B[i, j], columns ascending. Scores are `x_u B` as for the dense matrix.
public struct SparseItemItemModel: Sendable {
    public var rows: SparseRows
    /// The most entries any column keeps (the `keep_entries` it was made with).
    public var keptPerColumn: Int

    public init(rows: SparseRows, keptPerColumn: Int) {
        self.rows = rows
        self.keptPerColumn = keptPerColumn
    }

    public var movieCount: Int { rows.rowCount }

    /// The dense matrix (zeros where nothing was kept): for cosine neighbours on small catalogues.
    public var dense: Matrix {
        let m = movieCount
        var matrix = Matrix(rows: m, columns: m)
        for row in 0..<m {
            for entry in rows.range(row) { matrix.values[row * m + Int(rows.columns[entry])] = rows.values[entry] }
        }
        return matrix
    }
}

/// The kinds of learned model, as model files name them (`model_kind`).
public enum ModelKind: String, Sendable, CaseIterable {
    case factors
    /// Factors with an ordered-probit link (cut-points and scales).
    case ordinalFactors = "ordinal-factors"
    case itemItem = "item-item"
    case sparseItemItem = "sparse-item-item"
}

/// What an algorithm learned: latent factors (rating predictions and rankings) or an item-item
/// matrix, dense or sparsified (rankings only).
public enum LearnedModel: Sendable {
    case factors(FactorModel)
    case itemItem(ItemItemModel)
    case sparseItemItem(SparseItemItemModel)

    /// The kind stored as `model_kind` in model files.
    public var modelKind: ModelKind {
        switch self {
        case .factors(let model): model.ordinal == nil ? .factors : .ordinalFactors
        case .itemItem: .itemItem
        case .sparseItemItem: .sparseItemItem
        }
    }

    /// `modelKind`'s name.
    public var kind: String { modelKind.rawValue }

    /// Whether the model predicts ratings (RMSE applies) or only ranks movies.
    public var predictsRatings: Bool {
        if case .factors = self { return true }
        return false
    }

    public var factors: FactorModel? {
        if case .factors(let model) = self { return model }
        return nil
    }

    /// The movies' vectors: Q for factor models, the rows of B for EASE ("movies like this one" use
    /// the cosine of Q, and EASE's largest weights: `Neighbours.strongestWeights`).
    public var movieVectors: Matrix {
        switch self {
        case .factors(let model): model.movieFactors
        case .itemItem(let model): model.weights
        case .sparseItemItem(let model): model.dense
        }
    }

    /// Whether the learned arrays have the shapes a file of `users` × `movies` needs.
    public func shapeFits(users: Int, movies: Int) -> Bool {
        switch self {
        case .factors(let model):
            let k = model.rank
            return model.userBias.count == users && model.movieBias.count == movies
                && model.userFactors.values.count == users * k && model.movieFactors.values.count == movies * k
        case .itemItem(let model): return model.weights.values.count == movies * movies
        case .sparseItemItem(let model): return model.rows.isWellFormed(rows: movies, columnCount: movies)
        }
    }

    public var allFinite: Bool {
        switch self {
        case .factors(let model): model.allFinite
        case .itemItem(let model): model.weights.allFinite
        case .sparseItemItem(let model): model.rows.values.allSatisfy(\.isFinite)
        }
    }

    /// Ranking scores of every movie for the users in `users` (block × movies). Factor models: one
    /// BLAS `gemm`. EASE: x_u B summed over the user's training movies (a sparse row times B: about
    /// 150 rows of B per ML-1M user, 50× less work than a dense gemm); sparsified EASE adds only
    /// the kept entries of those rows. `training` holds each user's training movies, its values
    /// their input weights (1, or EASE's liked weight; see `ModelFile.rankingInput`).
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
                            let weight = training.values[entry]
                            for movie in 0..<m { target[movie] += weight * source[movie] }
                        }
                    }
                }
            }
            return result
        case .sparseItemItem(let model):
            let m = model.movieCount
            var result = Matrix(rows: users.count, columns: m)
            result.values.withUnsafeMutableBufferPointer { out in
                model.rows.columns.withUnsafeBufferPointer { columns in
                    model.rows.values.withUnsafeBufferPointer { values in
                        for (row, user) in users.enumerated() {
                            let target = out.baseAddress! + row * m
                            for entry in training.range(user) {
                                let weight = training.values[entry]
                                for kept in model.rows.range(Int(training.columns[entry])) {
                                    target[Int(columns[kept])] += weight * values[kept]
                                }
                            }
                        }
                    }
                }
            }
            return result
        }
    }
}
