import Essentials
import LinearAlgebra
import ModelFormat

/// A person's ratings in a model's terms: movie indices of the model (ascending, unique) and
/// their ratings. `StoredModel` builds one from movie ids (dropping ids the model does not
/// know, the last rating of a movie given twice); `evaluate` from a test user's history.
public struct History: Sendable, Equatable {
    public private(set) var movies: [Int32]
    public private(set) var ratings: [Float]

    /// From (movie, rating) pairs in any order; a movie given twice keeps its last rating.
    public init(_ pairs: [(movie: Int32, rating: Float)]) {
        var last: [Int32: Float] = [:]
        for pair in pairs { last[pair.movie] = pair.rating }
        movies = last.keys.sorted()
        ratings = movies.map { last[$0]! }
    }

    public var count: Int { movies.count }
    public var isEmpty: Bool { movies.isEmpty }
}

/// Why fold-in cannot answer (bad input for the caller: exit 2, HTTP 400).
public struct FoldInError: ProjectorError, Equatable {
    public var message: String
    public var description: String { message }
    public var exitCode: StageExitCode { .badInput }
    public init(_ message: String) { self.message = message }
}

/// Fold-in: a person's ratings in, the model's answers out, without retraining. Each head folds
/// in by its own mathematics (`FoldInState`): an item-item head scores the history row exactly as
/// it scores a training user's row (Σ_j w_j B[j, ·], w_j its input weight); a factor head solves
/// the person's (b_u, P_u) as the posterior mean under its stored prior, the movies fixed. Built
/// once per model (the prior's precision is factored here, not per person); `fold(_:)` per person.
///
///     let foldIn = try ModelFile.FoldIn(file)                   // refuses a file without fold-in state
///     let person = foldIn.fold(History([(movie: 0, rating: 5), (movie: 42, rating: 2)]))
///     person.top(k: 10)                                          // never a movie of the history
///     person.predict(movie: 7)                                   // the rating head's clipped stars
extension ModelFile {
    public final class FoldIn: Sendable {
        public let file: ModelFile
        let rating: FactorSolver?
        /// Why the rating head cannot fold in (nil when it can, or there is none): predictions
        /// for a folded-in person are refused with it.
        public let ratingProblem: FoldInError?
        /// The ranking head's solver when it is a factor head other than the rating head.
        let rankingFactors: FactorSolver?
        let inputRule: FoldInState.InputRule?
        /// Each movie's training ratings in the model (0: the content baseline predicts it).
        let movieCounts: [Int]
        /// A sparse item-item ranking head of at most `denseLimit` entries, expanded to its dense
        /// matrix (zeros where nothing was kept) once per model: a person's scores are then whole
        /// rows added with vector instructions, and a reason's term one read, where the sparse rows
        /// scattered and searched (ML-1M, 3,883 movies: 60 MB of memory, a third of a fold-in's
        /// CPU time). The same sums in the same order: the same scores as the sparse rows give.
        let denseRanking: ItemItemModel?
        /// The most entries (movies²) a sparse item-item head is expanded to dense for: 16 Mi
        /// floats (64 MiB; catalogues up to 4,096 movies).
        public static let denseLimit = 1 << 24

