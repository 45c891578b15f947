import Essentials
import LinearAlgebra
import ModelFormat

/// The factor draws of a sweep, one block kind at a time (users, then movies, then days), every
/// dimension of a block kind from its rows' statistics gathered in one pass.
///
/// While one kind's factors are drawn, the row's other blocks are fixed, so each row r of an
/// entity e (a user, a movie, a day) carries a fixed vector R_r ∈ ℝᵏ: the sum of the row's other
/// blocks' A (for a user's row (u, i, t): B_i + T_t). The draws of dimension d read, per entity,
/// ΣR_d, ΣR_d², Σe and ΣR_d e over its rows, with e the residual after the draws of the dimensions
/// before d. One parallel pass gathers, per entity,
///
///     G_e = Σ_r R_r R_rᵀ,   ΣR_r,   Σ e_r R_r,   Σ e_r
///
/// and a dimension's draws change the entity's rows by e_r −= ΔA_e,d R_r,d + ΔC_e,d, so the
/// sums for the later dimensions follow in closed form: Σ e R_d' −= G_e[d, d'] ΔA + ΣR_d' ΔC.
/// The residuals themselves are updated once, at the end of the kind: e_r −= ⟨ΔA_e, R_r⟩ + ΣΔC_e.
/// One pass of O(k²) per row (a `syrk` per entity) replaces a pass per dimension; the draws,
/// coordinate after coordinate, are exact Gibbs as before. With noise weights w_r (`Noise`)
/// every sum over rows is weighted — G = Σ w R Rᵀ, Σ w R, Σ w e R, Σ w e, and a block's count
/// n_e becomes Σ w — and the formulas here and below are unchanged.
///
/// Each entity's *id* vector (the one feature of its block no other block holds) is drawn first,
/// all k dimensions at once (`IDDraws`): given everything else the ids of a kind are independent
/// Gaussians whose precisions and means come from the same statistics, so they are drawn in
/// parallel, as BPMF draws its factors — a blocked Gibbs step, which mixes faster than k
/// coordinate draws (ML-1M: the running average's held-out RMSE 0.8239 against 0.8249 after 100
/// sweeps). Their conditional means also give the stored model's samples (`MeanIDs`). The statistics take
/// (k(k + 1)/2 + 2k + 1) doubles per entity of the largest kind (`Statistics.bytes`; ML-1M at
/// rank 32: 29 MB for the users).
extension FMSampler {
    /// Per entity of one block kind, its rows' sums over every dimension (see above). `weighted`
    /// and `residualSum` are kept current as dimensions are drawn; `gram` and `linear` do not change.
    struct Statistics {
        let k: Int
        /// G_e's upper triangle, row by row: (0, 0), (0, 1), …, (0, k − 1), (1, 1), …; `packed` per entity.
        var gram: [Double]
        /// ΣR_r and Σ e_r R_r, k per entity.
        var linear: [Double], weighted: [Double]
        /// Σ e_r per entity.
        var residualSum: [Double]

        var packed: Int { k * (k + 1) / 2 }

        /// Where row d of the packed triangle starts: (d, d), (d, d + 1), …
        @inline(__always)
        static func rowOffset(_ d: Int, k: Int) -> Int { d * k - d * (d - 1) / 2 }

        /// Rows per `syrk` (the scratch matrix's height).
        static let chunk = 4096

        /// Bytes held for `entities` entities at rank k.
        static func bytes(entities: Int, k: Int) -> Int {
            entities * (k * (k + 1) / 2 + 2 * k + 1) * MemoryLayout<Double>.stride
        }

