import Essentials
import Foundation
import LinearAlgebra
import ModelFormat
import MovieLens

/// The Gibbs sampler behind `BayesianFM` (see there for the model and the block sums).
///
/// Both sides are the same code: a side's *entities* (users, or movies) each own a block of one
/// id feature and, optionally, one implicit feature per *partner* they rated (movies, or users),
/// with x = 1/√(entity's ratings). Factors are kept dimension-major (`v[d * count + f]`) so a
/// dimension's pass reads them contiguously; the residuals and sums are in double precision.
struct FMSampler {
    /// One side's parameters and block sums.
    struct Side {
        let count: Int            // entities
        /// Rows of each entity: `rows[pointers[e]..<pointers[e + 1]]` are row indices.
        let pointers: [Int]
        let rows: [Int32]
        /// n_e, the entity's training ratings.
        let counts: [Double]
        /// Ranges of entities with about equal rows, for the parallel passes.
        let blocks: [Range<Int>]
        /// The first entity of the second half of the draws (`drawSide`): about half the rows before it.
        let boundary: Int
        /// Σ w_r over the entity's rows (the rows' noise weights; n_e while every w_r = 1).
        var weightSums: [Double]

        var idW: [Double]
        var idV: [Double]                           // dimension-major
        /// The blocks' other feature groups (implicit feedback, movie or user attributes).
        var groups: [FeatureGroup]
        /// Block sums: first order W_e = Σ w_f x_f; per dimension A_e = Σ v_f x_f and D_e = Σ v_f² x_f².
        var blockW: [Double]
        var blockA: [Double], blockD: [Double]      // dimension-major
    }

    /// A group of block features with its own priors: the features of entity e's block are
    /// `entityFeatures[entityPointers[e]..<entityPointers[e + 1]]`, each with the same x = weight[e];
    /// the entities holding feature f, `featureEntities[featurePointers[f]..<featurePointers[f + 1]]`.
    ///
    /// - implicit: one feature per partner, in the blocks of the entities that rated it, x = 1/√n_e
    ///   (0 for an entity without training ratings, whose block has no partner);
    /// - genres: one feature per genre, in the blocks of the movies listing it, x = 1/√(genres);
    /// - year: one feature per release year, in the blocks of that year's movies, x = 1;
    /// - gender, age (ML-1M's groups, `ageGroup`), occupation, zip (its first character: the
    ///   region of a US zip code): one feature per value, in the blocks of the users having it, x = 1.
    ///
    /// (An explicit group, the partners with x = (y − m)/√n_e, was tried and dropped: the block of
    /// a training row then holds that row's own rating, which the model learns to read back —
    /// ML-1M held-out RMSE 0.8618 against 0.8291 without it, at rank 32 and 50 sweeps.)
    struct FeatureGroup {
        let count: Int
        let entityPointers: [Int], entityFeatures: [Int32]
        let featurePointers: [Int], featureEntities: [Int32]
        let weight: [Double]
        /// Where each feature's entities (ascending) reach the side's second half (`Side.boundary`).
        var split: [Int] = []
        var w: [Double]
        var v: [Double]                             // dimension-major

        /// The group from each entity's feature list (ascending) and weight.
        init(count: Int, features: [[Int32]], weight: [Double], k: Int, scale: Double, rng: inout SeededGenerator) {
            var pointers = [0], flat: [Int32] = []
            for list in features { flat += list; pointers.append(flat.count) }
            let owners = features.indices.flatMap { e in features[e].map { _ in Int32(e) } }
            let (featurePointers, order) = SparseRows.rowOrder(rows: count, rowOf: flat)
            self.init(count: count, entityPointers: pointers, entityFeatures: flat, featurePointers: featurePointers,
                      featureEntities: order.map { owners[$0] }, weight: weight, k: k, scale: scale, rng: &rng)
        }

        init(count: Int, entityPointers: [Int], entityFeatures: [Int32], featurePointers: [Int], featureEntities: [Int32],
             weight: [Double], k: Int, scale: Double, rng: inout SeededGenerator) {
            self.count = count
            (self.entityPointers, self.entityFeatures) = (entityPointers, entityFeatures)
            // Each feature's entities ascending (the halves of the draws are ranges of entities).
            var sorted = featureEntities
            for f in 0..<count { sorted[featurePointers[f]..<featurePointers[f + 1]].sort() }
            (self.featurePointers, self.featureEntities) = (featurePointers, sorted)
            self.weight = weight
            w = [Double](repeating: 0, count: count)
            v = (0..<(k * count)).map { _ in rng.nextGaussian() * scale }
        }
    }