        public init(_ file: ModelFile) throws {
            self.file = file
            func missing(_ role: ModelHead.Role, _ head: ModelHead) -> FoldInError {
                let why = head.model.factors?.ordinal != nil ? "an ordered-probit head has no fold-in"
                    : "its model file has no fold-in state (format \(ModelFile.formatVersion) writes it: re-run factorise and combine, then publish)"
                return FoldInError("the \(role.rawValue) head (\(head.algorithm)) cannot fold in new ratings: \(why)")
            }
            func indefinite(_ role: ModelHead.Role, _ head: ModelHead) -> FoldInError {
                FoldInError("the \(role.rawValue) head (\(head.algorithm)) cannot fold in new ratings: its fold-in prior's covariance is not positive definite")
            }
            // A rating head that cannot fold in leaves the ranking head answering (no predicted
            // stars, predictions refused), unless it is also the ranking head.
            var rating: FactorSolver? = nil, problem: FoldInError? = nil
            if let head = file.rating {
                if case .factors(let prior)? = head.foldIn, let factors = head.model.factors {
                    rating = FactorSolver(model: factors, prior: prior)
                    if rating == nil { problem = indefinite(.rating, head) }
                } else {
                    problem = missing(.rating, head)
                }
                if let problem, file.ranking == nil { throw problem }
            }
            self.rating = rating
            ratingProblem = problem
            var rankingFactors: FactorSolver? = nil, rule: FoldInState.InputRule? = nil
            if let head = file.ranking {
                switch (head.model, head.foldIn) {
                case (.factors(let factors), .factors(let prior)?):
                    guard let solver = FactorSolver(model: factors, prior: prior) else { throw indefinite(.ranking, head) }
                    rankingFactors = solver
                case (.itemItem, .itemItem(let found)?), (.sparseItemItem, .itemItem(let found)?): rule = found
                default: throw missing(.ranking, head)
                }
            }
            self.rankingFactors = rankingFactors
            inputRule = rule
            movieCounts = file.trainingMovies.columnCounts(file.metadata.movieCount)
            if case .sparseItemItem(let sparse)? = file.ranking?.model, sparse.movieCount * sparse.movieCount <= Self.denseLimit {
                denseRanking = ItemItemModel(weights: sparse.dense)
            } else {
                denseRanking = nil
            }
        }

        /// Why a person's attributes cannot be used with this model, or nil: a factor head whose
        /// prior has no attribute offsets (its training data had none). An item-item head alone
        /// reads no attributes (nil). Values the prior does not know are not errors: `knownAttributes`.
        public var attributeProblem: FoldInError? {
            for solver in [rating, rankingFactors].compactMap({ $0 }) where solver.prior.attributes == nil {
                return FoldInError("attributes: this model's fold-in prior has no user attributes (its training data had none, or the file predates them): leave attributes out")
            }
            return nil
        }

        /// The values of `attributes` that every factor head's prior knows (none when a factor
        /// head's prior has no attributes, or there is no factor head): for attributes read from
        /// data (a stored user's, a test user's), where an unknown value is not the caller's error.
        public func knownAttributes(_ attributes: [String: String]) -> [String: String] {
            let priors = [rating, rankingFactors].compactMap { $0?.prior.attributes }
            guard !priors.isEmpty, priors.count == [rating, rankingFactors].compactMap({ $0 }).count else { return [:] }
            return attributes.filter { group, value in priors.allSatisfy { $0.problem(with: [group: value]) == nil } }
        }

        /// The person folded in: their solved vectors (factor heads) or input row (item-item);
        /// a factor head's prior centred by the person's `attributes` (check them with `problem(with:)`).
        public func fold(_ history: History, attributes: [String: String] = [:]) -> Person {
            func solve(_ solver: FactorSolver) -> FactorSolver.Solution {
                let centred = !attributes.isEmpty || (solver.prior.implicit != nil && !history.isEmpty)
                return solver.solve(history, mean: centred ? solver.prior.mean(attributes: attributes, rated: history.movies) : nil)
            }
            return Person(foldIn: self, history: history,
                   rating: rating.map(solve), ranking: rankingFactors.map(solve),
                   cold: file.coldMovies.map { $0.person(movies: history.movies[...], ratings: history.ratings[...]) },
                   inputWeights: inputRule.map { history.ratings.map($0.weight) })
        }
    }

    /// One folded-in person (see `FoldIn`).
    public struct Person: Sendable {
        let foldIn: FoldIn
        public let history: History
        let rating: FactorSolver.Solution?
        let ranking: FactorSolver.Solution?
        /// The content baseline's terms of the person (when the file has one).
        let cold: ColdMovieModel.Person?
        /// An item-item ranking head's input weight of each history rating, found once.
        let inputWeights: [Float]?

        var file: ModelFile { foldIn.file }