        /// The sums over the rows of `count` entities (`rows[pointers[e]..<pointers[e + 1]]`),
        /// with `vector(row, into)` writing R_row; entities in parallel `blocks`. `weights`: each
        /// row's noise weight w_r, every sum then weighted (empty: all 1).
        init(count: Int, pointers: [Int], rows: [Int32], blocks: [Range<Int>], k: Int, residual: [Double],
             weights: [Double] = [], vector: (Int, UnsafeMutablePointer<Double>) -> Void) {
            self.k = k
            let packed = k * (k + 1) / 2
            var gram = [Double](repeating: 0, count: count * packed)
            var linear = [Double](repeating: 0, count: count * k), weighted = linear
            var residualSum = [Double](repeating: 0, count: count)
            gram.withUnsafeMutableBufferPointer { gram in
            linear.withUnsafeMutableBufferPointer { linear in
            weighted.withUnsafeMutableBufferPointer { weighted in
            residualSum.withUnsafeMutableBufferPointer { residualSum in
            residual.withUnsafeBufferPointer { residual in
            weights.withUnsafeBufferPointer { weights in
            rows.withUnsafeBufferPointer { rows in
                let (gram, linear, weighted, residualSum) = (UncheckedBuffer(gram), UncheckedBuffer(linear),
                                                             UncheckedBuffer(weighted), UncheckedBuffer(residualSum))
                Parallel.forEach(blocks.count) { block in
                    let longest = blocks[block].reduce(0) { max($0, pointers[$1 + 1] - pointers[$1]) }
                    guard longest > 0 else { return }
                    // The entity's rows as an n × (k + 2) matrix [R_r, 1, e_r]: its Gram's upper
                    // triangle holds G = ΣR Rᵀ, ΣR (column k), Σ e R (column k + 1) and Σ e — a
                    // syrk per chunk of `Statistics.chunk` rows (fixed: the same sums on any machine).
                    let width = k + 2, capacity = min(longest, Statistics.chunk)
                    let matrix = UnsafeMutablePointer<Double>.allocate(capacity: capacity * width)
                    let full = UnsafeMutablePointer<Double>.allocate(capacity: width * width)
                    defer { matrix.deallocate(); full.deallocate() }
                    for entity in blocks[block] {
                        let start = pointers[entity], end = pointers[entity + 1]
                        guard end > start else { continue }
                        for chunk in stride(from: start, to: end, by: Statistics.chunk) {
                            let n = min(Statistics.chunk, end - chunk)
                            for j in 0..<n {
                                let row = Int(rows[chunk + j]), q = matrix + j * width
                                vector(row, q)
                                if weights.isEmpty {
                                    q[k] = 1
                                    q[k + 1] = residual[row]
                                } else {
                                    // Weighted rows: √w_r [R_r, 1, e_r] gives Σ w R Rᵀ, Σ w R, Σ w e R, Σ w e.
                                    let s = weights[row].squareRoot()
                                    for d in 0..<k { q[d] *= s }
                                    q[k] = s
                                    q[k + 1] = residual[row] * s
                                }
                            }
                            BLAS.syrkUpperTransposed(n: width, k: n, alpha: 1, a: matrix, lda: width, beta: chunk == start ? 0 : 1,
                                                     c: full, ldc: width)
                        }
                        var position = entity * packed
                        for d in 0..<k {
                            for d2 in d..<k { gram[position] = full[d * width + d2]; position += 1 }
                            linear[entity * k + d] = full[d * width + k]
                            weighted[entity * k + d] = full[d * width + k + 1]
                        }
                        residualSum[entity] = full[k * width + k + 1]
                    }
                }
            }}}}}}}
            (self.gram, self.linear, self.weighted, self.residualSum) = (gram, linear, weighted, residualSum)
        }

        /// Dimension d of entity e changed its rows by e_r −= ΔA R_r,d + ΔC: the sums of the
        /// dimensions after d follow.
        mutating func drew(entity e: Int, dimension d: Int, deltaA: Double, deltaC: Double, residualSum newSum: Double) {
            residualSum[e] = newSum
            let k = self.k, packed = self.packed
            gram.withUnsafeBufferPointer { gram in
            linear.withUnsafeBufferPointer { linear in
            weighted.withUnsafeMutableBufferPointer { weighted in
                Self.follow(entity: e, dimension: d, deltaA: deltaA, deltaC: deltaC, k: k, packed: packed,
                            gram: gram, linear: linear, weighted: weighted)
            }}}
        }

        /// `drew`'s update of Σ e R_d' (d' > d) on the arrays' storage (for the draws' threads).
        @inline(__always)
        static func follow(entity e: Int, dimension d: Int, deltaA: Double, deltaC: Double, k: Int, packed: Int,
                           gram: UnsafeBufferPointer<Double>, linear: UnsafeBufferPointer<Double>,
                           weighted: UnsafeMutableBufferPointer<Double>) {
            guard deltaA != 0 || deltaC != 0 else { return }
            let row = e * packed + rowOffset(d, k: k) - d
            for d2 in (d + 1)..<k { weighted[e * k + d2] -= gram[row + d2] * deltaA + linear[e * k + d2] * deltaC }
        }

        /// The state the draws of dimension d read for entity e: ΣR_d, ΣR_d², Σe, Σ e R_d.
        func state(entity e: Int, dimension d: Int, a: Double, squares: Double, count: Double) -> EntityState {
            gram.withUnsafeBufferPointer { gram in
            linear.withUnsafeBufferPointer { linear in
            weighted.withUnsafeBufferPointer { weighted in
                Self.state(entity: e, dimension: d, a: a, squares: squares, count: count, k: k, packed: packed,
                           gram: gram, linear: linear, weighted: weighted, residualSum: residualSum[e])
            }}}
        }

        /// `state` on the arrays' storage (for the draws' threads).
        @inline(__always)
        static func state(entity e: Int, dimension d: Int, a: Double, squares: Double, count: Double, k: Int, packed: Int,
                          gram: UnsafeBufferPointer<Double>, linear: UnsafeBufferPointer<Double>,
                          weighted: UnsafeBufferPointer<Double>, residualSum: Double) -> EntityState {
            EntityState(a: a, d: squares, count: count, sumR: linear[e * k + d], sumRR: gram[e * packed + rowOffset(d, k: k)],
                        sumE: residualSum, sumRE: weighted[e * k + d])
        }
    }

