import Essentials
import Foundation
import LinearAlgebra
import ModelFormat

/// EASE^R (Steck, WWW 2019): an item-item linear model for top-N recommendation with a closed form.
///
/// With X the binarised training matrix (users × movies: 1 where the user rated the movie, any
/// rating) and G = XᵀX + λI (summed from the sparse ratings, `gramMatrices`; X is never held):
///
///     P = G⁻¹ (LAPACK Cholesky: spotrf + spotri),   B = I − P · diag(1 / diag(P)),   diag(B) = 0
///
/// i.e. B_ij = −P_ij / P_jj off the diagonal. A user's scores are x_u B. EASE ranks movies; it
/// predicts no ratings, so RMSE does not apply to it (evaluate reports "not applicable").
///
/// **Liked weights** (Projector's extension; both 0 by default, which is Steck's EASE). A liked
/// training rating (≥ `liked_threshold`) counts 1 + β in the input X̃ and 1 + γ in the target Y
/// (β = `liked_input_weight`, γ = `liked_target_weight`); B minimises ‖Y − X̃B‖² + λ‖B‖² with
/// diag(B) = 0, in closed form by the same Lagrangian as EASE:
///
///     P = (X̃ᵀX̃ + λI)⁻¹,   C = P X̃ᵀY,   B = C − P · diag(C_jj / P_jj)
///
/// and a user's scores are x̃_u B, the input weights stored with the model. Being rated is what
/// EASE learns from; weighting what users liked says which co-occurrences predict a liked movie.
/// On ML-1M it raises precision@10 from 0.2015 to 0.214 (hash split, seed 42) and from 0.2004 to
/// 0.2116 (seed 7), with β 0.5, γ 1 (README). With β = γ = 0 the closed form reduces to EASE's.
///
/// With `keep_entries` N > 0 only the N largest-magnitude entries of each column of B are kept
/// and stored sparse: N × movies entries instead of movies² (at 59k movies, N = 1000 is 0.47 GB
/// instead of 14 GB). The README has the measured precision against the dense matrix.
public struct EASE: Algorithm {
    public static let name = "ease"
    public static let summary = "EASE^R item-item model (ranks; predicts no ratings)"
    public static let lambda = Parameter.real("lambda", default: 1500, minimum: 0, exclusiveMinimum: true, maximum: 1e9, help: "L2 penalty λ (XᵀX alone is singular)")
    public static let keepEntries = Parameter.integer("keep_entries", default: 0, minimum: 0, maximum: 100_000, help: "largest-magnitude entries of B kept per column, stored sparse (0: all, dense)")
    public static let likedThreshold = Parameter.real("liked_threshold", default: 4, minimum: -1e6, maximum: 1e6, help: "a training rating at or above this is liked")
    public static let likedInputWeight = Parameter.real("liked_input_weight", default: 0, minimum: 0, maximum: 100, help: "β: a liked movie counts 1 + β in a user's input row")
    public static let likedTargetWeight = Parameter.real("liked_target_weight", default: 0, minimum: 0, maximum: 100, help: "γ: a liked movie counts 1 + γ in the target B reproduces")
    public static let topMovies = Parameter.integer("top_movies", default: 0, minimum: 0, maximum: 10_000_000, help: "fit B on this many most-rated movies only; the others get no weights (0: all)")
    public static let coldMovies = Parameter.choice("cold_movies", default: "none", ["none", "content"], help: "content: the movies without training ratings get B's rows and columns mapped from their genres, year, title words and tags (ridge regression on the others'), so they are recommended and explained like any movie")
    public static let contentLambda = Parameter.real("content_lambda", default: 3, minimum: 0, exclusiveMinimum: true, maximum: 1e6, help: "ridge λ of the content map (cold_movies content)")
    public static let parameters = [lambda, keepEntries, likedThreshold, likedInputWeight, likedTargetWeight, topMovies, coldMovies, contentLambda]
    public static let maximumMovies = 30_000
    public static var predictsRatings: Bool { false }

    public struct Parameters: Sendable, Equatable {
        public var lambda: Double
        /// 0: the dense matrix; else B sparsified to this many entries per column.
        public var keepEntries: Int
        public var likedThreshold: Float
        public var likedInputWeight: Float
        public var likedTargetWeight: Float
        /// 0: every movie; else B covers only the most-rated ones.
        public var topMovies: Int
        /// Complete B for the movies without training ratings from their content.
        public var coldMoviesFromContent: Bool
        public var contentLambda: Double
    }

    public let values: ParameterValues
    public let parameters: Parameters