    /// The kinds of feature group a side's blocks may hold besides the ids.
    enum GroupKind: Sendable, Equatable { case implicit, genres, year, gender, age, occupation, zip }

    /// Normal prior with its hyper-parameters: θ ~ N(mean, 1/precision).
    struct Prior {
        var mean = 0.0
        var precision = 1.0
    }

    /// The day feature (`time` = day): one feature per training day, in every row given on that
    /// day, x = 1 — a third block of one feature beside the user's and the movie's, so a row
    /// adds w_t + Σ_k T_tk (A_uk + B_ik).
    struct Days {
        let count: Int
        /// Day numbers (`number(ofTimestamp:)`), ascending; the row of each day number; the day row
        /// of each training row.
        let numbers: [Int64]
        let rowOfDay: [Int64: Int32]
        let dayOfRow: [Int32]
        /// Rows of each day: `rows[pointers[t]..<pointers[t + 1]]`; `blocks`: ranges of days
        /// holding about equal numbers of rows, for the parallel passes.
        let pointers: [Int], rows: [Int32]
        let blocks: [Range<Int>]
        var w: [Double]
        var v: [Double]                             // dimension-major
        /// Σ w_r over each day's rows (the rows' noise weights).
        var weightSums: [Double]
        var firstOrderPrior = Prior()
        var factorPriors: [Prior]

        /// Each user's training days with their share of the user's training rows (n_ut / n_u):
        /// `userDays[userPointers[u]..<userPointers[u + 1]]`, days ascending.
        let userPointers: [Int], userDays: [Int32], userShares: [Double]

        /// The UTC day of a timestamp (seconds since 1970), floor division (no overflow at any
        /// Int64, negative ones included).
        static func number(ofTimestamp timestamp: Int64) -> Int64 {
            timestamp >= 0 ? timestamp / 86_400 : (timestamp + 1) / 86_400 - 1
        }

        init(timestamps: [Int64], rowUser: [Int32], users: Int, k: Int, scale: Double, rng: inout SeededGenerator) {
            let dayNumbers = timestamps.map(Self.number(ofTimestamp:))
            numbers = Array(Set(dayNumbers)).sorted()
            let rowOfDay = Dictionary(uniqueKeysWithValues: numbers.enumerated().map { ($1, Int32($0)) })
            self.rowOfDay = rowOfDay
            dayOfRow = dayNumbers.map { rowOfDay[$0]! }
            count = numbers.count
            let (pointers, order) = SparseRows.rowOrder(rows: count, rowOf: dayOfRow)
            (self.pointers, rows) = (pointers, order.map { Int32($0) })
            blocks = FMSampler.balancedBlocks(pointers: pointers)
            weightSums = (0..<count).map { Double(pointers[$0 + 1] - pointers[$0]) }
            var perUser = [[Int32: Int]](repeating: [:], count: users)
            for (row, user) in rowUser.enumerated() { perUser[Int(user)][dayOfRow[row], default: 0] += 1 }
            var userPointers = [0], userDays: [Int32] = [], userShares: [Double] = []
            for counts in perUser {
                let total = Double(counts.values.reduce(0, +))
                for day in counts.keys.sorted() { userDays.append(day); userShares.append(Double(counts[day]!) / total) }
                userPointers.append(userDays.count)
            }
            (self.userPointers, self.userDays, self.userShares) = (userPointers, userDays, userShares)
            w = [Double](repeating: 0, count: count)
            v = (0..<(k * count)).map { _ in rng.nextGaussian() * scale }
            factorPriors = [Prior](repeating: Prior(), count: k)
        }

        /// The day row of each timestamp, −1 for a day not in training.
        func indices(of timestamps: [Int64]) -> [Int32] {
            timestamps.map { rowOfDay[Self.number(ofTimestamp: $0)] ?? -1 }
        }

        /// A user's average training day under the days' terms `w`, `v` (a `Snapshot`'s):
        /// Σ_t share_t w_t, and per dimension Σ_t share_t T_td.
        func userAverage(_ user: Int, k: Int, w: [Double], v: [Double]) -> (bias: Double, factors: [Double]) {
            var bias = 0.0, factors = [Double](repeating: 0, count: k)
            for position in userPointers[user]..<userPointers[user + 1] {
                let t = Int(userDays[position]), share = userShares[position]
                bias += share * w[t]
                for d in 0..<k { factors[d] += share * v[d * count + t] }
            }
            return (bias, factors)
        }
    }

    /// A sample folded into the stored model's shape: global term, per-entity bias and factors
    /// (dimension-major); under ordered probit, its link.
    struct Sample {
        var global: Double
        var userBias: [Double], movieBias: [Double]
        var userFactors: [Double], movieFactors: [Double]
        var link: Link? = nil
    }