    /// Entity-major copies (`values[entity * k + d]`) of the block sums A of the kinds other
    /// than the one being drawn (its own stays empty: its rows' R_r never reads it).
    struct RowVectors {
        let k: Int
        let users: [Double], movies: [Double], days: [Double]

        init(drawing kind: Kind, users: Side, movies: Side, days: Days?, k: Int) {
            func entityMajor(_ values: [Double], count: Int) -> [Double] {
                var out = [Double](repeating: 0, count: count * k)
                for d in 0..<k { for e in 0..<count { out[e * k + d] = values[d * count + e] } }
                return out
            }
            self.k = k
            self.users = kind == .users ? [] : entityMajor(users.blockA, count: users.count)
            self.movies = kind == .movies ? [] : entityMajor(movies.blockA, count: movies.count)
            self.days = kind == .days ? [] : days.map { entityMajor($0.v, count: $0.count) } ?? []
        }
    }

    /// Which block kind's factors are drawn.
    enum Kind { case users, movies, days }

    /// Every dimension of one kind's factors (the days': one feature per block, so `Days` has no
    /// groups and no within-block terms), then the residuals.
    mutating func sampleFactors(of kind: Kind, rng: inout SeededGenerator) {
        let vectors = RowVectors(drawing: kind, users: users, movies: movies, days: days, k: k)
        let k = self.k
        let dayOfRow = days?.dayOfRow ?? []
        let hasDays = days != nil
        // R_r: the row's other blocks, by kind.
        let (first, firstOf, second, secondOf): ([Double], [Int32], [Double], [Int32]) = switch kind {
        case .users: (vectors.movies, rowMovie, vectors.days, dayOfRow)
        case .movies: (vectors.users, rowUser, vectors.days, dayOfRow)
        case .days: (vectors.users, rowUser, vectors.movies, rowMovie)
        }
        let two = kind == .days || hasDays
        let (count, pointers, rows, blocks): (Int, [Int], [Int32], [Range<Int>]) = switch kind {
        case .users: (users.count, users.pointers, users.rows, users.blocks)
        case .movies: (movies.count, movies.pointers, movies.rows, movies.blocks)
        case .days: (days!.count, days!.pointers, days!.rows, days!.blocks)
        }
        first.withUnsafeBufferPointer { first in
        firstOf.withUnsafeBufferPointer { firstOf in
        second.withUnsafeBufferPointer { second in
        secondOf.withUnsafeBufferPointer { secondOf in
            @inline(__always) func vector(_ row: Int, _ q: UnsafeMutablePointer<Double>) {
                let a = first.baseAddress! + Int(firstOf[row]) * k
                if two {
                    let b = second.baseAddress! + Int(secondOf[row]) * k
                    for d in 0..<k { q[d] = a[d] + b[d] }
                } else {
                    for d in 0..<k { q[d] = a[d] }
                }
            }
            var statistics = Statistics(count: count, pointers: pointers, rows: rows, blocks: blocks, k: k,
                                        residual: residual, weights: noise.isGaussian ? [] : rowWeight, vector: vector)
            var deltaA = [Double](repeating: 0, count: count * k), deltaC = [Double](repeating: 0, count: count)
            var means: MeanIDs?
            switch kind {
            case .users:
                // The other kinds are as they were when the ids were drawn: the Rao–Blackwellised sample.
                means = Self.drawSide(&users, statistics: &statistics, deltaA: &deltaA, deltaC: &deltaC, alpha: alpha,
                                      priors: factorPriors[0], lockstep: lockstep, schedule: schedules[0], withMeans: recordMeans, rng: &rng)
                meanSnapshot = means.map { snapshot(users: ($0.blockA, zip(users.blockW, $0.ownTerms).map { $0 + $1 })) }
            case .movies: Self.drawSide(&movies, statistics: &statistics, deltaA: &deltaA, deltaC: &deltaC, alpha: alpha,
                                        priors: factorPriors[1], lockstep: lockstep, schedule: schedules[1], withMeans: false, rng: &rng)
            case .days:
                for d in 0..<k { Self.drawDays(&days!, statistics: &statistics, dimension: d, deltaA: &deltaA, alpha: alpha, rng: &rng) }
            }
            // Residuals: e_r −= ⟨ΔA_e, R_r⟩ + ΣΔC_e on every row of entity e; with the users'
            // means, the same pass gives the rows' residuals under `meanSnapshot`: the id moved
            // from v to its mean m changes a row by ⟨m − v, R_r⟩ + ⟨m − v, O⟩.
            // (Without days only: with days the curve predicts from the folded sample, not from residuals.)
            let withResiduals = means != nil && !hasDays
            if withResiduals && meanResidual.count != rowCount { meanResidual = [Double](repeating: 0, count: rowCount) }
            let shift = withResiduals ? means!.shift : [], shiftOwn = withResiduals ? means!.shiftOwn : []
            residual.withUnsafeMutableBufferPointer { residual in
            meanResidual.withUnsafeMutableBufferPointer { meanResidual in
                let (residual, meanResidual) = (UncheckedBuffer(residual), UncheckedBuffer(meanResidual))
                deltaA.withUnsafeBufferPointer { deltaA in
                shift.withUnsafeBufferPointer { shift in
                rows.withUnsafeBufferPointer { rows in
                    Parallel.forEach(blocks.count) { block in
                        let q = UnsafeMutablePointer<Double>.allocate(capacity: k)
                        defer { q.deallocate() }
                        for entity in blocks[block] {
                            let change = deltaA.baseAddress! + entity * k, offset = deltaC[entity]
                            for position in pointers[entity]..<pointers[entity + 1] {
                                let row = Int(rows[position])
                                vector(row, q)
                                if !shift.isEmpty {
                                    let toMean = shift.baseAddress! + entity * k
                                    var dot = shiftOwn[entity]
                                    for d in 0..<k { dot += toMean[d] * q[d] }
                                    meanResidual[row] = residual[row] - dot
                                }
                                var dot = offset
                                for d in 0..<k { dot += change[d] * q[d] }
                                residual[row] -= dot
                            }
                        }
                    }
                }}}
            }}
        }}}}
    }

