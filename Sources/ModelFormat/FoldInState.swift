import Essentials
import HDF5
import LinearAlgebra
import MovieLens

/// What a head needs to answer a person who is not in its training data from the ratings they
/// give (fold-in, `ModelFile.foldIn` in `Ranking`), stored in the head's `fold_in` group
/// (model format 3). A head without it (older files) refuses fold-in rather than guess.
///
/// - **Factor heads** (SVD, PCA, ALS, BPMF, the Bayesian FM): an empirical Gaussian prior over a
///   user's term and vector z = (b_u, P_u) — the mean and covariance of the training users' own
///   (b_u, P_u) — and the noise variance σ² of the training ratings around the model's
///   predictions. A new user's z is its posterior mean given their ratings y (the movies' terms
///   and vectors fixed): with x_j = (1, Q_j) and y_j − global mean − movie bias,
///
///       z = m + S Xᵀ (σ² I + X S Xᵀ)⁻¹ (y − X m)
///
///   For a user of the training data with many ratings this is close to their stored (b_u, P_u);
///   with none it is the average user. Sizes: (k + 1) + (k + 1)² doubles (rank 256: 0.5 MB).
/// - **Item-item heads** (EASE): the weight each rating gives its movie in the user's input row
///   (1, or EASE's liked weight 1 + β), as a table of the training ratings' values: a history
///   row is scored exactly as a training user's (`H/input_weight` maps each training rating the
///   same way). A few bytes.
///
///     let state = FoldInState.estimate(head: head, training: file.trainingMovies, ratings: file.trainingRatings!)
public enum FoldInState: Sendable, Equatable {
    case factors(FactorPrior)
    case itemItem(InputRule)

    /// The empirical prior of a factor head (see `FoldInState`).
    public struct FactorPrior: Sendable, Equatable {
        /// m: (k + 1), the mean of the training users' (b_u, P_u).
        public var mean: [Double]
        /// S: (k + 1) × (k + 1), row-major, their covariance plus `ridge` on the diagonal.
        public var covariance: [Double]
        /// σ²: the mean squared difference between the training ratings and the head's predictions.
        public var noiseVariance: Double

        /// How the prior's mean moves with what a person says of themselves (nil: the file's users
        /// had no attributes, or it was written before they were read).
        public var attributes: AttributePrior?
        /// How the prior's mean moves with which movies a person rated (nil: written before it).
        public var implicit: ImplicitPrior?

        public var dimension: Int { mean.count }

        public init(mean: [Double], covariance: [Double], noiseVariance: Double, attributes: AttributePrior? = nil, implicit: ImplicitPrior? = nil) {
            precondition(covariance.count == mean.count * mean.count, "FactorPrior: (k + 1)² covariance entries")
            precondition(attributes.map { $0.offsets.count == $0.values.count * mean.count } ?? true, "FactorPrior: one offset of k + 1 per attribute value")
            precondition(implicit.map { $0.offsets.count == $0.movies.count * mean.count } ?? true, "FactorPrior: one offset of k + 1 per implicit movie")
            (self.mean, self.covariance, self.noiseVariance, self.attributes, self.implicit) = (mean, covariance, noiseVariance, attributes, implicit)
        }

        /// The prior mean of a person with `attributes` (group → value, as
        /// `UserAttributes.values`) who rated the movies `rated` (indices, any order, each once):
        /// m plus the offset of each value the prior knows (values it does not know add nothing:
        /// check them with `AttributePrior.problem` first) plus the rated movies' implicit offsets
        /// (`ImplicitPrior.shift`).
        public func mean(attributes given: [String: String], rated: [Int32] = []) -> [Double] {
            var result = mean
            if let prior = attributes, !given.isEmpty {
                prior.add(given, into: &result)
            }
            implicit?.shift(rated: rated, into: &result)
            return result
        }
    }

    /// Which movies a person rated, as a shift of the prior mean — the Bayesian FM's implicit
    /// block (SVD++'s): with n_u the user's normalised implicit row (1/√|N_u| on each movie N_u
    /// holds, every rated movie counted in |N_u|), the offsets V minimise
    /// Σ_u |r_u − Vᵀn_u|² + λ |V|² over the training users, r_u their (b_u, P_u) less m and their
    /// attributes' offsets (ridge, λ = `ridge`). Read from the learned users of any factor head.
    /// The `maximumMovies` most-rated movies carry an offset (ties to the lower index); a rated
    /// movie without one still counts in |N_u|. ML-1M's Bayesian FM on the new-users protocol
    /// (numpy on the files): RMSE on the targets 0.8164 → 0.8136; 3,706 movies × 257 floats, 3.8 MB.
    public struct ImplicitPrior: Sendable, Equatable {
        /// The movies with an offset: indices, strictly increasing.
        public var movies: [Int32]
        /// (movies × (k + 1)), row-major; single precision (a shift of the prior's centre).
        public var offsets: [Float]