    /// Ordered probit's link of a sample: its cut-points and the latent noise's precision
    /// factors, τ_u per user and α σ_i per movie (precision α τ_u σ_i).
    struct Link {
        var cuts: [Double]
        var userScale: [Double], movieScale: [Double]

        /// Another sample's link added in, element by element (the stored model's sums).
        mutating func add(_ other: Link) {
            for c in cuts.indices { cuts[c] += other.cuts[c] }
            for u in userScale.indices { userScale[u] += other.userScale[u] }
            for i in movieScale.indices { movieScale[i] += other.movieScale[i] }
        }

        /// The stored model's link: each side's scale the square root of its precision factor.
        func model(scale: RatingScale) -> OrdinalLink {
            OrdinalLink(cutPoints: cuts.map { Float($0) }, userScale: userScale.map { Float($0.squareRoot()) },
                        movieScale: movieScale.map { Float($0.squareRoot()) }, minimum: scale.minimum, step: scale.step)
        }
    }

    let k: Int
    let seed: UInt64
    let rowCount: Int
    let mean: Double
    var users: Side, movies: Side
    var days: Days?
    /// The user and movie of each training row.
    let rowUser: [Int32], rowMovie: [Int32]
    var residual: [Double]
    /// Each row's noise weight: y_r ~ N(ŷ_r, 1/(α w_r)); all 1 under Gaussian noise.
    var rowWeight: [Double]
    let noise: Noise
    /// The noise weights' factors τ_u and σ_i, and their Gamma priors' shapes (`Noise`).
    var userScale: [Double], movieScale: [Double]
    var userShape = 10.0, movieShape = 10.0
    var global = 0.0
    var alpha = 1.0
    /// Priors per side ([users, movies]) and group (the id group, then the side's partner
    /// groups in order): first order, and per dimension.
    var firstOrderPriors: [[Prior]]
    /// Whether the factor draws run their two halves on two threads (`drawSide`); the bytes are
    /// the same either way.
    var lockstep = Parallel.workers > 1 && ProcessInfo.processInfo.activeProcessorCount > 1
    /// How each side's dimensions share the two threads (users', movies'): kept across sweeps.
    var schedules = [DrawSchedule(), DrawSchedule()]
    var factorPriors: [[[Prior]]]
    /// Whether the next sweep records `meanSnapshot` (and, without days, `meanResidual`): the
    /// fit sets it on the sweeps it keeps.
    var recordMeans = true
    /// The state when this sweep drew the users' ids, with those ids at their conditional means
    /// (`MeanIDs`): what the stored model averages. Nil before the first sweep and after one
    /// that did not record it.
    var meanSnapshot: Snapshot?
    /// Each training row's residual under `meanSnapshot` (value − its FM), recorded without days.
    var meanResidual: [Double] = []
    /// Ordered probit's state (nil: Gaussian regression).
    var ordinal: Ordinal?
    /// The chain's burn-in (the cut-points' acceptance is counted after it).
    var burnIn = 0

    init(data: TrainingSet, parameters: BayesianFM.Parameters, seed: UInt64) {
        k = parameters.rank
        self.seed = seed
        rowCount = data.trainValue.count
        let mean = data.trainValue.reduce(0.0) { $0 + Double($1) } / Double(max(1, rowCount))
        self.mean = mean
        let centred = data.trainValue.map { Double($0) - mean }
        var rng = SeededGenerator(seed: seed).stream(0)
        users = Self.side(entities: data.userCount, partners: data.movieCount, entityOf: data.trainUser, partnerOf: data.trainMovie,
                          kinds: parameters.userGroups, metadata: data.metadata, users: data.userAttributes, k: k, scale: parameters.chain.initScale, rng: &rng)
        movies = Self.side(entities: data.movieCount, partners: data.userCount, entityOf: data.trainMovie, partnerOf: data.trainUser,
                           kinds: parameters.movieGroups, metadata: data.metadata, users: data.userAttributes, k: k, scale: parameters.chain.initScale, rng: &rng)
        days = parameters.days
            ? Days(timestamps: data.trainTimestamp, rowUser: data.trainUser, users: data.userCount, k: k, scale: parameters.chain.initScale, rng: &rng)
            : nil
        (rowUser, rowMovie) = (data.trainUser, data.trainMovie)
        rowWeight = [Double](repeating: 1, count: rowCount)
        if parameters.ordinal { ordinal = Ordinal(ratings: data.trainRating, scale: data.metadata.scale) }
        burnIn = parameters.chain.burnIn
        noise = parameters.noise
        userScale = [Double](repeating: 1, count: data.userCount)
        movieScale = [Double](repeating: 1, count: data.movieCount)
        let groups = [1 + users.groups.count, 1 + movies.groups.count]
        firstOrderPriors = groups.map { [Prior](repeating: Prior(), count: $0) }
        factorPriors = groups.map { [[Prior]](repeating: [Prior](repeating: Prior(), count: parameters.rank), count: $0) }
        // Residuals of the initial factors: e = y − m − Σ_d (A_u B_i + C_u + C_i) (+ Σ_d T_td (A_u + B_i)).
        let (u, m, t, rank) = (users, movies, days, k)
        let userBias = u.foldedBias(k: rank), movieBias = m.foldedBias(k: rank)
        residual = (0..<rowCount).map { r in
            let user = Int(data.trainUser[r]), movie = Int(data.trainMovie[r])
            var prediction = userBias[user] + movieBias[movie]
            for d in 0..<rank { prediction += u.blockA[d * u.count + user] * m.blockA[d * m.count + movie] }
            if let t {
                let day = Int(t.dayOfRow[r])
                for d in 0..<rank { prediction += t.v[d * t.count + day] * (u.blockA[d * u.count + user] + m.blockA[d * m.count + movie]) }
            }
            return centred[r] - prediction
        }
    }