    public init(_ values: ParameterValues) throws {
        self.values = values
        parameters = Parameters(
            lambda: values.real(Self.lambda), keepEntries: values.integer(Self.keepEntries),
            likedThreshold: Float(values.real(Self.likedThreshold)), likedInputWeight: Float(values.real(Self.likedInputWeight)),
            likedTargetWeight: Float(values.real(Self.likedTargetWeight)), topMovies: values.integer(Self.topMovies),
            coldMoviesFromContent: values.text(Self.coldMovies) == "content", contentLambda: values.real(Self.contentLambda))
    }

    public func validate(for data: TrainingSet) throws {
        let fitted = fittedMovieCount(data.movieCount)
        guard fitted <= Self.maximumMovies else {
            let hint = parameters.topMovies == 0 ? " (set top_movies to fit the most-rated ones)" : ""
            throw ModelsError.badParameter("ease: \(fitted) movies make a \(fitted)² item matrix (at most \(Self.maximumMovies))\(hint)")
        }
        guard !parameters.coldMoviesFromContent || parameters.topMovies == 0 else {
            throw ModelsError.badParameter("ease: cold_movies content completes B over every movie: it needs top_movies 0")
        }
        guard parameters.keepEntries > 0 || data.movieCount <= Self.maximumMovies else {
            throw ModelsError.badParameter("ease: a dense item matrix over \(data.movieCount) movies (at most \(Self.maximumMovies)): set keep_entries")
        }
    }

    /// How many movies B covers.
    func fittedMovieCount(_ movies: Int) -> Int {
        parameters.topMovies == 0 ? movies : min(parameters.topMovies, movies)
    }

    /// The movies B is fitted on when `top_movies` leaves some out: the most-rated in training
    /// (ties to the lower index), in ascending index order; nil for all.
    public func fittedMovies(_ data: TrainingSet) -> [Int32]? {
        let limit = fittedMovieCount(data.movieCount)
        guard limit < data.movieCount else { return nil }
        var counts = [Int](repeating: 0, count: data.movieCount)
        for movie in data.trainMovie { counts[Int(movie)] += 1 }
        let order = (0..<data.movieCount).sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
        return order.prefix(limit).sorted().map { Int32($0) }
    }

    /// Each training rating's weight in the input (1, or 1 + β when liked), in `data`'s order.
    func inputWeights(_ data: TrainingSet) -> [Float] {
        data.trainRating.map { $0 >= parameters.likedThreshold ? 1 + parameters.likedInputWeight : 1 }
    }

    /// B from a binary users × movies matrix (Steck's EASE).
    public func weights(_ x: Matrix) throws -> Matrix {
        var gram = BLAS.gram(x)
        return try weights(gram: &gram)
    }

    /// B for input X̃ and target Y (the liked weights), from dense matrices.
    public func weights(input x: Matrix, target y: Matrix) throws -> Matrix {
        var gram = BLAS.gram(x)
        return try weights(gram: &gram, cross: BLAS.multiply(x, transposeA: true, y))
    }

    /// Steck's B from G = XᵀX (upper triangle at least), overwriting it: P = (G + λI)⁻¹, then
    /// B_ij = −P_ij / P_jj, row by row (contiguous) in parallel.
    public func weights(gram g: inout Matrix) throws -> Matrix {
        try invert(&g)
        let n = g.rows
        var scale = [Float](repeating: 0, count: n)
        for j in 0..<n { scale[j] = -1 / g.values[j * n + j] }
        g.values.withUnsafeMutableBufferPointer { p in
            let p = UncheckedBuffer(p)
            let parts = Parallel.ranges(n, parts: Parallel.workers)
            Parallel.forEach(parts.count) { part in
                for i in parts[part] {
                    for j in 0..<n { p[i * n + j] *= scale[j] }
                    p[i * n + i] = 0
                }
            }
        }
        return g
    }

    /// B for input X̃ and target Y from G = X̃ᵀX̃ (overwritten) and X̃ᵀY:
    /// C = P X̃ᵀY, B = C − P diag(C_jj / P_jj).
    public func weights(gram g: inout Matrix, cross: Matrix) throws -> Matrix {
        try invert(&g)
        let p = g
        var c = BLAS.multiply(p, cross)
        let n = p.rows
        var gamma = [Float](repeating: 0, count: n)
        for j in 0..<n { gamma[j] = c.values[j * n + j] / p.values[j * n + j] }
        c.values.withUnsafeMutableBufferPointer { out in
            let out = UncheckedBuffer(out)
            let parts = Parallel.ranges(n, parts: Parallel.workers)
            Parallel.forEach(parts.count) { part in
                for i in parts[part] {
                    for j in 0..<n { out[i * n + j] -= p.values[i * n + j] * gamma[j] }
                    out[i * n + i] = 0
                }
            }
        }
        return c
    }