        /// The ranking head's score of every movie, as `ModelFile.rank` scores a training user (a
        /// factor head: movie bias + P_u · Q_i; an item-item head: Σ_j w_j B[j, i]).
        public func scores() -> [Float] {
            let m = file.metadata.movieCount
            if let weights = inputWeights {
                let row = SparseRows(pointers: [0, history.count], columns: history.movies, values: weights)
                let model = foldIn.denseRanking.map(LearnedModel.itemItem) ?? file.rankingHead.model
                return model.scores(users: 0..<1, training: row).values
            }
            let (solver, solution) = foldIn.rankingFactors.map { ($0, ranking!) } ?? (foldIn.rating!, rating!)
            return (0..<m).map { solver.rankingScore(solution, movie: $0) }
        }

        /// The top `k` movies by `scores()`, never one of the history, ties to the lower index;
        /// only `candidates` (movie indices) when given. An empty history gets the most-rated
        /// movies in training (the cold-start answer of `rank`), flagged by the caller.
        public func top(k: Int, candidates: [Int32]? = nil) -> (movies: [Int32], scores: [Float]) {
            var row: [Float]
            if history.isEmpty {
                row = foldIn.movieCounts.map(Float.init)
            } else {
                row = scores()
            }
            for movie in history.movies { row[Int(movie)] = -.infinity }
            if let candidates {
                var only = [Float](repeating: -.infinity, count: row.count)
                for movie in candidates { only[Int(movie)] = row[Int(movie)] }
                row = only
            }
            var best: [Int32] = []
            row.withUnsafeBufferPointer { topK($0, k: max(0, k), into: &best) }
            // `topK` may return movies at −∞ when fewer remain: never a history or non-candidate movie.
            best = best.filter { row[Int($0)] > -.infinity }
            return (best, best.map { row[Int($0)] })
        }

        /// The rating head's prediction, clipped to the scale; nil for a model without a rating
        /// head. A movie without training ratings: the content baseline's (`ColdMovieModel`), when
        /// the file has one, else global mean + the person's term.
        public func predict(movie: Int) -> Float? {
            guard let solver = foldIn.rating, let rating else { return nil }
            guard foldIn.movieCounts[movie] > 0 else {
                if let model = file.coldMovies, let cold {
                    return file.metadata.clip(model.predict(cold, movie: movie))
                }
                return file.metadata.clip(solver.model.globalMean + Float(rating.z[0]))
            }
            return file.metadata.clip(solver.prediction(rating, movie: movie))
        }

        /// The rating head's user term b_u for the person (nil without a rating head).
        public var ratingUserTerm: Float? { rating.map { Float($0.z[0]) } }

        /// The (up to `limit`) history movies that contributed most to `movie`'s ranking score,
        /// largest first, each with its term: exact for an item-item head (w_j B[j, i]); for a
        /// factor head the terms of the posterior mean's P_u · Q_i, which is linear in the
        /// residuals (e_j x_jᵀ A⁻¹ (0, Q_i) / σ², see `FactorSolver`). Only positive terms are reasons.
        public func reasons(for movie: Int, limit: Int = 3) -> [(movie: Int32, contribution: Float)] {
            let limit = max(0, limit)
            if let weights = inputWeights {
                let model = foldIn.denseRanking.map(LearnedModel.itemItem) ?? foldIn.file.rankingHead.model
                if case .itemItem(let dense) = model {
                    // B read in place (the serving path: a switch and a copy per term were a tenth of a request).
                    let m = dense.movieCount
                    return dense.weights.values.withUnsafeBufferPointer { b in
                        strongest(limit) { weights[$0] * b[Int(history.movies[$0]) * m + movie] }
                    }
                } else if case .sparseItemItem(let sparse) = model {
                    return sparse.rows.columns.withUnsafeBufferPointer { columns in
                        sparse.rows.values.withUnsafeBufferPointer { values in
                            strongest(limit) {
                                weights[$0] * SparseItemItemModel.find(Int32(movie), in: sparse.rows.range(Int(history.movies[$0])), columns: columns, values: values)
                            }
                        }
                    }
                }
                return strongest(limit) { weights[$0] * model.weight(from: Int(history.movies[$0]), to: movie) }
            }
            let (solver, solution) = foldIn.rankingFactors.map { ($0, ranking!) } ?? (foldIn.rating!, rating!)
            let terms = solver.contributions(solution, movie: movie)
            return strongest(limit) { Float(terms[$0]) }
        }