    /// Every factor of one side from the side's `statistics`: each entity's id vector jointly
    /// (`IDDraws`, entities in parallel), then every v_fk of the shared features, dimension after
    /// dimension, one coordinate after another (each draw changes the sums the next one reads);
    /// with `withMeans`, the ids' conditional means (`MeanIDs`). Records each entity's
    /// ΔA and ΔC per dimension (C = ½(A² − D), the block's own pairwise terms) and brings the
    /// statistics of the later dimensions up to date. `priors[group][d]`: the id group's, then
    /// the side's other groups'.
    ///
    /// For the shared features the entities are split in two halves of about equal rows (`Side.boundary`). A feature's
    /// conditional is a sum over the entities holding it: each half sums its own, the two sums
    /// are added, and the draw uses a normal drawn beforehand
    /// in the order of a serial sweep; then each half updates its own entities. With `lockstep`
    /// the halves run on two threads (`Lockstep`), else one after the other on this one: the
    /// same arithmetic either way, so the same bytes on any number of cores. On two threads, each
    /// dimension runs paired or alone (party 0 both halves) as `schedule` finds faster — alone
    /// when the other core is busy with something else.
    @discardableResult
    static func drawSide(_ side: inout Side, statistics: inout Statistics, deltaA: inout [Double], deltaC: inout [Double],
                         alpha: Double, priors: [[Prior]], lockstep: Bool, schedule: DrawSchedule, withMeans: Bool,
                         rng: inout SeededGenerator) -> MeanIDs? {
        let n = side.count, k = statistics.k, packed = statistics.packed
        let size = withMeans ? n : 0
        var means = MeanIDs(blockA: [Double](repeating: 0, count: k * size), ownTerms: [Double](repeating: 0, count: size),
                            shift: [Double](repeating: 0, count: size * k), shiftOwn: [Double](repeating: 0, count: size))
        // Normals in a serial sweep's order: per dimension, the ids (drawn jointly: entity e's
        // vector takes normals[d * perDimension + e], d = 0..<k), then each group's features.
        let perDimension = n + side.groups.reduce(0) { $0 + $1.count }
        let normals = (0..<(k * perDimension)).map { _ in rng.nextGaussian() }
        let halves = [0..<side.boundary, side.boundary..<n]
        // The arrays the halves write, out of `side` while they do (each half writes its own entities).
        var idV = side.idV, blockA = side.blockA, blockD = side.blockD, groupV = side.groups.map(\.v)
        side.idV = []; side.blockA = []; side.blockD = []
        for g in side.groups.indices { side.groups[g].v = [] }
        let groups = side.groups, weightSums = side.weightSums
        defer {
            (side.idV, side.blockA, side.blockD) = (idV, blockA, blockD)
            for g in side.groups.indices { side.groups[g].v = groupV[g] }
        }
        // Each entity's state on a cache line of its own (64 bytes, 64-aligned): an Array's
        // elements start past its header, which would put every state across two lines.
        let stateMemory = UnsafeMutableRawPointer.allocate(byteCount: max(1, n) * MemoryLayout<EntityState>.stride, alignment: 64)
        defer { stateMemory.deallocate() }
        let stateStart = stateMemory.bindMemory(to: EntityState.self, capacity: n)
        stateStart.initialize(repeating: EntityState(a: 0, d: 0, count: 0, sumR: 0, sumRR: 0, sumE: 0, sumRE: 0), count: n)
        let state = UnsafeMutableBufferPointer(start: stateStart, count: n)
        do {
        idV.withUnsafeMutableBufferPointer { idV in
        blockA.withUnsafeMutableBufferPointer { blockA in
        blockD.withUnsafeMutableBufferPointer { blockD in
        deltaA.withUnsafeMutableBufferPointer { deltaA in
        deltaC.withUnsafeMutableBufferPointer { deltaC in
        statistics.weighted.withUnsafeMutableBufferPointer { weighted in
        statistics.residualSum.withUnsafeMutableBufferPointer { residualSum in
        statistics.gram.withUnsafeBufferPointer { gram in
        statistics.linear.withUnsafeBufferPointer { linear in
        normals.withUnsafeBufferPointer { normals in
        means.blockA.withUnsafeMutableBufferPointer { meanA in
        means.ownTerms.withUnsafeMutableBufferPointer { meanC in
        means.shift.withUnsafeMutableBufferPointer { shift in
        means.shiftOwn.withUnsafeMutableBufferPointer { shiftOwn in
        withGroupPointers(&groupV) { v in
            /// Dimension d's state of the half's entities.
            func prepare(_ half: Range<Int>, _ d: Int) {
                let base = d * n
                for e in half {
                    state[e] = Statistics.state(entity: e, dimension: d, a: blockA[base + e], squares: blockD[base + e], count: weightSums[e],
                                                k: k, packed: packed, gram: gram, linear: linear,
                                                weighted: UnsafeBufferPointer(weighted), residualSum: residualSum[e])
                }
            }
            /// x_f²·Σh² and x_f·Σh·e over the half's entities holding feature f (positions `range`).
            func partial(_ range: Range<Int>, _ entities: UnsafeBufferPointer<Int32>, old: Double) -> SIMD2<Double> {
                // Two running sums: the adds of one entry do not wait for the last's.
                var sum0 = SIMD2<Double>(), sum1 = SIMD2<Double>()
                var position = range.lowerBound
                while position + 1 < range.upperBound {
                    let s0 = state[Int(entities[position])], s1 = state[Int(entities[position + 1])]
                    let t0 = s0.terms(old: old, x: s0.x), t1 = s1.terms(old: old, x: s1.x)
                    sum0 += SIMD2(t0.0, t0.1)
                    sum1 += SIMD2(t1.0, t1.1)
                    position += 2
                }
                if position < range.upperBound {
                    let s0 = state[Int(entities[position])]
                    let t0 = s0.terms(old: old, x: s0.x)
                    sum0 += SIMD2(t0.0, t0.1)
                }
                return sum0 + sum1
            }
            /// Dimension d's results for the half's entities: block sums, ΔA, ΔC, and the later
            /// dimensions' statistics (the rows moved by e_r −= ΔA R_r,d + ΔC).
            func finish(_ half: Range<Int>, _ d: Int) {
                let base = d * n
                for e in half {
                    let oldA = blockA[base + e], oldC = 0.5 * (oldA * oldA - blockD[base + e])
                    let newA = state[e].a, newC = 0.5 * (newA * newA - state[e].d)
                    let dA = newA - oldA, dC = newC - oldC
                    blockA[base + e] = newA
                    blockD[base + e] = state[e].d
                    deltaA[e * k + d] += dA
                    deltaC[e] += dC
                    residualSum[e] = state[e].sumE
                    Statistics.follow(entity: e, dimension: d, deltaA: dA, deltaC: dC, k: k, packed: packed,
                                      gram: gram, linear: linear, weighted: weighted)
                }
            }
            /// Dimension d's draws of `parts` (both halves, or one with the other's sums from `channel`).
            func dimension(_ d: Int, _ parts: [Int], _ channel: Lockstep.Channel?) {
                let writes = parts.contains(0)
                for part in parts { prepare(halves[part], d) }
                var offset = d * perDimension + n
                for (group, g) in groups.enumerated() {
                    for part in parts { for e in halves[part] { state[e].x = g.weight[e] } }
                    let featureBase = d * g.count, values = v[group], prior = priors[1 + group][d]
                    g.featurePointers.withUnsafeBufferPointer { featurePointers in
                    g.featureEntities.withUnsafeBufferPointer { featureEntities in
                    g.split.withUnsafeBufferPointer { split in
                        for feature in 0..<g.count {
                            let old = values[featureBase + feature]
                            let middle = split[feature]
                            @inline(__always) func range(_ part: Int) -> Range<Int> {
                                part == 0 ? featurePointers[feature]..<middle : middle..<featurePointers[feature + 1]
                            }
                            let sums: SIMD2<Double>
                            if let channel {
                                let mine = partial(range(channel.party), featureEntities, old: old)
                                // Both threads add the same two sums (addition commutes): the same draw.
                                sums = mine + channel.exchange(mine)
                            } else {
                                sums = partial(range(0), featureEntities, old: old) + partial(range(1), featureEntities, old: old)
                            }
                            let new = drawValue(old, sums[0], sums[1], prior, alpha, normals[offset + feature])
                            for part in parts {
                                for position in range(part) {
                                    let entity = Int(featureEntities[position])
                                    state[entity].update(old: old, new: new, x: state[entity].x)
                                }
                            }
                            // Both threads read `old` before the exchange; one writes.
                            if writes { values[featureBase + feature] = new }
                        }
                    }}}
                    offset += g.count
                }
                for part in parts { finish(halves[part], d) }
            }
            /// Every dimension on two threads, each dimension paired or alone as `schedule` says.
            /// Each dimension starts with an exchange — party 0 sends how it runs — which is also
            /// a barrier: past it, both parties have finished the dimension before. Alone, party 0
            /// runs both halves and party 1 waits for the next dimension, blocked (`patient`): on a
            /// busy machine a waiting thread that kept waking up to look would take time from party 0.
            func runPaired(_ channel: Lockstep.Channel) {
                var paired = true
                for d in 0..<k {
                    // After a dimension party 0 ran alone, party 1's wait was long: it blocked, and
                    // both know (`patient`: party 0 wakes it). After a paired one the two arrive
                    // together and spin: waking a blocked thread costs more than the wait (on a VM
                    // tens to hundreds of µs; a sweep starts 2k dimensions).
                    if channel.party == 0 {
                        let patient = !paired
                        paired = schedule.next() == .paired
                        _ = channel.exchange(SIMD2(paired ? 1 : 0, 0), patient: patient)
                    } else {
                        paired = channel.exchange(.zero, patient: !paired)[0] == 1
                    }
                    let start = channel.party == 0 ? ContinuousClock.now : nil
                    if paired {
                        dimension(d, [channel.party], channel)
                    } else if channel.party == 0 {
                        dimension(d, [0, 1], nil)
                    }
                    if let start { schedule.record(paired ? .paired : .alone, ContinuousClock.now - start) }
                }
            }
            // The ids first, every entity in parallel (independent given the rest), then the
            // groups' coordinates. No second thread to be had: both halves here (the same bytes).
            let ids = IDDraws(k: k, n: n, packed: packed, alpha: alpha, priors: priors[0], weightSums: weightSums, blocks: side.blocks,
                              gram: gram, linear: linear, weighted: UncheckedBuffer(weighted), residualSum: UncheckedBuffer(residualSum),
                              idV: UncheckedBuffer(idV), blockA: UncheckedBuffer(blockA), blockD: UncheckedBuffer(blockD),
                              deltaA: UncheckedBuffer(deltaA), deltaC: UncheckedBuffer(deltaC),
                              meanA: UncheckedBuffer(meanA), meanC: UncheckedBuffer(meanC),
                              shift: UncheckedBuffer(shift), shiftOwn: UncheckedBuffer(shiftOwn), withMeans: withMeans)
            ids.draw(normals: normals, stride: perDimension)
            if !lockstep || !Lockstep.pair(runPaired) {
                for d in 0..<k { dimension(d, [0, 1], nil) }
            }
        }}}}}}}}}}}}}}}}
        return withMeans ? means : nil
    }