    /// G + λI inverted in place (its upper triangle read; both filled on return).
    func invert(_ g: inout Matrix) throws {
        let n = g.rows
        for i in 0..<n { g.values[i * n + i] += Float(parameters.lambda) }
        do {
            try LAPACK.invertPositiveDefinite(&g)
        } catch {
            throw ModelsError.diverged("ease", iteration: 1, "XᵀX + λI is not positive definite: \(error)")
        }
    }

    /// How G = X̃ᵀX̃ (and X̃ᵀY) are accumulated from the training ratings.
    public enum GramMethod: Sendable, Equatable {
        /// Row i of G from the users who rated movie i, each adding its own movies' weights: Σ_u n_u²/2
        /// scattered additions into one row at a time (in cache). For sparse data (ML-1M: 4 %).
        case sparse
        /// A block of users at a time as a dense slice, through BLAS `syrk`/`gemm`: users × movies²/2
        /// multiply-adds at BLAS speed. For dense data.
        case dense

        /// Sparse when its additions are fewer than a sixteenth of the dense multiply-adds (BLAS
        /// does about that many per scattered addition).
        public static func choose(pairs: Int, users: Int, movies: Int) -> GramMethod {
            let (dense, overflow) = users.multipliedReportingOverflow(by: movies * movies)
            return overflow || pairs.multipliedReportingOverflow(by: 16).partialValue <= dense ? .sparse : .dense
        }
    }

    /// Users per block in the dense accumulation: a block × movies slice at a time, so memory
    /// never holds the users × movies matrix.
    static let gramBlockUsers = 1024

    /// G = X̃ᵀX̃ (upper triangle, row-major) and, when `target` is given, X̃ᵀY, with X̃ (Y) holding
    /// each training rating's `input` (`target`) value. Every entry sums over users in ascending
    /// order whatever the thread schedule, so the result is deterministic.
    public func gramMatrices(_ data: TrainingSet, input: [Float], target: [Float]?, method: GramMethod? = nil) -> (gram: Matrix, cross: Matrix?) {
        gramMatrices(users: data.trainUser, movies: data.trainMovie, userCount: data.userCount, movieCount: data.movieCount,
                     input: input, target: target, method: method)
    }