        /// λ: 10 (on the scale of n_u's entries; best of 3, 10, 30, 100 on ML-1M's new users).
        public static let ridge = 10.0
        /// The most movies with an offset (written and read): the fit solves a movies² system.
        public static let maximumMovies = 4_096

        public init(movies: [Int32], offsets: [Float]) {
            (self.movies, self.offsets) = (movies, offsets)
        }

        /// result += Σ_{j ∈ rated, with an offset} V_j / √|rated|.
        public func shift(rated: [Int32], into result: inout [Double]) {
            guard !rated.isEmpty else { return }
            let d = result.count, scale = 1 / Double(rated.count).squareRoot()
            precondition(offsets.count == movies.count * d, "ImplicitPrior.shift: a mean of k + 1")
            movies.withUnsafeBufferPointer { known in
                offsets.withUnsafeBufferPointer { v in
                    result.withUnsafeMutableBufferPointer { out in
                        for movie in rated {
                            // Binary search in the ascending indices.
                            var low = 0, high = known.count
                            while low < high {
                                let middle = (low + high) / 2
                                if known[middle] < movie { low = middle + 1 } else { high = middle }
                            }
                            guard low < known.count, known[low] == movie else { continue }
                            let row = v.baseAddress! + low * d
                            for c in 0..<d { out[c] += Double(row[c]) * scale }
                        }
                    }
                }
            }
        }