    static func side(entities: Int, partners: Int, entityOf: [Int32], partnerOf: [Int32], kinds: [GroupKind],
                     metadata: DatasetMetadata, users: UserAttributes, k: Int, scale: Double, rng: inout SeededGenerator) -> Side {
        let (pointers, order) = SparseRows.rowOrder(rows: entities, rowOf: entityOf)
        let counts = (0..<entities).map { Double(pointers[$0 + 1] - pointers[$0]) }
        let partnerOfRow = order.map { partnerOf[$0] }
        let idV = (0..<(k * entities)).map { _ in rng.nextGaussian() * scale }
        /// One feature per distinct value (ascending), x = 1, none for an entity without a value.
        func categorical<Value: Hashable & Comparable>(_ values: [Value?]) -> FeatureGroup {
            let vocabulary = Array(Set(values.compactMap { $0 })).sorted()
            let index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, Int32($0)) })
            let features = values.map { $0.map { [index[$0]!] } ?? [] }
            return FeatureGroup(count: vocabulary.count, features: features, weight: features.map { $0.isEmpty ? 0 : 1 },
                                k: k, scale: scale, rng: &rng)
        }
        let groups = kinds.map { kind -> FeatureGroup in
            switch kind {
            case .implicit:
                let (partnerPointers, partnerOrder) = SparseRows.rowOrder(rows: partners, rowOf: partnerOf)
                return FeatureGroup(
                    count: partners, entityPointers: pointers, entityFeatures: partnerOfRow,
                    featurePointers: partnerPointers, featureEntities: partnerOrder.map { entityOf[$0] },
                    weight: counts.map { $0 > 0 ? 1 / $0.squareRoot() : 0 }, k: k, scale: scale, rng: &rng)
            case .genres:
                let names = metadata.genres.map { $0.split(separator: "|").map(String.init) }
                let vocabulary = Array(Set(names.joined())).sorted()
                let index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, Int32($0)) })
                // Each genre once per movie ("Drama|Drama" is one feature: a block holds a feature once).
                let features = names.map { Array(Set($0.map { index[$0]! })).sorted() }
                return FeatureGroup(count: vocabulary.count, features: features,
                                    weight: features.map { $0.isEmpty ? 0 : 1 / Double($0.count).squareRoot() },
                                    k: k, scale: scale, rng: &rng)
            case .year: return categorical(metadata.years.map { $0 > 0 ? $0 : nil })
            case .gender: return categorical(users.gender.map { $0.isEmpty ? nil : $0 })
            case .age: return categorical(users.age.map(UserAttributes.ageGroup))
            case .occupation: return categorical(users.occupation.map { $0.isEmpty ? nil : $0 })
            case .zip: return categorical(users.zip.map { $0.first.map(String.init) })
            }
        }
        var side = Side(
            count: entities, pointers: pointers, rows: order.map { Int32($0) }, counts: counts,
            blocks: balancedBlocks(pointers: pointers),
            boundary: pointers.firstIndex { 2 * $0 >= pointers[entities] }.map { min($0, entities) } ?? entities,
            weightSums: counts, idW: [Double](repeating: 0, count: entities), idV: idV, groups: groups,
            blockW: [Double](repeating: 0, count: entities),
            blockA: [Double](repeating: 0, count: k * entities), blockD: [Double](repeating: 0, count: k * entities))
        for g in side.groups.indices {
            let group = side.groups[g]
            side.groups[g].split = (0..<group.count).map { f in
                let range = group.featurePointers[f]..<group.featurePointers[f + 1]
                return range.first { group.featureEntities[$0] >= side.boundary } ?? range.upperBound
            }
        }
        // Block sums of the initial factors.
        for d in 0..<k {
            for e in 0..<entities {
                var a = idV[d * entities + e], dd = a * a
                for group in groups {
                    let x = group.weight[e]
                    for position in group.entityPointers[e]..<group.entityPointers[e + 1] {
                        let v = group.v[d * group.count + Int(group.entityFeatures[position])]
                        a += v * x
                        dd += v * v * x * x
                    }
                }
                side.blockA[d * entities + e] = a
                side.blockD[d * entities + e] = dd
            }
        }
        return side
    }

    // MARK: - A sweep

    mutating func sweep(_ sweep: Int) throws {
        var rng = SeededGenerator(seed: seed).stream(sweep)
        if ordinal != nil { sampleOrdinal(counted: sweep > burnIn, rng: &rng) }
        if !noise.isGaussian { sampleWeights(rng: &rng) }
        // α ~ Gamma(1 + N/2, 1 + SSE/2), SSE = Σ w_r e_r².
        var sse = 0.0
        for r in 0..<rowCount { sse += rowWeight[r] * residual[r] * residual[r] }
        alpha = rng.nextGamma(shape: 1 + Double(rowCount) / 2) / (1 + sse / 2)
        sampleHyperParameters(rng: &rng)
        sampleGlobal(rng: &rng)
        Self.sampleFirstOrder(&users, residual: &residual, weights: rowWeight, alpha: alpha, priors: firstOrderPriors[0], rng: &rng)
        Self.sampleFirstOrder(&movies, residual: &residual, weights: rowWeight, alpha: alpha, priors: firstOrderPriors[1], rng: &rng)
        if days != nil { Self.sampleFirstOrder(&days!, residual: &residual, weights: rowWeight, alpha: alpha, rng: &rng) }
        // The factors, one block kind at a time, every dimension (see `sampleFactors(of:)`).
        sampleFactors(of: .users, rng: &rng)
        sampleFactors(of: .movies, rng: &rng)
        if days != nil { sampleFactors(of: .days, rng: &rng) }
        guard residual.allSatisfy({ $0.isFinite }) else {
            throw ModelsError.diverged("bayesian-fm", iteration: sweep, "NaN or Inf in the residuals")
        }
    }

    /// μ and λ of every group (first order, and per dimension), Rendle 2013 eq. 26–27 with
    /// α_λ = β_λ = γ₀ = 1, μ₀ = 0.
    mutating func sampleHyperParameters(rng: inout SeededGenerator) {
        func draw(_ values: ArraySlice<Double>, _ prior: inout Prior) {
            let n = Double(values.count)
            guard n > 0 else { return }
            var sum = 0.0, squares = 0.0
            for value in values { sum += value; squares += (value - prior.mean) * (value - prior.mean) }
            prior.precision = rng.nextGamma(shape: (1 + n + 1) / 2) / ((1 + squares + prior.mean * prior.mean) / 2)
            prior.mean = sum / (n + 1) + rng.nextGaussian() / ((n + 1) * prior.precision).squareRoot()
        }
        for (index, side) in [users, movies].enumerated() {
            let groups = [(side.idW, side.idV, side.count)] + side.groups.map { ($0.w, $0.v, $0.count) }
            for (group, (w, v, count)) in groups.enumerated() {
                draw(w[...], &firstOrderPriors[index][group])
                for d in 0..<k { draw(v[(d * count)..<((d + 1) * count)], &factorPriors[index][group][d]) }
            }
        }
        if var days {
            draw(days.w[...], &days.firstOrderPrior)
            for d in 0..<k { draw(days.v[(d * days.count)..<((d + 1) * days.count)], &days.factorPriors[d]) }
            self.days = days
        }
    }

    mutating func sampleGlobal(rng: inout SeededGenerator) {
        // w₀: prior N(0, 1); h = 1 on every row.
        var sum = 0.0, weights = 0.0
        for r in 0..<rowCount { sum += rowWeight[r] * residual[r]; weights += rowWeight[r] }
        let old = global
        global = Self.draw(old, weights, sum, Prior(), alpha, &rng)
        let delta = global - old
        for r in 0..<rowCount { residual[r] -= delta }
    }

    /// A coordinate's Gaussian conditional given its current value, Σh², Σh·e and its prior.
    @inline(__always)
    static func draw(_ value: Double, _ hh: Double, _ he: Double, _ prior: Prior, _ alpha: Double,
                     _ rng: inout SeededGenerator) -> Double {
        drawValue(value, hh, he, prior, alpha, rng.nextGaussian())
    }

    /// `draw` with its standard normal given.
    @inline(__always)
    static func drawValue(_ value: Double, _ hh: Double, _ he: Double, _ prior: Prior, _ alpha: Double, _ normal: Double) -> Double {
        let precision = alpha * hh + prior.precision
        let mean = (alpha * (he + value * hh) + prior.precision * prior.mean) / precision
        return mean + normal / precision.squareRoot()
    }

    /// Every first-order weight of one side: h = x_f on the rows of the blocks holding f.
    /// `priors`: the id group's, then the partner groups'.
    static func sampleFirstOrder(_ side: inout Side, residual: inout [Double], weights: [Double], alpha: Double,
                                 priors: [Prior], rng: inout SeededGenerator) {
        let n = side.count
        var e = perEntity(side) { entity, range, rows in
            var s = 0.0
            for position in range { let row = Int(rows[position]); s += weights[row] * residual[row] }
            return s
        }
        let oldW = side.blockW
        for entity in 0..<n {
            let count = side.weightSums[entity]
            let old = side.idW[entity]
            let new = draw(old, count, e[entity], priors[0], alpha, &rng)
            let delta = new - old
            side.idW[entity] = new
            side.blockW[entity] += delta
            e[entity] -= delta * count
        }
        for group in side.groups.indices {
            let g = side.groups[group]
            for feature in 0..<g.count {
                let range = g.featurePointers[feature]..<g.featurePointers[feature + 1]
                var hh = 0.0, he = 0.0
                for position in range {
                    let entity = Int(g.featureEntities[position]), x = g.weight[entity]
                    hh += x * x * side.weightSums[entity]
                    he += x * e[entity]
                }
                let old = side.groups[group].w[feature]
                let new = draw(old, hh, he, priors[1 + group], alpha, &rng)
                let delta = new - old
                side.groups[group].w[feature] = new
                for position in range {
                    let entity = Int(g.featureEntities[position]), x = g.weight[entity]
                    side.blockW[entity] += delta * x
                    e[entity] -= delta * x * side.weightSums[entity]
                }
            }
        }
        // Residuals: e_r −= ΔW of the row's entity.
        let delta = (0..<n).map { side.blockW[$0] - oldW[$0] }
        updateRows(side, residual: &residual, offset: delta)
    }

    /// Every day's first-order weight: h = 1 on the day's rows.
    static func sampleFirstOrder(_ days: inout Days, residual: inout [Double], weights: [Double], alpha: Double, rng: inout SeededGenerator) {
        let sums = perDay(days, residual: &residual) { _, rows, residual in
            var s = 0.0
            for row in rows { s += weights[Int(row)] * residual[Int(row)] }
            return (s, 0)
        }.0
        var delta = [Double](repeating: 0, count: days.count)
        for t in 0..<days.count {
            let old = days.w[t]
            days.w[t] = draw(old, days.weightSums[t], sums[t], days.firstOrderPrior, alpha, &rng)
            delta[t] = days.w[t] - old
        }
        _ = perDay(days, residual: &residual) { t, rows, residual in
            for row in rows { residual[Int(row)] -= delta[t] }
            return (0, 0)
        }
    }

    /// `body(day, its rows, residual)` for every day, in parallel blocks of days; two sums per day.
    static func perDay(_ days: Days, residual: inout [Double],
                       _ body: (Int, UnsafeBufferPointer<Int32>.SubSequence, UncheckedBuffer<Double>) -> (Double, Double)) -> ([Double], [Double]) {
        var out0 = [Double](repeating: 0, count: days.count), out1 = out0
        residual.withUnsafeMutableBufferPointer { residual in
            let residual = UncheckedBuffer(residual)
            out0.withUnsafeMutableBufferPointer { o0 in
            out1.withUnsafeMutableBufferPointer { o1 in
                let (o0, o1) = (UncheckedBuffer(o0), UncheckedBuffer(o1))
                days.rows.withUnsafeBufferPointer { rows in
                    Parallel.forEach(days.blocks.count) { block in
                        for t in days.blocks[block] {
                            let s = body(t, rows[days.pointers[t]..<days.pointers[t + 1]], residual)
                            o0[t] = s.0; o1[t] = s.1
                        }
                    }
                }
            }}
        }
        return (out0, out1)
    }

    /// `body(entity, its rows' positions, rows)` for every entity, in parallel blocks.
    static func perEntity(_ side: Side, _ body: (Int, Range<Int>, UnsafeBufferPointer<Int32>) -> Double) -> [Double] {
        var out = [Double](repeating: 0, count: side.count)
        out.withUnsafeMutableBufferPointer { out in
            let out = UncheckedBuffer(out)
            side.rows.withUnsafeBufferPointer { rows in
                Parallel.forEach(side.blocks.count) { block in
                    for entity in side.blocks[block] { out[entity] = body(entity, side.pointers[entity]..<side.pointers[entity + 1], rows) }
                }
            }
        }
        return out
    }

    /// residual[r] −= offset[e] for every row r of entity e of one side, entities in parallel.
    static func updateRows(_ side: Side, residual: inout [Double], offset: [Double]) {
        residual.withUnsafeMutableBufferPointer { residual in
            let residual = UncheckedBuffer(residual)
            side.rows.withUnsafeBufferPointer { rows in
            offset.withUnsafeBufferPointer { offset in
                Parallel.forEach(side.blocks.count) { block in
                    for entity in side.blocks[block] {
                        let c = offset[entity]
                        for position in side.pointers[entity]..<side.pointers[entity + 1] { residual[Int(rows[position])] -= c }
                    }
                }
            }}
        }
    }

    /// The parameters a sample's predictions read, block sums folded: the users' and movies'
    /// block sums A (dimension-major) and biases W + ½ Σ_d (A_d² − D_d), the global term and the
    /// days' terms (empty without days).
    struct Snapshot {
        var global: Double
        var userA: [Double], userBias: [Double]
        var movieA: [Double], movieBias: [Double]
        var dayW: [Double], dayV: [Double]
    }

    /// The current state as a `Snapshot`; `users` replaces the users' block sums and biases.
    func snapshot(users override: (a: [Double], bias: [Double])? = nil) -> Snapshot {
        Snapshot(global: mean + global, userA: override?.a ?? users.blockA, userBias: override?.bias ?? users.foldedBias(k: k),
                 movieA: movies.blockA, movieBias: movies.foldedBias(k: k), dayW: days?.w ?? [], dayV: days?.v ?? [])
    }

    /// The current state folded per entity (see `BayesianFM`).
    func sample() -> Sample { sample(of: snapshot()) }

    /// A snapshot folded per entity.
    ///
    /// With days, the sample predicts a day not in training — every day a service is asked
    /// about — as the user's average training day: the average of the FM's predictions on each
    /// of the user's training days, weighted by share_t = n_ut / n_u (not one row with a
    /// fractional day block, which would add pairs of days). The day block is one feature, so
    /// the average is linear: with b̄_u = Σ share_t w_t and F̄_u = Σ share_t T_t, P_u = A_u + F̄_u
    /// and b_u gains b̄_u + ⟨F̄_u, A_u⟩. A user without training ratings gets no day terms.
    func sample(of state: Snapshot) -> Sample {
        var sample = Sample(global: state.global, userBias: state.userBias, movieBias: state.movieBias,
                            userFactors: state.userA, movieFactors: state.movieA,
                            link: ordinal.map { Link(cuts: $0.cuts, userScale: userScale, movieScale: movieScale.map { alpha * $0 }) })
        guard let days else { return sample }
        for u in 0..<users.count {
            let (bias, factors) = days.userAverage(u, k: k, w: state.dayW, v: state.dayV)
            sample.userBias[u] += bias
            for d in 0..<k {
                sample.userBias[u] += factors[d] * state.userA[d * users.count + u]
                sample.userFactors[d * users.count + u] += factors[d]
            }
        }
        return sample
    }

    /// A snapshot's predictions for pairs on day rows `dayRows` (the literature's protocol: a
    /// held-out rating predicted with its own day's terms; −1, a day not in training: the
    /// user's average day, as `sample(of:)`).
    func ownDayPredictions(_ state: Snapshot, users pairUsers: [Int32], movies pairMovies: [Int32], dayRows: [Int32]) -> [Double] {
        guard let days else { preconditionFailure("ownDayPredictions needs days") }
        return pairUsers.indices.map { index in
            let u = Int(pairUsers[index]), i = Int(pairMovies[index]), t = Int(dayRows[index])
            // Its own day's terms, or (a day not in training) the user's average day.
            let average = t >= 0 ? nil : days.userAverage(u, k: k, w: state.dayW, v: state.dayV)
            var y = state.global + state.userBias[u] + state.movieBias[i] + (average?.bias ?? state.dayW[t])
            for d in 0..<k {
                let a = state.userA[d * users.count + u], b = state.movieA[d * movies.count + i]
                y += a * b + (average?.factors[d] ?? state.dayV[d * days.count + t]) * (a + b)
            }
            return y
        }
    }
}