    /// The same from (user, movie) index pairs, movies below `movieCount`.
    func gramMatrices(
        users trainUser: [Int32], movies trainMovie: [Int32], userCount: Int, movieCount m: Int,
        input: [Float], target: [Float]?, method: GramMethod? = nil
    ) -> (gram: Matrix, cross: Matrix?) {
        let byUser = SparseRows(rows: userCount, rowOf: trainUser, columnOf: trainMovie, values: input)
        let targetValues = target.map { SparseRows(rows: userCount, rowOf: trainUser, columnOf: trainMovie, values: $0).values }
        var gram = Matrix(rows: m, columns: m)
        var cross: Matrix? = nil
        let pairs = (0..<byUser.rowCount).reduce(0) { $0 + byUser.range($1).count * byUser.range($1).count }
        switch method ?? GramMethod.choose(pairs: pairs, users: userCount, movies: m) {
        case .sparse:
            let byMovie = SparseRows(rows: m, rowOf: trainMovie, columnOf: trainUser, values: input)
            let blocks = Parallel.ranges(m, parts: Parallel.workers * 16)
            // Filled in place, then moved into the matrix (no second m² copy).
            var crossValues = target == nil ? [] : [Float](repeating: 0, count: m * m)
            gram.values.withUnsafeMutableBufferPointer { g in
                crossValues.withUnsafeMutableBufferPointer { c in
                    let g = UncheckedBuffer(g), c = UncheckedBuffer(c)
                    byUser.columns.withUnsafeBufferPointer { userMovies in
                        byUser.values.withUnsafeBufferPointer { userWeights in
                            (targetValues ?? []).withUnsafeBufferPointer { userTargets in
                                Parallel.forEach(blocks.count) { block in
                                    for i in blocks[block] {
                                        let row = g.base.baseAddress! + i * m
                                        for entry in byMovie.range(i) {
                                            let user = Int(byMovie.columns[entry]), weight = byMovie.values[entry]
                                            let entries = byUser.range(user)
                                            // The user's movies are ascending: start at movie i (upper triangle).
                                            var low = entries.lowerBound, high = entries.upperBound
                                            while low < high {
                                                let middle = (low + high) / 2
                                                if Int(userMovies[middle]) < i { low = middle + 1 } else { high = middle }
                                            }
                                            for f in low..<entries.upperBound { row[Int(userMovies[f])] += weight * userWeights[f] }
                                            if !userTargets.isEmpty {
                                                let crossRow = c.base.baseAddress! + i * m
                                                for f in entries { crossRow[Int(userMovies[f])] += weight * userTargets[f] }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if target != nil { cross = Matrix(rows: m, columns: m, values: crossValues) }
        case .dense:
            let targetRows = targetValues.map { SparseRows(pointers: byUser.pointers, columns: byUser.columns, values: $0) }
            if target != nil { cross = Matrix(rows: m, columns: m) }
            let blockUsers = min(Self.gramBlockUsers, max(1, userCount))
            var x = Matrix(rows: blockUsers, columns: m)
            var y = target == nil ? Matrix(rows: 0, columns: 0) : Matrix(rows: blockUsers, columns: m)
            for first in stride(from: 0, to: userCount, by: blockUsers) {
                let users = first..<min(userCount, first + blockUsers)
                func fill(_ block: inout Matrix, _ rows: SparseRows) {
                    for index in block.values.indices { block.values[index] = 0 }
                    for user in users {
                        for entry in rows.range(user) {
                            block.values[(user - first) * m + Int(rows.columns[entry])] = rows.values[entry]
                        }
                    }
                }
                fill(&x, byUser)
                BLAS.syrkUpper(x, rows: users.count, into: &gram, beta: first == 0 ? 0 : 1)
                if let targetRows {
                    fill(&y, targetRows)
                    BLAS.gemmTransposedA(x, y, rows: users.count, into: &cross!, beta: first == 0 ? 0 : 1)
                }
            }
        }
        return (gram, cross)
    }

    public func fit(_ data: TrainingSet, progress: (TrainingProgress) -> Void) throws -> TrainedModel {
        try validate(for: data)
        let input = inputWeights(data)
        let target = parameters.likedInputWeight == 0 && parameters.likedTargetWeight == 0
            ? nil : data.trainRating.map { $0 >= parameters.likedThreshold ? 1 + parameters.likedTargetWeight : 1 }
        // The ratings B is fitted on: all, or those of the fitted movies, re-indexed to them.
        let fitted = fittedMovies(data)
        var users = data.trainUser, movies = data.trainMovie, fittedInput = input, fittedTarget = target
        if let fitted {
            var compact = [Int32](repeating: -1, count: data.movieCount)
            for (index, movie) in fitted.enumerated() { compact[Int(movie)] = Int32(index) }
            let kept = data.trainMovie.indices.filter { compact[Int(data.trainMovie[$0])] >= 0 }
            users = kept.map { data.trainUser[$0] }
            movies = kept.map { compact[Int(data.trainMovie[$0])] }
            fittedInput = kept.map { input[$0] }
            fittedTarget = target.map { values in kept.map { values[$0] } }
        }
        var (gram, cross) = gramMatrices(users: users, movies: movies, userCount: data.userCount,
                                         movieCount: fitted?.count ?? data.movieCount, input: fittedInput, target: fittedTarget)
        var b = try cross.map { try weights(gram: &gram, cross: $0) } ?? weights(gram: &gram)
        if parameters.coldMoviesFromContent { try completeFromContent(&b, data: data) }
        guard b.allFinite else { throw ModelsError.diverged("ease", iteration: 1, "NaN or Inf in B") }
        progress(TrainingProgress(iteration: 1, of: 1, trainRMSE: .nan, testRMSE: .nan))
        let learned = ItemItemModel(weights: b)
        let keep = parameters.keepEntries
        let model: LearnedModel
        switch (fitted, keep) {
        case (nil, 0): model = .itemItem(learned)
        case (nil, _): model = .sparseItemItem(learned.sparsified(keep: keep))
        case (let fitted?, 0):
            // Dense over the whole catalogue, zero outside the fitted movies.
            let m = data.movieCount, n = fitted.count
            var full = Matrix(rows: m, columns: m)
            for i in 0..<n { for j in 0..<n { full.values[Int(fitted[i]) * m + Int(fitted[j])] = b.values[i * n + j] } }
            model = .itemItem(ItemItemModel(weights: full))
        case (let fitted?, _):
            model = .sparseItemItem(learned.sparsified(keep: keep, indices: fitted, movieCount: data.movieCount))
        }
        return TrainedModel(model: model, curve: TrainingCurve(), inputWeights: parameters.likedInputWeight == 0 ? nil : input)
    }
}