        /// The (up to `limit`) history movies with the largest positive `term(position)`, largest
        /// first, ties to the lower movie index: kept by insertion (no sort, no intermediate arrays).
        @inline(__always)
        func strongest(_ limit: Int, _ term: (Int) -> Float) -> [(movie: Int32, contribution: Float)] {
            var best: [(movie: Int32, contribution: Float)] = []
            best.reserveCapacity(limit + 1)
            for position in 0..<history.count {
                let contribution = term(position)
                guard contribution > 0 else { continue }
                let movie = history.movies[position]
                var slot = best.count
                while slot > 0, best[slot - 1].contribution < contribution
                        || (best[slot - 1].contribution == contribution && best[slot - 1].movie > movie) { slot -= 1 }
                guard slot < limit else { continue }
                best.insert((movie, contribution), at: slot)
                if best.count > limit { best.removeLast() }
            }
            return best
        }
    }

    /// A factor head's fold-in: the posterior mean of z = (b_u, P_u) given ratings y_j of movies
    /// j, with x_j = (1, Q_j), e_j = y_j − global mean − movie bias_j − x_j · m:
    ///
    ///     z = m + A⁻¹ Xᵀ e / σ²,   A = S⁻¹ + XᵀX / σ²
    ///       = m + S Xᵀ (σ² I + X S Xᵀ)⁻¹ e            (Woodbury: when the history is shorter than k + 1)
    ///
    /// Both in double precision with one Cholesky factorisation in plain Swift (`SmallCholesky`:
    /// the same bytes whatever BLAS's threads). z is linear in the residuals, z − m = W e with
    /// W = A⁻¹ Xᵀ / σ²: movie j's term of movie i's score is e_j (W_{·j} · x̃_i), x̃_i = (0, Q_i)
    /// for the ranking score (`contributions`).
    struct FactorSolver: Sendable {
        let model: FactorModel
        let prior: FoldInState.FactorPrior
        /// S⁻¹ (for the precision form), computed once.
        let precision: [Double]
        /// S x_i for every movie i (movies × d), computed once: a request's S Xᵀ is a lookup, and
        /// the Woodbury form costs O(h² d) (ML-1M, rank 256: 7.6 MB).
        let covarianceTimesMovies: [Double]

        /// Nil when the prior's covariance is not positive definite (the reader refuses such a file;
        /// a model built in memory may still hold one).
        init?(model: FactorModel, prior: FoldInState.FactorPrior) {
            guard prior.dimension == model.rank + 1, prior.covariance.count == prior.dimension * prior.dimension else { return nil }
            self.model = model
            self.prior = prior
            let d = prior.dimension
            // S⁻¹ from S's Cholesky factor: solve S X = I column by column.
            var factor = prior.covariance
            let ok = factor.withUnsafeMutableBufferPointer { SmallCholesky.factor($0.baseAddress!, n: d) }
            guard ok else { return nil }
            var inverse = [Double](repeating: 0, count: d * d)
            var column = [Double](repeating: 0, count: d)
            factor.withUnsafeBufferPointer { u in
                for c in 0..<d {
                    for r in 0..<d { column[r] = r == c ? 1 : 0 }
                    column.withUnsafeMutableBufferPointer { SmallCholesky.solve(u.baseAddress!, n: d, $0.baseAddress!) }
                    for r in 0..<d { inverse[r * d + c] = column[r] }
                }
            }
            for r in 0..<d { for c in 0..<r { inverse[r * d + c] = 0.5 * (inverse[r * d + c] + inverse[c * d + r]); inverse[c * d + r] = inverse[r * d + c] } }
            guard inverse.allSatisfy(\.isFinite) else { return nil }
            precision = inverse
            let movies = model.movieCount, k = model.rank
            var products = [Double](repeating: 0, count: movies * d)
            var x = [Double](repeating: 0, count: d)
            prior.covariance.withUnsafeBufferPointer { s in
                model.movieFactors.values.withUnsafeBufferPointer { q in
                    products.withUnsafeMutableBufferPointer { out in
                        x.withUnsafeMutableBufferPointer { x in
                            for movie in 0..<movies {
                                x[0] = 1
                                for c in 0..<k { x[1 + c] = Double(q[movie * k + c]) }
                                for r in 0..<d { out[movie * d + r] = laneDot(s.baseAddress! + r * d, UnsafePointer(x.baseAddress!), d) }
                            }
                        }
                    }
                }
            }
            covarianceTimesMovies = products
        }