extension FMSampler.Side {
    /// Per entity: W_e + ½ Σ_d (A_ed² − D_ed), the block's first-order sum and own pairwise terms.
    func foldedBias(k: Int) -> [Double] {
        var bias = blockW
        for d in 0..<k {
            for e in 0..<count {
                let a = blockA[d * count + e]
                bias[e] += 0.5 * (a * a - blockD[d * count + e])
            }
        }
        return bias
    }
}

extension FMSampler {
    /// The rows' noise model: y_r ~ N(ŷ_r, 1/(α w_r)) with w_r = τ_u σ_i, a precision scale per
    /// user and per movie (each 1 when its side is off), τ_u ~ Gamma(a_u, a_u) and
    /// σ_i ~ Gamma(a_i, a_i) (mean 1), the shapes a drawn too (`drawShape`).
    struct Noise: Equatable, Sendable {
        var users = false, movies = false
        static let gaussian = Noise()
        var isGaussian: Bool { !users && !movies }
    }

    /// The shapes' grid: 161 values log-spaced over [0.1, 1000], a uniform prior over them.
    static let shapeGrid = (0...160).map { Foundation.exp(Foundation.log(0.1) + Double($0) * Foundation.log(10_000.0) / 160) }

    /// a | scales for scales s_e ~ Gamma(a, a): the grid's posterior,
    /// p(a | s) ∝ Π_e aᵃ/Γ(a) s_e^(a−1) e^(−a s_e), drawn exactly.
    static func drawShape(_ scales: [Double], rng: inout SeededGenerator) -> Double {
        let n = Double(scales.count)
        let sumLog = scales.reduce(0.0) { $0 + Foundation.log($1) }, sum = scales.reduce(0.0, +)
        let logs = shapeGrid.map { a in n * (a * Foundation.log(a) - Foundation.lgamma(a)) + (a - 1) * sumLog - a * sum }
        let top = logs.max()!
        let weights = logs.map { Foundation.exp($0 - top) }
        var u = rng.nextUniform() * weights.reduce(0, +)
        for (index, weight) in weights.enumerated() {
            u -= weight
            if u < 0 { return shapeGrid[index] }
        }
        return shapeGrid[shapeGrid.count - 1]
    }