        /// Fitted to `residuals` (users × d, row-major, the rows of `users`) and the users'
        /// training movies; nil without rated movies or when the system cannot be solved.
        static func estimate(residuals: [Double], d: Int, users: [Int], training: SparseRows, movieCount: Int) -> ImplicitPrior? {
            let counts = training.columnCounts(movieCount)
            var chosen = (0..<movieCount).filter { counts[$0] > 0 }
            if chosen.count > maximumMovies {
                chosen = Array(chosen.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }.prefix(maximumMovies)).sorted()
            }
            let size = chosen.count
            guard size > 0 else { return nil }
            var position = [Int](repeating: -1, count: movieCount)
            for (slot, movie) in chosen.enumerated() { position[movie] = slot }
            // (NᵀN + λI) V = Nᵀ R: NᵀN's upper triangle from each user's rated movies with an offset.
            var gram = [Double](repeating: 0, count: size * size), rhs = [Double](repeating: 0, count: size * d)
            var slots: [Int] = []
            for (row, user) in users.enumerated() {
                let range = training.range(user)
                guard !range.isEmpty else { continue }
                let squared = 1 / Double(range.count), scale = squared.squareRoot()
                slots.removeAll(keepingCapacity: true)
                for entry in range where position[Int(training.columns[entry])] >= 0 { slots.append(position[Int(training.columns[entry])]) }
                slots.sort()
                for (index, a) in slots.enumerated() {
                    for b in slots[index...] { gram[a * size + b] += squared }
                    for c in 0..<d { rhs[a * d + c] += scale * residuals[row * d + c] }
                }
            }
            for a in 0..<size {
                gram[a * size + a] += ridge
                for b in 0..<a { gram[a * size + b] = gram[b * size + a] }
            }
            // One thread: the same bytes whatever BLAS's thread count.
            let solved = Parallel.withBLASThreads(1) { (try? LAPACK.choleskySolve(&gram, n: size, &rhs, columns: d)) != nil }
            guard solved, rhs.allSatisfy(\.isFinite) else { return nil }
            return ImplicitPrior(movies: chosen.map(Int32.init), offsets: rhs.map(Float.init))
        }
    }

    /// The users' attributes as a shift of the prior mean: with a the one-hot vector of a user's
    /// attribute values (gender, age group, occupation, zip region: `UserAttributes.values`) and
    /// z the user's (b_u, P_u), the offsets W minimise Σ_u |z_u − m − Wᵀa_u|² + λ |W|² over the
    /// training users (ridge, λ = `ridge` pseudo-users per value). A person who gives their
    /// attributes is folded in under N(m + Wᵀa, S): the same covariance, a better centre — what the
    /// Bayesian FM's attribute features add to a user's block, read from its learned users.
    public struct AttributePrior: Sendable, Equatable {
        /// Each value's group (`UserAttributes.groups`) and value, sorted by group then value.
        public var groups: [String]
        public var values: [String]
        /// (values × (k + 1)), row-major.
        public var offsets: [Double]

        /// λ: 10 pseudo-users per value.
        public static let ridge = 10.0
        /// The most attribute values a prior holds (written and read).
        public static let maximumValues = 1_000

        public init(groups: [String], values: [String], offsets: [Double]) {
            precondition(groups.count == values.count, "AttributePrior: one group per value")
            (self.groups, self.values, self.offsets) = (groups, values, offsets)
        }

        /// result += the offset of each value of `given` the prior knows.
        func add(_ given: [String: String], into result: inout [Double]) {
            let d = result.count
            for (index, (group, value)) in zip(groups, values).enumerated() where given[group] == value {
                for c in 0..<d { result[c] += offsets[index * d + c] }
            }
        }

        /// The values the prior knows for `group`, sorted.
        public func known(_ group: String) -> [String] {
            zip(groups, values).filter { $0.0 == group }.map(\.1)
        }

        /// Why `given` cannot be used (a group or value the prior does not know), or nil.
        public func problem(with given: [String: String]) -> String? {
            for (group, value) in given.sorted(by: { $0.key < $1.key }) {
                let known = known(group)
                guard !known.isEmpty else {
                    return "\(group): this model's users had no \(group) (it knows \(Set(groups).sorted().joined(separator: ", ")))"
                }
                guard known.contains(value) else {
                    return "\(group): '\(value.prefix(40))' is not one of its values (\(known.joined(separator: ", ")))"
                }
            }
            return nil
        }

        /// Fitted to the training users' centred vectors `z` (users × d, row-major, the rows of
        /// `users`) and their attributes; nil when no user has any.
        static func estimate(z: [Double], d: Int, users: [Int], attributes: UserAttributes) -> AttributePrior? {
            let perUser = users.map { attributes.values(of: $0) }
            // Ordered by group, then number (ages), then text: a total order, the same bytes on every run.
            func key(_ pair: String) -> (Int, Int, String) {
                let parts = pair.split(separator: "\u{0}", omittingEmptySubsequences: false)
                return (UserAttributes.groups.firstIndex(of: String(parts[0])) ?? UserAttributes.groups.count, Int(parts[1]) ?? Int.max, String(parts[1]))
            }
            let pairs = Set(perUser.flatMap { $0.map { "\($0.key)\u{0}\($0.value)" } }).sorted { key($0) < key($1) }
            // Tens of values in MovieLens; a source with free-text fields of thousands of values gets no prior
            // (its p × p system would not be small, and the reader refuses it).
            guard !pairs.isEmpty, pairs.count <= maximumValues else { return nil }
            let split = pairs.map { $0.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init) }
            let index = Dictionary(uniqueKeysWithValues: pairs.enumerated().map { ($1, $0) })
            let p = pairs.count
            // (AᵀA + λI) W = Aᵀ Z, in double, by Cholesky (p is tens).
            var gram = [Double](repeating: 0, count: p * p), rhs = [Double](repeating: 0, count: p * d)
            for (row, values) in perUser.enumerated() {
                let features = values.map { index["\($0.key)\u{0}\($0.value)"]! }.sorted()
                for a in features {
                    for b in features { gram[a * p + b] += 1 }
                    for c in 0..<d { rhs[a * d + c] += z[row * d + c] }
                }
            }
            for a in 0..<p { gram[a * p + a] += ridge }
            let solved = gram.withUnsafeMutableBufferPointer { g -> Bool in
                guard SmallCholesky.factor(g.baseAddress!, n: p) else { return false }
                var column = [Double](repeating: 0, count: p)
                for c in 0..<d {
                    for a in 0..<p { column[a] = rhs[a * d + c] }
                    column.withUnsafeMutableBufferPointer { SmallCholesky.solve(UnsafePointer(g.baseAddress!), n: p, $0.baseAddress!) }
                    for a in 0..<p { rhs[a * d + c] = column[a] }
                }
                return true
            }
            guard solved, rhs.allSatisfy(\.isFinite) else { return nil }
            return AttributePrior(groups: split.map { $0[0] }, values: split.map { $0[1] }, offsets: rhs)
        }
    }

    /// The input weight of each training rating value, for item-item heads.
    public struct InputRule: Sendable, Equatable {
        /// Distinct training rating values, ascending.
        public var ratings: [Float]
        /// The weight a rating of `ratings[i]` gives its movie.
        public var weights: [Float]

        public init(ratings: [Float], weights: [Float]) {
            precondition(ratings.count == weights.count, "InputRule: one weight per rating")
            (self.ratings, self.weights) = (ratings, weights)
        }

        /// The weight of `rating`: its table entry, or the nearest value's (the lower on a tie)
        /// for a rating on the scale that no training rating had.
        public func weight(_ rating: Float) -> Float {
            guard !ratings.isEmpty else { return 1 }
            var best = 0
            for index in ratings.indices where abs(ratings[index] - rating) < abs(ratings[best] - rating) { best = index }
            return weights[best]
        }
    }

    /// The diagonal added to the users' covariance, relative to its mean diagonal: keeps the
    /// prior proper along directions the training users hardly vary in (a sketch's last columns).
    public static let relativeRidge = 1e-6

    /// The state of `head` from the file's training movies (by user, ascending) and their
    /// ratings; nil for a head that cannot fold in (an ordered-probit head; an item-item head
    /// whose input weights give one rating value two weights; no training users).
    public static func estimate(head: ModelHead, training: SparseRows, ratings: [Float], attributes: UserAttributes? = nil) -> FoldInState? {
        precondition(ratings.count == training.columns.count, "estimate: one rating per training movie")
        switch head.model {
        case .factors(let factors):
            guard factors.ordinal == nil else { return nil }
            return factorPrior(factors, training: training, ratings: ratings, attributes: attributes).map { .factors($0) }
        case .itemItem, .sparseItemItem:
            var table: [Float: Float] = [:]
            for (index, rating) in ratings.enumerated() {
                let weight = head.inputWeights?[index] ?? 1
                if let known = table[rating], known != weight { return nil }
                table[rating] = weight
            }
            let values = table.keys.sorted()
            return .itemItem(InputRule(ratings: values, weights: values.map { table[$0]! }))
        }
    }

    static func factorPrior(_ model: FactorModel, training: SparseRows, ratings: [Float], attributes: UserAttributes? = nil) -> FactorPrior? {
        let k = model.rank, d = k + 1
        let users = (0..<training.rowCount).filter { !training.range($0).isEmpty }
        guard users.count >= 2 else { return nil }
        // (b_u, P_u) of the users with training ratings, as a users × d matrix (double).
        var z = [Double](repeating: 0, count: users.count * d)
        for (row, user) in users.enumerated() {
            z[row * d] = Double(model.userBias[user])
            for c in 0..<k { z[row * d + 1 + c] = Double(model.userFactors.values[user * k + c]) }
        }
        var mean = [Double](repeating: 0, count: d)
        for row in 0..<users.count { for c in 0..<d { mean[c] += z[row * d + c] } }
        for c in 0..<d { mean[c] /= Double(users.count) }
        for row in 0..<users.count { for c in 0..<d { z[row * d + c] -= mean[c] } }
        let attributePrior = attributes.flatMap { $0.fits(users: training.rowCount) ? AttributePrior.estimate(z: z, d: d, users: users, attributes: $0) : nil }
        // The implicit offsets fit what the attributes leave: z − m − (the user's attribute offsets).
        var residuals = z
        if let attributePrior, let attributes {
            for (row, user) in users.enumerated() {
                var shift = [Double](repeating: 0, count: d)
                attributePrior.add(attributes.values(of: user), into: &shift)
                for c in 0..<d { residuals[row * d + c] -= shift[c] }
            }
        }
        let implicitPrior = ImplicitPrior.estimate(residuals: residuals, d: d, users: users, training: training, movieCount: model.movieCount)
        // S = ZᵀZ / (n − 1): one BLAS call in double, on one thread (the same bytes on any machine).
        var covariance = [Double](repeating: 0, count: d * d)
        Parallel.withBLASThreads(1) {
            z.withUnsafeBufferPointer { a in
                covariance.withUnsafeMutableBufferPointer { c in
                    BLAS.syrkUpperTransposed(n: d, k: users.count, alpha: 1, a: a.baseAddress!, lda: d, beta: 0, c: c.baseAddress!, ldc: d)
                }
            }
        }
        for r in 0..<d { for c in 0..<r { covariance[r * d + c] = covariance[c * d + r] } }
        let scale = 1 / Double(users.count - 1)
        var trace = 0.0
        for index in covariance.indices { covariance[index] *= scale }
        for c in 0..<d { trace += covariance[c * d + c] }
        let ridge = max(relativeRidge * trace / Double(d), 1e-12)
        for c in 0..<d { covariance[c * d + c] += ridge }
        // σ²: the training ratings around the head's own (unclipped) predictions.
        var squared = 0.0
        for user in users {
            for entry in training.range(user) {
                let error = Double(ratings[entry]) - Double(model.linearPrediction(user: user, movie: Int(training.columns[entry])))
                squared += error * error
            }
        }
        let noise = squared / Double(max(1, training.columns.count))
        guard noise.isFinite, noise > 0, covariance.allSatisfy(\.isFinite) else { return nil }
        return FactorPrior(mean: mean, covariance: covariance, noiseVariance: noise, attributes: attributePrior, implicit: implicitPrior)
    }

    // MARK: The file's `H/fold_in` group

    /// Writes the state into `group` (a head's `fold_in`).
    func write(to group: HDF5Group) throws {
        switch self {
        case .factors(let prior):
            try group.setAttribute("kind", "factor-prior")
            try group.setAttribute("noise_variance", prior.noiseVariance)
            try group.write("prior_mean", prior.mean)
            try group.write("prior_covariance", prior.covariance, shape: [prior.dimension, prior.dimension])
            if let attributes = prior.attributes {
                try group.write("attribute_group", strings: attributes.groups)
                try group.write("attribute_value", strings: attributes.values)
                try group.write("attribute_offset", attributes.offsets, shape: [attributes.values.count, prior.dimension])
            }
            if let implicit = prior.implicit {
                try group.write("implicit_movie", implicit.movies)
                try group.write("implicit_offset", implicit.offsets, shape: [implicit.movies.count, prior.dimension])
            }
        case .itemItem(let rule):
            try group.setAttribute("kind", "input-rule")
            try group.write("rating", rule.ratings)
            try group.write("input_weight", rule.weights)
        }
    }

    /// Reads a head's `fold_in` group, checked against the head's model and the rating scale.
    static func read(_ group: HDF5Group, at location: String, model: LearnedModel, scale: RatingScale, check: ContentCheck) throws -> FoldInState {
        let kind = try group.stringAttribute("kind")
        switch (kind, model) {
        case ("factor-prior", .factors(let factors)):
            let d = factors.rank + 1
            let noise = try group.attribute("noise_variance", as: Double.self)
            guard noise >= 1e-12, noise <= 1e12 else { throw check.fail("\(location) attribute 'noise_variance'", "is \(noise): it must be from 1e-12 to 1e12") }
            let mean: [Double] = try group.read("prior_mean", shape: [d], why: "rank + 1")
            let covariance: [Double] = try group.read("prior_covariance", shape: [d, d], why: "(rank + 1) × (rank + 1)")
            try check.finite(mean, location + "/prior_mean")
            try check.finite(covariance, location + "/prior_covariance")
            if let position = (mean + covariance).firstIndex(where: { abs($0) > 1e12 }) {
                throw check.fail(location, "prior value \(position) is beyond ±1e12: not a prior of factors")
            }
            for r in 0..<d {
                guard covariance[r * d + r] >= 1e-12 else { throw check.fail(location + "/prior_covariance", "diagonal entry \(r) is \(covariance[r * d + r]): a covariance's diagonal must be at least 1e-12") }
                for c in 0..<r where covariance[r * d + c] != covariance[c * d + r] {
                    throw check.fail(location + "/prior_covariance", "entries (\(r), \(c)) and (\(c), \(r)) differ: a covariance is symmetric")
                }
            }
            // Fold-in factors it (Cholesky): a matrix that is not positive definite is refused here.
            var factor = covariance
            let definite = factor.withUnsafeMutableBufferPointer { SmallCholesky.factor($0.baseAddress!, n: d) }
            guard definite else { throw check.fail(location + "/prior_covariance", "is not positive definite (a covariance plus a ridge is)") }
            var attributes: AttributePrior? = nil
            let parts = ["attribute_group", "attribute_value", "attribute_offset"].filter { group.contains($0) }
            guard parts.isEmpty || parts.count == 3 else {
                throw check.fail(location, "holds \(parts.joined(separator: ", ")) without the rest of attribute_group, attribute_value, attribute_offset")
            }
            if !parts.isEmpty {
                let count = try group.dataset("attribute_value").shape.first ?? 0
                let most = AttributePrior.maximumValues
                guard (1...most).contains(count) else { throw check.fail(location + "/attribute_value", "holds \(count) values: from 1 to \(most)") }
                let groups = try group.readStrings("attribute_group", count: count, why: "/attribute_value's length")
                let values = try group.readStrings("attribute_value", count: count, why: "/attribute_value's length")
                let offsets: [Double] = try group.read("attribute_offset", shape: [count, d], why: "attribute values × (rank + 1)")
                if let position = groups.firstIndex(where: { !UserAttributes.groups.contains($0) }) {
                    throw check.fail(location + "/attribute_group", "position \(position) holds '\(groups[position].prefix(40))': a group is one of \(UserAttributes.groups.joined(separator: ", "))")
                }
                var seen = Set<String>()
                for (position, pair) in zip(groups, values).enumerated() where !seen.insert("\(pair.0)\u{0}\(pair.1)").inserted {
                    throw check.fail(location + "/attribute_value", "position \(position): \(pair.0) '\(pair.1.prefix(40))' is listed twice")
                }
                try check.finite(offsets, location + "/attribute_offset")
                if let position = offsets.firstIndex(where: { abs($0) > 1e12 }) {
                    throw check.fail(location + "/attribute_offset", "value \(position) is beyond ±1e12: not an offset of factors")
                }
                attributes = AttributePrior(groups: groups, values: values, offsets: offsets)
            }
            var implicit: ImplicitPrior? = nil
            let implicitParts = ["implicit_movie", "implicit_offset"].filter { group.contains($0) }
            guard implicitParts.isEmpty || implicitParts.count == 2 else {
                throw check.fail(location, "holds \(implicitParts[0]) without \(implicitParts[0] == "implicit_movie" ? "implicit_offset" : "implicit_movie")")
            }
            if !implicitParts.isEmpty {
                let count = try group.dataset("implicit_movie").shape.first ?? 0
                let most = min(ImplicitPrior.maximumMovies, factors.movieCount)
                guard (1...max(1, most)).contains(count) else { throw check.fail(location + "/implicit_movie", "holds \(count) movies: from 1 to \(most)") }
                let movies: [Int32] = try group.read("implicit_movie", shape: [count], why: "its own length")
                let offsets: [Float] = try group.read("implicit_offset", shape: [count, d], why: "implicit movies × (rank + 1)")
                try check.strictlyIncreasing(movies, location + "/implicit_movie", what: "movie indices")
                if let position = movies.firstIndex(where: { $0 < 0 || Int($0) >= factors.movieCount }) {
                    throw check.fail(location + "/implicit_movie", "position \(position) holds \(movies[position]): a movie index is from 0 to \(factors.movieCount - 1)")
                }
                try check.finite(offsets, location + "/implicit_offset")
                if let position = offsets.firstIndex(where: { abs($0) > 1e12 }) {
                    throw check.fail(location + "/implicit_offset", "value \(position) is beyond ±1e12: not an offset of factors")
                }
                implicit = ImplicitPrior(movies: movies, offsets: offsets)
            }
            return .factors(FactorPrior(mean: mean, covariance: covariance, noiseVariance: noise, attributes: attributes, implicit: implicit))
        case ("input-rule", .itemItem), ("input-rule", .sparseItemItem):
            let count = try group.dataset("rating").shape.first ?? 0
            let ratings: [Float] = try group.read("rating", shape: [count], why: "one per input weight")
            let weights: [Float] = try group.read("input_weight", shape: [count], why: "/rating's length")
            if let position = ratings.firstIndex(where: { !scale.contains($0) }) {
                throw check.fail(location + "/rating", "position \(position): \(scale.problem(with: ratings[position])!)")
            }
            try check.strictlyIncreasing(ratings, location + "/rating", what: "ratings")
            try check.finite(weights, location + "/input_weight")
            return .itemItem(InputRule(ratings: ratings, weights: weights))
        default:
            throw check.fail(location, "attribute 'kind' is '\(kind)', which does not fold in a \(model.kind) head (factor-prior for factors, input-rule for item-item)")
        }
    }
}