        struct Solution: Sendable {
            /// (b_u, P_u).
            var z: [Double]
            /// The history's movies and their residuals e_j (see `FactorSolver`).
            var movies: [Int32]
            var e: [Double]
            /// Woodbury: the upper Cholesky factor of C = σ² I + X S Xᵀ (h × h); precision form:
            /// that of A = S⁻¹ + XᵀX / σ² (d × d).
            var factor: [Double]
            var woodbury: Bool
        }

        /// x_j = (1, Q_j).
        func x(_ movie: Int, into out: inout [Double]) {
            let k = model.rank
            out[0] = 1
            for c in 0..<k { out[1 + c] = Double(model.movieFactors.values[movie * k + c]) }
        }

        /// The posterior mean of z for `history`, under the prior centred at `mean` (the stored m,
        /// or m shifted by the person's attributes: `FactorPrior.mean(attributes:)`).
        func solve(_ history: History, mean: [Double]? = nil) -> Solution {
            let d = prior.dimension, h = history.count, sigma2 = prior.noiseVariance, k = model.rank
            let m = mean ?? prior.mean
            guard h > 0 else { return Solution(z: m, movies: [], e: [], factor: [], woodbury: true) }
            // X (h × d, rows x_j = (1, Q_j)) and e. The loops below run on raw buffers with SIMD dot
            // products (`laneDot`): a fixed order of additions, the same bytes in serve and evaluate.
            var xs = [Double](repeating: 0, count: h * d)
            var e = [Double](repeating: 0, count: h)
            model.movieFactors.values.withUnsafeBufferPointer { q in
                xs.withUnsafeMutableBufferPointer { x in
                    for (j, movie) in history.movies.enumerated() {
                        let row = x.baseAddress! + j * d, source = q.baseAddress! + Int(movie) * k
                        row[0] = 1
                        for c in 0..<k { row[1 + c] = Double(source[c]) }
                    }
                    // x_j · m for every j at once (`laneDots`: `laneDot`'s bytes), then the residuals.
                    m.withUnsafeBufferPointer { mean in
                        e.withUnsafeMutableBufferPointer { laneDots(mean.baseAddress!, rows: UnsafePointer(x.baseAddress!), n: d, count: h, into: $0.baseAddress!) }
                    }
                }
            }
            model.movieBias.withUnsafeBufferPointer { bias in
                history.ratings.withUnsafeBufferPointer { ratings in
                    for (j, movie) in history.movies.enumerated() {
                        e[j] = Double(ratings[j]) - Double(model.globalMean) - Double(bias[Int(movie)]) - e[j]
                    }
                }
            }
            var z = m
            if h <= d {
                // SX = S Xᵀ (column j: sx[j * d ..]), C = σ² I + X S Xᵀ, β = C⁻¹ e, z = m + SX β.
                var sx = [Double](repeating: 0, count: h * d)
                var cMatrix = [Double](repeating: 0, count: h * h)
                var beta = e
                covarianceTimesMovies.withUnsafeBufferPointer { products in
                    xs.withUnsafeBufferPointer { x in
                        sx.withUnsafeMutableBufferPointer { out in
                            for (j, movie) in history.movies.enumerated() {
                                (out.baseAddress! + j * d).update(from: products.baseAddress! + Int(movie) * d, count: d)
                            }
                            cMatrix.withUnsafeMutableBufferPointer { c in
                                for a in 0..<h {
                                    // Row a's upper part, x_a · (S x_b) for b ≥ a, in one call; mirrored below the diagonal.
                                    laneDots(x.baseAddress! + a * d, rows: UnsafePointer(out.baseAddress! + a * d), n: d, count: h - a, into: c.baseAddress! + a * h + a)
                                    for b in (a + 1)..<h { c[b * h + a] = c[a * h + b] }
                                    c[a * h + a] += sigma2
                                }
                            }
                        }
                    }
                }
                cMatrix.withUnsafeMutableBufferPointer { cm in
                    _ = SmallCholesky.factor(cm.baseAddress!, n: h)
                    beta.withUnsafeMutableBufferPointer { SmallCholesky.solve(UnsafePointer(cm.baseAddress!), n: h, $0.baseAddress!) }
                }
                sx.withUnsafeBufferPointer { column in
                    z.withUnsafeMutableBufferPointer { out in
                        for j in 0..<h {
                            let weight = beta[j], base = column.baseAddress! + j * d
                            for r in 0..<d { out[r] += base[r] * weight }
                        }
                    }
                }
                return Solution(z: z, movies: history.movies, e: e, factor: cMatrix, woodbury: true)
            }
            // A = S⁻¹ + XᵀX / σ² (upper triangle), z = m + A⁻¹ Xᵀ e / σ².
            var a = precision
            var rhs = [Double](repeating: 0, count: d)
            xs.withUnsafeBufferPointer { x in
                a.withUnsafeMutableBufferPointer { out in
                    for j in 0..<h {
                        let row = x.baseAddress! + j * d
                        for r in 0..<d {
                            let scaled = row[r] / sigma2
                            rhs[r] += scaled * e[j]
                            OuterProducts.subtractScaled(-scaled, row + r, from: out.baseAddress! + r * d + r, count: d - r)
                        }
                    }
                }
            }
            a.withUnsafeMutableBufferPointer { am in
                _ = SmallCholesky.factor(am.baseAddress!, n: d)
                rhs.withUnsafeMutableBufferPointer { SmallCholesky.solve(UnsafePointer(am.baseAddress!), n: d, $0.baseAddress!) }
            }
            for r in 0..<d { z[r] += rhs[r] }
            return Solution(z: z, movies: history.movies, e: e, factor: a, woodbury: false)
        }