    /// One side's scales given the other side's (`otherScale[otherOf[r]]` for row r: σ_i for a
    /// user's row, τ_u for a movie's; all 1 when that side has none):
    /// Gamma(a + n_e/2, a + α Σ_r other_r e_r² / 2), then a given them.
    static func drawScales(_ side: Side, residual: [Double], otherScale: [Double], otherOf: [Int32], alpha: Double,
                           shape: inout Double, rng: inout SeededGenerator) -> [Double] {
        let squares = perEntity(side) { _, range, rows in
            var s = 0.0
            for position in range {
                let row = Int(rows[position])
                s += otherScale[Int(otherOf[row])] * residual[row] * residual[row]
            }
            return s
        }
        let a = shape
        // (Kept above the smallest normal double: a Gamma draw of shape below 1 can round to 0, whose log the shape's draw reads.)
        let scales = (0..<side.count).map { e in
            max(rng.nextGamma(shape: a + side.counts[e] / 2) / (a + alpha * squares[e] / 2), .leastNormalMagnitude)
        }
        shape = drawShape(scales, rng: &rng)
        return scales
    }

    /// The rows' noise weights from their conditionals given the residuals and α (the users'
    /// scales, then the movies'; a side without scales keeps them at 1), then every kind's Σ w.
    mutating func sampleWeights(rng: inout SeededGenerator) {
        if noise.users {
            userScale = Self.drawScales(users, residual: residual, otherScale: movieScale, otherOf: rowMovie, alpha: alpha,
                                        shape: &userShape, rng: &rng)
        }
        if noise.movies {
            movieScale = Self.drawScales(movies, residual: residual, otherScale: userScale, otherOf: rowUser, alpha: alpha,
                                         shape: &movieShape, rng: &rng)
        }
        for r in 0..<rowCount { rowWeight[r] = userScale[Int(rowUser[r])] * movieScale[Int(rowMovie[r])] }
        let weights = rowWeight
        func sums(_ side: Side) -> [Double] {
            Self.perEntity(side) { _, range, rows in
                var s = 0.0
                for position in range { s += weights[Int(rows[position])] }
                return s
            }
        }
        users.weightSums = sums(users)
        movies.weightSums = sums(movies)
        if let d = days {
            days!.weightSums = (0..<d.count).map { t in
                var s = 0.0
                for position in d.pointers[t]..<d.pointers[t + 1] { s += weights[Int(d.rows[position])] }
                return s
            }
        }
    }
}