    /// A kind's id vectors at their conditional means, folded as `Sample` folds a block: the
    /// block sums A = O + m (O: the block's other features, m: the id's conditional mean) and
    /// the block's own pairwise terms ½ Σ_d (A_d² − D_d), per entity (dimension-major A).
    ///
    /// The stored model averages, per kept sweep, the FM with the users' ids at these means —
    /// E[prediction | every parameter but the users' ids], the prediction being linear in each id
    /// — instead of the sample drawn: a Rao–Blackwellised average of the same posterior mean,
    /// typically with less Monte Carlo noise (ML-1M: 0.8208 against 0.8209 held-out RMSE for 400 samples,
    /// the stored models 0.82093 and 0.82112).
    struct MeanIDs {
        var blockA: [Double]
        var ownTerms: [Double]
        /// m − v (entity-major, v: the id before its draw) and ⟨m − v, O⟩ per entity: how far
        /// each of the entity's rows is from its prediction under the means.
        var shift: [Double], shiftOwn: [Double]
    }

    /// The joint draws of one kind's id vectors (`drawSide`), on the draws' buffers.
    ///
    /// Entity e's id v enters each of its rows linearly: ŷ_r = c_r + ⟨v, h_r⟩ with h_r = R_r + O
    /// (O = A_e − v: the block's other features; an id has x = 1 and its block's own pairwise
    /// terms hold ⟨v, O⟩). So v | rest ~ N(P⁻¹ b, P⁻¹) with
    ///
    ///     H = Σ_r h_r h_rᵀ = G + ΣR Oᵀ + O ΣRᵀ + n O Oᵀ,      P = α H + diag(λ),
    ///     b = α (Σ e h_r + H v) + λ ∘ μ = α (Σ e R + O Σe + H v) + λ ∘ μ,
    ///
    /// (λ, μ: the id group's per-dimension prior), drawn as U⁻¹ (U⁻ᵀ b + z) with P = UᵀU
    /// (`SmallCholesky`) and z ~ N(0, I). Afterwards, with Δ = v′ − v, the rows moved by
    /// e_r −= ⟨Δ, R_r⟩ + ⟨Δ, O⟩, so Σe −= ⟨Δ, ΣR⟩ + n⟨Δ, O⟩ and Σ e R −= G Δ + ΣR ⟨Δ, O⟩; the
    /// block's C = ½ Σ (A² − D) moved by ⟨Δ, O⟩ (recorded in ΔC, and ΔA = Δ).
    struct IDDraws: @unchecked Sendable {
        let k: Int, n: Int, packed: Int
        let alpha: Double
        let priors: [Prior]
        /// Σ w_r over each entity's rows (n_e under Gaussian noise).
        let weightSums: [Double]
        let blocks: [Range<Int>]
        let gram: UnsafeBufferPointer<Double>, linear: UnsafeBufferPointer<Double>
        let weighted: UncheckedBuffer<Double>, residualSum: UncheckedBuffer<Double>
        let idV: UncheckedBuffer<Double>, blockA: UncheckedBuffer<Double>, blockD: UncheckedBuffer<Double>
        let deltaA: UncheckedBuffer<Double>, deltaC: UncheckedBuffer<Double>
        let meanA: UncheckedBuffer<Double>, meanC: UncheckedBuffer<Double>
        let shift: UncheckedBuffer<Double>, shiftOwn: UncheckedBuffer<Double>
        /// Whether the means are computed (`meanA`, `meanC`, `shift`, `shiftOwn`; else unused, may be empty).
        let withMeans: Bool