        /// global mean + b_u + movie bias + P_u · Q_i (unclipped).
        func prediction(_ solution: Solution, movie: Int) -> Float {
            Float(Double(model.globalMean) + solution.z[0] + Double(model.movieBias[movie]) + interaction(solution, movie: movie))
        }

        /// movie bias + P_u · Q_i, as `FactorModel.scores` ranks.
        func rankingScore(_ solution: Solution, movie: Int) -> Float {
            Float(Double(model.movieBias[movie]) + interaction(solution, movie: movie))
        }

        func interaction(_ solution: Solution, movie: Int) -> Double {
            let k = model.rank
            return solution.z.withUnsafeBufferPointer { z in
                model.movieFactors.values.withUnsafeBufferPointer { q in
                    var sum = 0.0
                    let source = q.baseAddress! + movie * k
                    for c in 0..<k { sum += z[1 + c] * Double(source[c]) }
                    return sum
                }
            }
        }

        /// Each history movie's term of P_u · Q_i beyond the prior mean's: with W = A⁻¹ Xᵀ / σ²
        /// (= S Xᵀ C⁻¹), z − m = W e, and movie j's term is e_j (W_{·j} · x̃_i); they sum to
        /// (z − m) · x̃_i. Woodbury: W_{·j} · x̃ = (C⁻¹ X S x̃)_j; precision form: x_j · A⁻¹ x̃ / σ².
        func contributions(_ solution: Solution, movie: Int) -> [Double] {
            let d = prior.dimension, k = model.rank, h = solution.movies.count
            guard h > 0 else { return [] }
            var target = [Double](repeating: 0, count: d)
            for c in 0..<k { target[1 + c] = Double(model.movieFactors.values[movie * k + c]) }
            var row = [Double](repeating: 0, count: d)
            if solution.woodbury {
                var v = [Double](repeating: 0, count: d)
                for r in 0..<d {
                    var sum = 0.0
                    for c in 0..<d { sum += prior.covariance[r * d + c] * target[c] }
                    v[r] = sum
                }
                var w = solution.movies.map { source -> Double in
                    x(Int(source), into: &row)
                    var dotV = 0.0
                    for c in 0..<d { dotV += row[c] * v[c] }
                    return dotV
                }
                solution.factor.withUnsafeBufferPointer { cm in
                    w.withUnsafeMutableBufferPointer { SmallCholesky.solve(cm.baseAddress!, n: h, $0.baseAddress!) }
                }
                return (0..<h).map { solution.e[$0] * w[$0] }
            }
            var v = target
            solution.factor.withUnsafeBufferPointer { am in
                v.withUnsafeMutableBufferPointer { SmallCholesky.solve(am.baseAddress!, n: d, $0.baseAddress!) }
            }
            return solution.movies.enumerated().map { j, source in
                x(Int(source), into: &row)
                var dotV = 0.0
                for c in 0..<d { dotV += row[c] * v[c] }
                return solution.e[j] / prior.noiseVariance * dotV
            }
        }
    }
}