        /// Every entity's draw, with standard normals `normals[d * stride + e]`; blocks of entities in parallel.
        func draw(normals: UnsafeBufferPointer<Double>, stride: Int) {
            Parallel.forEach(blocks.count) { block in
                // Scratch: H and P (k × k each), then O, v, b, the mean, Δ (k each).
                let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 2 * k * k + 5 * k)
                defer { scratch.deallocate() }
                for e in blocks[block] { draw(entity: e, scratch: scratch, normals: normals, stride: stride) }
            }
        }

        /// P and b of entity e (into `h`, `p`, `b`; `o`, `v`: its O and current id).
        func conditional(entity e: Int, h: UnsafeMutablePointer<Double>, p: UnsafeMutablePointer<Double>,
                         b: UnsafeMutablePointer<Double>, o: UnsafeMutablePointer<Double>, v: UnsafeMutablePointer<Double>) {
            let count = weightSums[e], sumE = residualSum[e]
            let sumR = linear.baseAddress! + e * k
            for d in 0..<k { v[d] = idV[d * n + e]; o[d] = blockA[d * n + e] - v[d] }
            for d in 0..<k {
                let row = e * packed + Statistics.rowOffset(d, k: k) - d
                for d2 in d..<k {
                    let value = gram[row + d2] + sumR[d] * o[d2] + o[d] * sumR[d2] + count * o[d] * o[d2]
                    h[d * k + d2] = value
                    h[d2 * k + d] = value
                }
            }
            for d in 0..<k {
                let hv = laneDot(h + d * k, v, k)
                b[d] = alpha * (weighted[e * k + d] + o[d] * sumE + hv) + priors[d].precision * priors[d].mean
                for d2 in 0..<k { p[d * k + d2] = alpha * h[d * k + d2] }
                p[d * k + d] += priors[d].precision
            }
        }

        func draw(entity e: Int, scratch: UnsafeMutablePointer<Double>, normals: UnsafeBufferPointer<Double>, stride: Int) {
            let h = scratch, p = h + k * k, o = p + k * k, v = o + k, b = v + k, mean = b + k, delta = mean + k
            conditional(entity: e, h: h, p: p, b: b, o: o, v: v)
            // P is a Gram matrix plus a positive diagonal: positive definite (the prior's
            // precision is a Gamma draw, > 0). If rounding says otherwise, the id stays (a valid
            // Gibbs step: whether P factors does not depend on the id) and is its own mean; a
            // non-finite P comes from non-finite parameters, which the sweep's residual check reports.
            guard SmallCholesky.factor(p, n: k) else {
                guard withMeans else { return }
                var ownTerms = 0.0
                for d in 0..<k {
                    let a = blockA[d * n + e]
                    meanA[d * n + e] = a
                    ownTerms += 0.5 * (a * a - blockD[d * n + e])
                    shift[e * k + d] = 0
                }
                meanC[e] = ownTerms
                shiftOwn[e] = 0
                return
            }
            SmallCholesky.solveTransposed(p, n: k, b)                   // U⁻ᵀ b
            for d in 0..<k { mean[d] = b[d]; b[d] += normals[d * stride + e] }
            SmallCholesky.solveUpper(p, n: k, b)                        // the draw
            if withMeans {
                SmallCholesky.solveUpper(p, n: k, mean)                 // P⁻¹ b
                var ownTerms = 0.0, toMeanO = 0.0
                for d in 0..<k {
                    shift[e * k + d] = mean[d] - v[d]
                    toMeanO += (mean[d] - v[d]) * o[d]
                    let a = o[d] + mean[d], squares = blockD[d * n + e] - v[d] * v[d] + mean[d] * mean[d]
                    meanA[d * n + e] = a
                    ownTerms += 0.5 * (a * a - squares)
                }
                meanC[e] = ownTerms
                shiftOwn[e] = toMeanO
            }
            let count = weightSums[e]
            var dotO = 0.0, dotR = 0.0
            for d in 0..<k {
                delta[d] = b[d] - v[d]
                idV[d * n + e] = b[d]
                blockA[d * n + e] += delta[d]
                blockD[d * n + e] += b[d] * b[d] - v[d] * v[d]
                deltaA[e * k + d] = delta[d]
                dotO += delta[d] * o[d]
                dotR += delta[d] * linear[e * k + d]
            }
            deltaC[e] += dotO
            residualSum[e] -= dotR + count * dotO
            // (G Δ)_d from G's packed rows: Σ_d2 G[min(d, d2), max(d, d2)] Δ_d2.
            let base = e * packed
            for d in 0..<k {
                var g = 0.0
                for d2 in 0..<d { g += gram[base + Statistics.rowOffset(d2, k: k) + d - d2] * delta[d2] }
                let row = base + Statistics.rowOffset(d, k: k) - d
                for d2 in d..<k { g += gram[row + d2] * delta[d2] }
                weighted[e * k + d] -= g + linear[e * k + d] * dotO
            }
        }
    }

    /// `body` with a copy of each of `arrays` in memory of its own, copied back afterwards (a
    /// pointer per array, which nested `withUnsafeMutableBufferPointer`s of one array of arrays
    /// cannot give).
    static func withGroupPointers(_ arrays: inout [[Double]], _ body: ([UnsafeMutablePointer<Double>]) -> Void) {
        let pointers = arrays.map { array in
            let pointer = UnsafeMutablePointer<Double>.allocate(capacity: max(1, array.count))
            pointer.initialize(from: array, count: array.count)
            return pointer
        }
        defer { for pointer in pointers { pointer.deallocate() } }
        body(pointers)
        for index in arrays.indices {
            arrays[index] = Array(UnsafeBufferPointer(start: pointers[index], count: arrays[index].count))
        }
    }

    /// Every day's factor for dimension `d`: h = A_u + B_i on a row of day t, the day alone in
    /// its block (no within-block terms), so the days are drawn independently.
    static func drawDays(_ days: inout Days, statistics: inout Statistics, dimension d: Int, deltaA: inout [Double],
                         alpha: Double, rng: inout SeededGenerator) {
        let base = d * days.count, k = statistics.k
        for t in 0..<days.count {
            let old = days.v[base + t]
            let s = statistics.state(entity: t, dimension: d, a: old, squares: old * old, count: 0)
            let new = draw(old, s.sumRR, s.sumRE, days.factorPriors[d], alpha, &rng)
            days.v[base + t] = new
            deltaA[t * k + d] = new - old
            statistics.drew(entity: t, dimension: d, deltaA: new - old, deltaC: 0, residualSum: s.sumE - (new - old) * s.sumR)
        }
    }

    /// One entity's block sums for the dimension being drawn, and its sums over its rows
    /// (R: the row's other blocks; e: the residual), as the draws of its block's features read and
    /// change them.
    struct EntityState {
        var a, d, count, sumR, sumRR, sumE, sumRE: Double
        /// x of the group being drawn (one cache line: 8 doubles).
        var x = 0.0

        /// x_f²·Σh² and x_f·Σh·e over the entity's rows for a feature with value `old` and weight x.
        @inline(__always)
        func terms(old: Double, x: Double) -> (Double, Double) {
            let a = self.a - old * x
            return (x * x * (count * a * a + 2 * a * sumR + sumRR), x * (a * sumE + sumRE))
        }

        /// The feature moved from `old` to `new`: e −= Δx (a + R) on every row, closed form.
        @inline(__always)
        mutating func update(old: Double, new: Double, x: Double) {
            let a = self.a - old * x
            let dx = (new - old) * x
            sumE -= dx * (count * a + sumR)
            sumRE -= dx * (a * sumR + sumRR)
            self.a += dx
            d += (new * new - old * old) * x * x
        }
    }

    /// Ranges of entities (`pointers`: where each one's rows start) holding about equal numbers
    /// of rows, a few per worker, for the parallel passes.
    static func balancedBlocks(pointers: [Int]) -> [Range<Int>] {
        let count = pointers.count - 1
        guard count > 0 else { return [] }
        let target = max(1, pointers[count] / (Parallel.workers * 8))
        var blocks: [Range<Int>] = [], start = 0
        for e in 0..<count where pointers[e + 1] - pointers[start] >= target || e == count - 1 {
            blocks.append(start..<(e + 1))
            start = e + 1
        }
        return blocks
    }
}