extension ModelFile {
    /// The content baseline's prediction (clipped) for training user `user` and `movie` (one
    /// without training ratings), the user's terms from their training ratings; nil when the file
    /// has no content baseline or no training ratings.
    public func coldMovieRating(user: Int, movie: Int) -> Float? {
        coldPerson(user: user).flatMap { coldMovieRating(person: $0, movie: movie) }
    }

    /// Training user `user`'s terms in the content baseline (nil without one or without training ratings).
    public func coldPerson(user: Int) -> ColdMovieModel.Person? {
        guard let model = coldMovies, let ratings = trainingRatings else { return nil }
        let range = trainingMovies.range(user)
        return model.person(movies: trainingMovies.columns[range], ratings: ratings[range])
    }

    /// The content baseline's clipped prediction for a person's terms and a movie.
    public func coldMovieRating(person: ColdMovieModel.Person, movie: Int) -> Float? {
        coldMovies.map { metadata.clip($0.predict(person, movie: movie)) }
    }
}

extension LearnedModel {
    /// B[from, to] of an item-item model (0 where a sparse row keeps nothing); 0 for factors.
    public func weight(from source: Int, to target: Int) -> Float {
        switch self {
        case .factors: 0
        case .itemItem(let model): model.weights.values[source * model.movieCount + target]
        case .sparseItemItem(let model):
            model.rows.columns.withUnsafeBufferPointer { columns in
                model.rows.values.withUnsafeBufferPointer { values in
                    SparseItemItemModel.find(Int32(target), in: model.rows.range(source), columns: columns, values: values)
                }
            }
        }
    }
}

extension SparseItemItemModel {
    /// The value at `column` among a row's entries (`range`, columns ascending), 0 when not kept:
    /// an interpolation search (a row's kept columns spread over the catalogue: two or three
    /// probes instead of binary search's ten, each a likely cache miss), then a short scan.
    @inline(__always)
    static func find(_ column: Int32, in range: Range<Int>, columns: UnsafeBufferPointer<Int32>, values: UnsafeBufferPointer<Float>) -> Float {
        var low = range.lowerBound, high = range.upperBound  // the answer, if kept, is in [low, high)
        while high - low > 8 {
            let first = columns[low], last = columns[high - 1]
            guard column >= first, column <= last else { return 0 }
            let guess = low + Int(Int64(column - first) * Int64(high - 1 - low) / Int64(max(1, last - first)))
            let found = columns[guess]
            if found == column { return values[guess] }
            if found < column { low = guess + 1 } else { high = guess }
        }
        for entry in low..<high where columns[entry] >= column { return columns[entry] == column ? values[entry] : 0 }
        return 0
    }
}
