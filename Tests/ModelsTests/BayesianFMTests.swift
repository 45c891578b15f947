import Essentials
import Foundation
import LinearAlgebra
@testable import Models
import MovieLens
import Testing
import TestSupport

/// The Bayesian FM's block bookkeeping against the FM written out feature by feature.
struct BayesianFMTests {
    static func data() throws -> TrainingSet {
        var rng = SeededGenerator(seed: 5)
        var train: [(Int, Int, Float)] = [], test: [(Int, Int, Float)] = []
        for u in 0..<12 {
            for m in 0..<9 where rng.nextUniform() < 0.55 {
                let rating = Float(1 + (u * 5 + m * 2) % 5)
                if rng.nextUniform() < 0.2 { test.append((u, m, rating)) } else { train.append((u, m, rating)) }
            }
        }
        var data = try trainingSet(users: 12, movies: 9, train: train, test: test, method: .none, scale: .wholeStars)
        data.metadata.genres = ["Drama|Comedy", "Comedy", "", "Action|Drama|War", "War", "Comedy|Romance", "Drama|Drama", "", "Romance"]
        data.metadata.years = [1995, 1995, 0, 1982, 2000, 1995, 0, 1982, 1999]
        // Users' attributes as ml-100k (ages in years) and ml-1m (group codes) write them, some unknown.
        data.userAttributes = UserAttributes(
            gender: ["M", "F", "", "F", "M", "M", "F", "", "M", "F", "M", "F"],
            age: [24, 1, 0, 56, 33, 18, 45, 50, 17, 61, 35, 25],
            occupation: ["writer", "10", "", "writer", "other", "10", "other", "", "student", "student", "7", "writer"],
            zip: ["85711", "02460", "", "V3N4P", "8", "55117", "", "", "85711", "9", "70072", "L9G2B"])
        // Ratings on four days (two before 1970), held-out ones also on a day not in training.
        let day: Int64 = 86_400
        data.trainTimestamp = data.trainUser.indices.map { [-2 * day + 5, 3 * day, 3 * day + 86_399, 11 * day, -1][$0 % 5] }
        data.testTimestamp = data.testUser.indices.map { [3 * day + 7, 40 * day, -day][$0 % 3] }
        return data
    }

    /// ŷ(u, i) from the sampler's parameters: the second-order FM over the row's features — user
    /// id, the user's training movies (1/√n_u), movie id, the movie's training raters (1/√m_i) —
    /// summed pair by pair, without any block sum.
    /// With days, the row also holds day `day`'s feature (x = 1); nil: no day feature.
    static func bruteForce(_ s: FMSampler, data: TrainingSet, parameters: BayesianFM.Parameters, user u: Int, movie i: Int, day: Int? = nil) -> Double {
        let users = s.users, movies = s.movies, k = s.k
        var features: [(w: Double, v: [Double], x: Double)] = []
        func factors(_ values: [Double], count: Int, _ index: Int) -> [Double] { (0..<k).map { values[$0 * count + index] } }
        if let day, let days = s.days { features.append((days.w[day], factors(days.v, count: days.count, day), 1)) }
        features.append((users.idW[u], factors(users.idV, count: users.count, u), 1))
        let rated = (0..<data.trainUser.count).filter { Int(data.trainUser[$0]) == u }.map { Int(data.trainMovie[$0]) }
        // Users' attributes: one feature per value, x = 1; ages by ML-1M's groups, zips by their first character.
        let attributes = data.userAttributes
        let ageGroups: [(ClosedRange<Int32>, Int32)] = [(1...17, 1), (18...24, 18), (25...34, 25), (35...44, 35), (45...49, 45), (50...55, 50), (56...200, 56)]
        let ageOf = attributes.age.map { age in ageGroups.first { $0.0.contains(age) }?.1 }
        let zipOf = attributes.zip.map { $0.isEmpty ? nil : String($0.prefix(1)) }
        func oneHot<T: Hashable & Comparable>(_ values: [T?]) -> [(index: Int, x: Double)] {
            guard let value = values[u] else { return [] }
            return [(Array(Set(values.compactMap { $0 })).sorted().firstIndex(of: value)!, 1)]
        }
        for (group, kind) in zip(users.groups, parameters.userGroups) {
            let members: [(index: Int, x: Double)]
            switch kind {
            case .implicit: members = rated.map { ($0, 1 / Double(rated.count).squareRoot()) }
            case .gender: members = oneHot(attributes.gender.map { $0.isEmpty ? nil : $0 })
            case .age: members = oneHot(ageOf)
            case .occupation: members = oneHot(attributes.occupation.map { $0.isEmpty ? nil : $0 })
            case .zip: members = oneHot(zipOf)
            default: Issue.record("\(kind) is not a user group"); members = []
            }
            for (index, x) in members { features.append((group.w[index], factors(group.v, count: group.count, index), x)) }
        }
        features.append((movies.idW[i], factors(movies.idV, count: movies.count, i), 1))
        let raters = (0..<data.trainMovie.count).filter { Int(data.trainMovie[$0]) == i }.map { Int(data.trainUser[$0]) }
        let vocabulary = Array(Set(data.metadata.genres.flatMap { $0.split(separator: "|").map(String.init) })).sorted()
        let years = Array(Set(data.metadata.years.filter { $0 > 0 })).sorted()
        for (group, kind) in zip(movies.groups, parameters.movieGroups) {
            let members: [(index: Int, x: Double)]
            switch kind {
            case .implicit: members = raters.map { ($0, 1 / Double(raters.count).squareRoot()) }
            case .genres:
                let names = Set(data.metadata.genres[i].split(separator: "|").map(String.init))  // a genre once
                members = names.map { (vocabulary.firstIndex(of: $0)!, 1 / Double(names.count).squareRoot()) }
            case .year:
                members = data.metadata.years[i] > 0 ? [(years.firstIndex(of: data.metadata.years[i])!, 1)] : []
            default: Issue.record("\(kind) is not a movie group"); members = []
            }
            for (index, x) in members { features.append((group.w[index], factors(group.v, count: group.count, index), x)) }
        }
        var y = s.global
        for f in features { y += f.w * f.x }
        for a in 0..<features.count {
            for b in (a + 1)..<features.count {
                var dot = 0.0
                for d in 0..<k { dot += features[a].v[d] * features[b].v[d] }
                y += dot * features[a].x * features[b].x
            }
        }
        return s.mean + y
    }

    static func folded(_ sample: FMSampler.Sample, users: Int, movies: Int, k: Int, user u: Int, movie i: Int) -> Double {
        var y = sample.global + sample.userBias[u] + sample.movieBias[i]
        for d in 0..<k { y += sample.userFactors[d * users + u] * sample.movieFactors[d * movies + i] }
        return y
    }

    /// Day numbers are floor divisions by 86,400 s, with no overflow at either end of Int64.
    @Test func dayNumbersAreFloorDivisionsAtAnyTimestamp() {
        let cases: [(Int64, Int64)] = [(0, 0), (86_399, 0), (86_400, 1), (-1, -1), (-86_400, -1), (-86_401, -2),
                                       (978_300_760, 11_322), (Int64.max, Int64.max / 86_400), (Int64.min, -106_751_991_167_301)]
        for (timestamp, day) in cases { #expect(FMSampler.Days.number(ofTimestamp: timestamp) == day, "\(timestamp)") }
    }

    /// The day of each timestamp, counted independently of the sampler: UTC days, floor division.
    static func dayNumber(_ timestamp: Int64) -> Int64 { Int64((Double(timestamp) / 86_400).rounded(.down)) }

    /// What the stored model predicts with days: the FM on the user's average training day,
    /// Σ_t (n_ut / n_u) ŷ(u, i, t); a user without training ratings: no day feature.
    static func userAverageDay(_ s: FMSampler, data: TrainingSet, parameters: BayesianFM.Parameters, user u: Int, movie i: Int) -> Double {
        let rows = data.trainUser.indices.filter { Int(data.trainUser[$0]) == u }
        guard !rows.isEmpty else { return bruteForce(s, data: data, parameters: parameters, user: u, movie: i) }
        let dayList = Array(Set(data.trainTimestamp.map(dayNumber))).sorted()
        return rows.reduce(0.0) { sum, row in
            let day = dayList.firstIndex(of: dayNumber(data.trainTimestamp[row]))!
            return sum + bruteForce(s, data: data, parameters: parameters, user: u, movie: i, day: day) / Double(rows.count)
        }
    }

    @Test(arguments: [("both", "none", "none", "none", "gaussian"), ("users", "genres", "gender", "day", "both"),
                      ("movies", "year", "age", "none", "users"), ("none", "both", "occupation", "day", "movies"),
                      ("users", "none", "zip", "none", "both"), ("both", "both", "all", "day", "gaussian")])
    func foldedPredictionsAndResidualsAreTheFM(implicit: String, attributes: String, userAttributes: String, time: String, noise: String) throws {
        let data = try Self.data()
        let fm = try BayesianFM.make(["rank": 3, "samples": 4, "burn_in": 0, "keep": 1, "implicit": .text(implicit),
                                      "movie_attributes": .text(attributes), "user_attributes": .text(userAttributes),
                                      "time": .text(time), "noise": .text(noise)], seed: 9)
        let dayList = Array(Set(data.trainTimestamp.map(Self.dayNumber))).sorted()
        #expect(dayList == [-2, -1, 3, 11])
        func served(_ sampler: FMSampler, _ u: Int, _ i: Int) -> Double {
            time == "day" ? Self.userAverageDay(sampler, data: data, parameters: fm.parameters, user: u, movie: i)
                : Self.bruteForce(sampler, data: data, parameters: fm.parameters, user: u, movie: i)
        }
        var sampler = FMSampler(data: data, parameters: fm.parameters, seed: 9)
        for sweep in 0...3 {
            if sweep > 0 { try sampler.sweep(sweep) }
            let sample = sampler.sample()
            for r in 0..<data.trainUser.count {
                let u = Int(data.trainUser[r]), i = Int(data.trainMovie[r])
                #expect(abs(Self.folded(sample, users: 12, movies: 9, k: 3, user: u, movie: i) - served(sampler, u, i)) < 1e-9, "sweep \(sweep) row \(r)")
                // The residual the sampler keeps is the value minus the FM on the row's own day.
                let day = time == "day" ? dayList.firstIndex(of: Self.dayNumber(data.trainTimestamp[r])) : nil
                let exact = Self.bruteForce(sampler, data: data, parameters: fm.parameters, user: u, movie: i, day: day)
                #expect(abs(sampler.residual[r] - (Double(data.trainValue[r]) - exact)) < 1e-9, "sweep \(sweep) row \(r)")
            }
            // The Rao–Blackwellised state the stored model averages, and the rows' residuals under
            // it (each row on its own day).
            // (recorded without days only: with days the curve predicts from the folded sample).
            if let state = sampler.meanSnapshot, time != "day" {
                let folded = sampler.sample(of: state)
                for r in 0..<data.trainUser.count {
                    let prediction = Self.folded(folded, users: 12, movies: 9, k: 3, user: Int(data.trainUser[r]), movie: Int(data.trainMovie[r]))
                    #expect(abs(Double(data.trainValue[r]) - prediction - sampler.meanResidual[r]) < 1e-9, "sweep \(sweep) row \(r)")
                }
            } else {
                #expect(sweep == 0 || time == "day")
            }
            // Held-out pairs too (the folded model predicts without the training data), and with
            // days their own-day predictions (a day not in training: the user's average day).
            let dayRows = time == "day" ? sampler.days!.indices(of: data.testTimestamp) : []
            let own = time == "day" ? sampler.ownDayPredictions(sampler.snapshot(), users: data.testUser, movies: data.testMovie, dayRows: dayRows) : []
            for r in 0..<data.testUser.count {
                let u = Int(data.testUser[r]), i = Int(data.testMovie[r])
                #expect(abs(Self.folded(sample, users: 12, movies: 9, k: 3, user: u, movie: i) - served(sampler, u, i)) < 1e-9)
                if time == "day" {
                    let day = dayList.firstIndex(of: Self.dayNumber(data.testTimestamp[r]))
                    #expect(dayRows[r] == Int32(day ?? -1))
                    let exact = day.map { Self.bruteForce(sampler, data: data, parameters: fm.parameters, user: u, movie: i, day: $0) } ?? served(sampler, u, i)
                    #expect(abs(own[r] - exact) < 1e-9)
                }
            }
        }
    }

    /// The draws' statistics follow the residuals in closed form: after any change of a
    /// dimension's block sums (ΔA, ΔC per entity: e_r −= ΔA R_r,d + ΔC), Σ e R of the next
    /// dimension and Σ e equal the sums recomputed from the moved residuals; G and ΣR are the
    /// rows' own. Users' rows with days: R_r = B_i + T_t. Every sum is weighted by the rows'
    /// noise weights w_r (G = Σ w R Rᵀ, Σ w e R, …), arbitrary here.
    @Test func statisticsFollowTheResidualsInClosedForm() throws {
        let data = try Self.data()
        let k = 4
        let fm = try BayesianFM.make(["rank": .integer(k), "time": "day"], seed: 3)
        let sampler = FMSampler(data: data, parameters: fm.parameters, seed: 3)
        let users = sampler.users, days = sampler.days!
        func vector(_ row: Int) -> [Double] {
            (0..<k).map { d in
                sampler.movies.blockA[d * sampler.movies.count + Int(sampler.rowMovie[row])] + days.v[d * days.count + Int(days.dayOfRow[row])]
            }
        }
        var residual = sampler.residual
        var rng = SeededGenerator(seed: 11)
        let w = residual.map { _ in 0.5 + 1.5 * rng.nextUniform() }
        var statistics = FMSampler.Statistics(count: users.count, pointers: users.pointers, rows: users.rows, blocks: users.blocks,
                                              k: k, residual: residual, weights: w) { row, q in
            let r = vector(row)
            for d in 0..<k { q[d] = r[d] }
        }
        func rows(_ u: Int) -> [Int] { (users.pointers[u]..<users.pointers[u + 1]).map { Int(users.rows[$0]) } }
        for u in 0..<users.count {
            for d in 0..<k {
                #expect(abs(statistics.linear[u * k + d] - rows(u).reduce(0) { $0 + w[$1] * vector($1)[d] }) < 1e-12)
                for d2 in d..<k {
                    let g = statistics.gram[u * statistics.packed + FMSampler.Statistics.rowOffset(d, k: k) + d2 - d]
                    #expect(abs(g - rows(u).reduce(0) { $0 + w[$1] * vector($1)[d] * vector($1)[d2] }) < 1e-12)
                }
            }
        }
        for d in 0..<k {
            for u in 0..<users.count {
                // What the draws of dimension d read.
                let state = statistics.state(entity: u, dimension: d, a: 0, squares: 0, count: 0)
                #expect(abs(state.sumRE - rows(u).reduce(0) { $0 + w[$1] * residual[$1] * vector($1)[d] }) < 1e-9, "user \(u) d \(d)")
                #expect(abs(state.sumE - rows(u).reduce(0) { $0 + w[$1] * residual[$1] }) < 1e-9)
                #expect(abs(state.sumR - rows(u).reduce(0) { $0 + w[$1] * vector($1)[d] }) < 1e-12)
                #expect(abs(state.sumRR - rows(u).reduce(0) { $0 + w[$1] * vector($1)[d] * vector($1)[d] }) < 1e-12)
            }
            for u in 0..<users.count {
                let deltaA = rng.nextGaussian(), deltaC = u % 3 == 0 ? 0 : rng.nextGaussian()
                for row in rows(u) { residual[row] -= deltaA * vector(row)[d] + deltaC }
                statistics.drew(entity: u, dimension: d, deltaA: deltaA, deltaC: deltaC,
                                residualSum: rows(u).reduce(0) { $0 + w[$1] * residual[$1] })
            }
        }
    }

    /// The draws' two halves on two threads (`Lockstep`) or one after the other: the same chain
    /// to the last bit, so the same model on any number of cores.
    @Test(arguments: [("tiny", "day"), ("tiny", "none"), ("small", "none")])
    func twoThreadsDrawWhatOneDraws(data name: String, time: String) throws {
        let data = name == "tiny" ? try Self.data() : try Conformance.small()
        let fm = try BayesianFM.make(["rank": 3, "time": .text(time), "user_attributes": name == "tiny" ? "all" : "none",
                                      "movie_attributes": name == "tiny" ? "both" : "none"], seed: 4)
        var one = FMSampler(data: data, parameters: fm.parameters, seed: 4), two = one, mixed = one
        one.lockstep = false
        two.lockstep = true
        // Two threads, but dimensions paired and alone in turn (as a busy core would make them).
        mixed.lockstep = true
        mixed.schedules = [DrawSchedule(), DrawSchedule()]
        var calls = 0
        for schedule in mixed.schedules {
            schedule.forced = {
                calls += 1
                return calls % 3 == 0 ? .paired : .alone
            }
        }
        #expect(one.users.boundary > 0 && one.users.boundary < one.users.count)
        for sweep in 1...3 {
            try one.sweep(sweep)
            try two.sweep(sweep)
            try mixed.sweep(sweep)
        }
        #expect(calls == 3 * 2 * 3)
        #expect(one.residual == two.residual && one.residual == mixed.residual)
        for (a, b) in [(one.users, two.users), (one.movies, two.movies), (one.users, mixed.users), (one.movies, mixed.movies)] {
            #expect(a.idV == b.idV && a.blockA == b.blockA && a.blockD == b.blockD)
            #expect(a.groups.map(\.v) == b.groups.map(\.v))
        }
        #expect(one.residual != FMSampler(data: data, parameters: fm.parameters, seed: 4).residual)
    }

    /// The draws' schedule runs the faster way (measured), tries the other at growing intervals,
    /// and switches within a dimension or two when the running way gets slower (the other core
    /// taken by another process).
    @Test func theScheduleRunsTheFasterModeAndTriesTheOther() {
        let schedule = DrawSchedule()
        var cost: [DrawSchedule.Mode: Double] = [.paired: 1, .alone: 2]
        var runs: [DrawSchedule.Mode] = []
        func step() {
            let mode = schedule.next()
            runs.append(mode)
            schedule.record(mode, .milliseconds(cost[mode]!))
        }
        for _ in 0..<1000 { step() }
        // Tries after 4, 8, 16, …, 256 dimensions (the next after 512): 7 in 1,000.
        #expect(runs.filter { $0 == .alone }.count == 7)
        #expect(schedule.current == .paired)
        cost = [.paired: 5, .alone: 2]
        runs = []
        for _ in 0..<100 { step() }
        #expect(runs.prefix(3).contains(.alone))
        #expect(schedule.current == .alone)
        #expect(runs.suffix(50).filter { $0 == .paired }.count <= 2)
        // And back when the core is free again.
        cost = [.paired: 1, .alone: 2]
        for _ in 0..<200 { step() }
        #expect(schedule.current == .paired)
    }

    /// An entity with more rows than one `syrk` takes (`Statistics.chunk`): the chunks' sums add up.
    @Test func statisticsOfMoreRowsThanAChunk() {
        let k = 3, rows = FMSampler.Statistics.chunk * 2 + 5
        var rng = SeededGenerator(seed: 8)
        let residual = (0..<rows).map { _ in rng.nextGaussian() }
        let vectors = (0..<(rows * k)).map { _ in rng.nextGaussian() }
        let statistics = FMSampler.Statistics(count: 2, pointers: [0, 3, rows], rows: (0..<rows).map(Int32.init), blocks: [0..<2],
                                              k: k, residual: residual) { row, q in
            for d in 0..<k { q[d] = vectors[row * k + d] }
        }
        let range = 3..<rows
        #expect(abs(statistics.residualSum[1] - range.reduce(0) { $0 + residual[$1] }) < 1e-9)
        for d in 0..<k {
            #expect(abs(statistics.linear[k + d] - range.reduce(0) { $0 + vectors[$1 * k + d] }) < 1e-9)
            #expect(abs(statistics.weighted[k + d] - range.reduce(0) { $0 + residual[$1] * vectors[$1 * k + d] }) < 1e-9)
            for d2 in d..<k {
                let g = statistics.gram[statistics.packed + FMSampler.Statistics.rowOffset(d, k: k) + d2 - d]
                #expect(abs(g - range.reduce(0) { $0 + vectors[$1 * k + d] * vectors[$1 * k + d2] }) < 1e-9)
            }
        }
    }

    /// The joint draws of the users' ids against their conditional written out row by row: ŷ_r
    /// is linear in user u's id v, h_r = ∂ŷ_r/∂v (by the FM summed pair by pair), and
    /// v | rest ~ N(m, P⁻¹) with P = α Σ w h hᵀ + diag(λ), m = P⁻¹b, b = α Σ w h (e_r + ⟨v, h_r⟩) + λ∘μ
    /// (w_r: the rows' noise weights, all 1 under Gaussian noise).
    /// The draw is m + U⁻¹z (P = UᵀU by hand here, z the normals given); the means' fold predicts
    /// each row as the FM with the id at m; afterwards the statistics are the sums over the rows'
    /// new residuals, and ΔA, ΔC move each row as the FM does.
    @Test(arguments: [("none", "gaussian"), ("all", "gaussian"), ("all", "both"), ("none", "users")])
    func idDrawsAreTheirConditional(userAttributes: String, noise: String) throws {
        let data = try Self.data()
        let k = 3
        let fm = try BayesianFM.make(["rank": .integer(k), "user_attributes": .text(userAttributes), "noise": .text(noise)], seed: 6)
        var sampler = FMSampler(data: data, parameters: fm.parameters, seed: 6)
        for sweep in 1...2 { try sampler.sweep(sweep) }
        let w = sampler.rowWeight
        #expect(w.contains { $0 != 1 } == (noise != "gaussian"))
        let n = sampler.users.count, movies = sampler.movies
        func vector(_ row: Int) -> [Double] { (0..<k).map { movies.blockA[$0 * movies.count + Int(sampler.rowMovie[row])] } }
        func rows(_ u: Int) -> [Int] { (sampler.users.pointers[u]..<sampler.users.pointers[u + 1]).map { Int(sampler.users.rows[$0]) } }
        func predict(_ s: FMSampler, _ r: Int) -> Double {
            Self.bruteForce(s, data: data, parameters: fm.parameters, user: Int(data.trainUser[r]), movie: Int(data.trainMovie[r]))
        }
        var statistics = FMSampler.Statistics(count: n, pointers: sampler.users.pointers, rows: sampler.users.rows,
                                              blocks: sampler.users.blocks, k: k, residual: sampler.residual, weights: w) { row, q in
            let r = vector(row)
            for d in 0..<k { q[d] = r[d] }
        }
        // The conditional means, by hand.
        let priors = sampler.factorPriors[0][0]
        var expected = [[Double]](), precisions = [[Double]]()
        for u in 0..<n {
            var p = [Double](repeating: 0, count: k * k), b = [Double](repeating: 0, count: k)
            for r in rows(u) {
                let y = predict(sampler, r)
                let h = (0..<k).map { d in
                    var moved = sampler
                    moved.users.idV[d * n + u] += 1
                    return predict(moved, r) - y
                }
                let e = Double(data.trainValue[r]) - y
                let vh = (0..<k).reduce(0.0) { $0 + sampler.users.idV[$1 * n + u] * h[$1] }
                for d in 0..<k {
                    b[d] += sampler.alpha * w[r] * h[d] * (e + vh)
                    for d2 in 0..<k { p[d * k + d2] += sampler.alpha * w[r] * h[d] * h[d2] }
                }
            }
            for d in 0..<k { p[d * k + d] += priors[d].precision; b[d] += priors[d].precision * priors[d].mean }
            expected.append(Self.solve(p, b, k))
            precisions.append(p)
        }
        var drawn = sampler
        var deltaA = [Double](repeating: 0, count: n * k), deltaC = [Double](repeating: 0, count: n)
        var means = FMSampler.MeanIDs(blockA: [Double](repeating: 0, count: n * k), ownTerms: [Double](repeating: 0, count: n),
                                      shift: [Double](repeating: 0, count: n * k), shiftOwn: [Double](repeating: 0, count: n))
        var rng = SeededGenerator(seed: 21)
        let normals = (0..<(n * k)).map { _ in rng.nextGaussian() }
        let weightSums = drawn.users.weightSums, blocks = drawn.users.blocks, alpha = drawn.alpha
        let (gramValues, linearValues) = (statistics.gram, statistics.linear)
        var (weightedValues, residualSums) = (statistics.weighted, statistics.residualSum)
        gramValues.withUnsafeBufferPointer { gram in
        linearValues.withUnsafeBufferPointer { linear in
        weightedValues.withUnsafeMutableBufferPointer { weighted in
        residualSums.withUnsafeMutableBufferPointer { residualSum in
        drawn.users.idV.withUnsafeMutableBufferPointer { idV in
        drawn.users.blockA.withUnsafeMutableBufferPointer { blockA in
        drawn.users.blockD.withUnsafeMutableBufferPointer { blockD in
        deltaA.withUnsafeMutableBufferPointer { deltaA in
        deltaC.withUnsafeMutableBufferPointer { deltaC in
        means.blockA.withUnsafeMutableBufferPointer { meanA in
        means.ownTerms.withUnsafeMutableBufferPointer { meanC in
        means.shift.withUnsafeMutableBufferPointer { shift in
        means.shiftOwn.withUnsafeMutableBufferPointer { shiftOwn in
        normals.withUnsafeBufferPointer { normals in
            let draws = FMSampler.IDDraws(k: k, n: n, packed: statistics.packed, alpha: alpha, priors: priors, weightSums: weightSums, blocks: blocks,
                                          gram: gram, linear: linear, weighted: UncheckedBuffer(weighted), residualSum: UncheckedBuffer(residualSum),
                                          idV: UncheckedBuffer(idV), blockA: UncheckedBuffer(blockA), blockD: UncheckedBuffer(blockD),
                                          deltaA: UncheckedBuffer(deltaA), deltaC: UncheckedBuffer(deltaC),
                                          meanA: UncheckedBuffer(meanA), meanC: UncheckedBuffer(meanC),
                                          shift: UncheckedBuffer(shift), shiftOwn: UncheckedBuffer(shiftOwn), withMeans: true)
            draws.draw(normals: normals, stride: n)
        }}}}}}}}}}}}}}
        (statistics.weighted, statistics.residualSum) = (weightedValues, residualSums)
        let movieBias = movies.foldedBias(k: k)
        for u in 0..<n {
            let old = (0..<k).map { sampler.users.idV[$0 * n + u] }, new = (0..<k).map { drawn.users.idV[$0 * n + u] }
            let other = (0..<k).map { sampler.users.blockA[$0 * n + u] - old[$0] }
            // U (v′ − m) = z, U the upper Cholesky factor of P.
            let u8 = Self.upperCholesky(precisions[u], k)
            for d in 0..<k {
                let z = (d..<k).reduce(0.0) { $0 + u8[d * k + $1] * (new[$1] - expected[u][$1]) }
                #expect(abs(z - normals[d * n + u]) < 1e-9 * max(1, abs(normals[d * n + u])), "user \(u) d \(d)")
                #expect(abs(means.shift[u * k + d] - (expected[u][d] - old[d])) < 1e-9 * max(1, abs(expected[u][d])))
                #expect(abs(deltaA[u * k + d] - (new[d] - old[d])) < 1e-12)
            }
            #expect(abs(means.shiftOwn[u] - (0..<k).reduce(0.0) { $0 + (expected[u][$1] - old[$1]) * other[$1] }) < 1e-9)
            #expect(abs(deltaC[u] - (0..<k).reduce(0.0) { $0 + (new[$1] - old[$1]) * other[$1] }) < 1e-9)
            // The means' fold predicts each row as the FM with the id at its mean.
            var atMean = sampler
            for d in 0..<k { atMean.users.idV[d * n + u] = expected[u][d] }
            for r in rows(u) {
                let i = Int(sampler.rowMovie[r])
                let folded = sampler.mean + sampler.global + sampler.users.blockW[u] + means.ownTerms[u] + movieBias[i]
                    + (0..<k).reduce(0.0) { $0 + means.blockA[$1 * n + u] * movies.blockA[$1 * movies.count + i] }
                #expect(abs(folded - predict(atMean, r)) < 1e-9, "user \(u) row \(r)")
            }
            // The rows' residuals under the new ids, by the FM and by ΔA, ΔC.
            var sumE = 0.0, sumER = [Double](repeating: 0, count: k)
            for r in rows(u) {
                let e = Double(data.trainValue[r]) - predict(drawn, r)
                let moved = sampler.residual[r] - deltaC[u] - (0..<k).reduce(0.0) { $0 + deltaA[u * k + $1] * vector(r)[$1] }
                #expect(abs(e - moved) < 1e-9, "user \(u) row \(r)")
                sumE += w[r] * e
                for d in 0..<k { sumER[d] += w[r] * e * vector(r)[d] }
            }
            #expect(abs(statistics.residualSum[u] - sumE) < 1e-9)
            for d in 0..<k { #expect(abs(statistics.weighted[u * k + d] - sumER[d]) < 1e-9, "user \(u) d \(d)") }
        }
    }

    /// A training row's prediction by the FM written out (`bruteForce`), on the row's own day.
    static func predict(_ s: FMSampler, data: TrainingSet, parameters: BayesianFM.Parameters, row r: Int) -> Double {
        bruteForce(s, data: data, parameters: parameters, user: Int(data.trainUser[r]), movie: Int(data.trainMovie[r]),
                   day: s.days.map { Int($0.dayOfRow[r]) })
    }

    /// The Gaussian conditional of parameters `paths` given the rest, written out row by row:
    /// ŷ_r is linear in each, h_r = ∂ŷ_r/∂θ by a unit step, and with the rows' noise weights w_r
    /// P = α Σ w h hᵀ + diag(λ), b = α Σ w h (e_r + ⟨θ, h_r⟩) + λ∘μ (P row-major).
    static func conditional(_ s: FMSampler, data: TrainingSet, parameters: BayesianFM.Parameters, priors: [FMSampler.Prior],
                            _ paths: [WritableKeyPath<FMSampler, Double>]) -> (p: [Double], b: [Double]) {
        let n = paths.count
        var p = [Double](repeating: 0, count: n * n), b = [Double](repeating: 0, count: n)
        let moved = paths.map { path in
            var t = s
            t[keyPath: path] += 1
            return t
        }
        for r in 0..<data.trainUser.count {
            let y = predict(s, data: data, parameters: parameters, row: r)
            let h = moved.map { predict($0, data: data, parameters: parameters, row: r) - y }
            guard h.contains(where: { $0 != 0 }) else { continue }
            let e = Double(data.trainValue[r]) - y, w = s.rowWeight[r]
            let th = (0..<n).reduce(0.0) { $0 + s[keyPath: paths[$1]] * h[$1] }
            for d in 0..<n {
                b[d] += s.alpha * w * h[d] * (e + th)
                for d2 in 0..<n { p[d * n + d2] += s.alpha * w * h[d] * h[d2] }
            }
        }
        for d in 0..<n { p[d * n + d] += priors[d].precision; b[d] += priors[d].precision * priors[d].mean }
        return (p, b)
    }

    /// Scalar draws replayed against their conditionals: each drawn value must be
    /// m + z/√P (`conditional`) with z the next of `normals`, in the sampler's order; the replay
    /// then takes the drawn value, so each conditional is the one the draw saw.
    static func replay(_ drawn: FMSampler, from start: FMSampler, data: TrainingSet, parameters: BayesianFM.Parameters,
                       _ draws: [(path: WritableKeyPath<FMSampler, Double>, prior: FMSampler.Prior)],
                       normals: inout SeededGenerator, _ label: String) -> FMSampler {
        var state = start
        for (index, (path, prior)) in draws.enumerated() {
            let (p, b) = conditional(state, data: data, parameters: parameters, priors: [prior], [path])
            let expected = b[0] / p[0] + normals.nextGaussian() / p[0].squareRoot()
            #expect(abs(drawn[keyPath: path] - expected) < 1e-9 * max(1, abs(expected)), "\(label) draw \(index)")
            state[keyPath: path] = drawn[keyPath: path]
        }
        return state
    }

    /// Every first-order draw of a sweep against its conditional written out row by row, with
    /// the rows' noise weights: w₀, the users' and movies' ids then each group's features one
    /// after another, the days' (`replay`).
    @Test(arguments: ["gaussian", "both"])
    func firstOrderDrawsAreTheirConditionals(noise: String) throws {
        let data = try Self.data()
        let fm = try BayesianFM.make(["rank": 2, "noise": .text(noise), "movie_attributes": "both", "time": "day"], seed: 12)
        var sampler = FMSampler(data: data, parameters: fm.parameters, seed: 12)
        for sweep in 1...2 { try sampler.sweep(sweep) }
        #expect(sampler.rowWeight.contains { $0 != 1 } == (noise != "gaussian"))
        let parameters = fm.parameters
        var rng = SeededGenerator(seed: 30), normals = rng
        var state = sampler
        sampler.sampleGlobal(rng: &rng)
        state = Self.replay(sampler, from: state, data: data, parameters: parameters, [(\.global, FMSampler.Prior())], normals: &normals, "w₀")
        let sides: [WritableKeyPath<FMSampler, FMSampler.Side>] = [\.users, \.movies]
        for (index, side) in sides.enumerated() {
            let priors = sampler.firstOrderPriors[index]
            let (weights, alpha) = (sampler.rowWeight, sampler.alpha)
            if index == 0 {
                FMSampler.sampleFirstOrder(&sampler.users, residual: &sampler.residual, weights: weights, alpha: alpha, priors: priors, rng: &rng)
            } else {
                FMSampler.sampleFirstOrder(&sampler.movies, residual: &sampler.residual, weights: weights, alpha: alpha, priors: priors, rng: &rng)
            }
            let entities = sampler[keyPath: side]
            var draws = (0..<entities.count).map { e in (path: side.appending(path: \FMSampler.Side.idW[e]), prior: priors[0]) }
            for (g, group) in entities.groups.enumerated() {
                draws += (0..<group.count).map { f in (path: side.appending(path: \FMSampler.Side.groups[g].w[f]), prior: priors[1 + g]) }
            }
            state = Self.replay(sampler, from: state, data: data, parameters: parameters, draws, normals: &normals, "side \(index)")
        }
        let (weights, alpha) = (sampler.rowWeight, sampler.alpha)
        FMSampler.sampleFirstOrder(&sampler.days!, residual: &sampler.residual, weights: weights, alpha: alpha, rng: &rng)
        let days = sampler.days!
        _ = Self.replay(sampler, from: state, data: data, parameters: parameters,
                        (0..<days.count).map { (\FMSampler.unwrappedDays.w[$0], days.firstOrderPrior) }, normals: &normals, "days")
    }

    /// One kind's factor draws (`sampleFactors`) against their conditionals written out row by
    /// row, with the rows' noise weights: each entity's id vector jointly — v′ = m + U⁻¹z with
    /// P = UᵀU, m = P⁻¹b, z the normals drawn in a serial sweep's order — then every shared
    /// feature's coordinate, dimension after dimension, each from its scalar conditional given
    /// the draws before it; the days' coordinates one after another. On one thread and on two in
    /// lockstep: the statistics, their closed-form updates and the exchange are all under test.
    @Test(arguments: [("users", "both", true), ("users", "both", false), ("movies", "users", true), ("movies", "gaussian", false),
                      ("days", "both", true)])
    func aKindsFactorDrawsAreTheirConditionals(kind: String, noise: String, lockstep: Bool) throws {
        let data = try Self.data()
        let k = 2
        let fm = try BayesianFM.make(["rank": .integer(k), "noise": .text(noise), "movie_attributes": "both",
                                      "time": kind == "days" ? "day" : "none"], seed: 16)
        let parameters = fm.parameters
        var sampler = FMSampler(data: data, parameters: parameters, seed: 16)
        for sweep in 1...2 { try sampler.sweep(sweep) }
        sampler.lockstep = lockstep
        let before = sampler
        var rng = SeededGenerator(seed: 41), normals = rng
        let which: FMSampler.Kind = kind == "users" ? .users : kind == "movies" ? .movies : .days
        sampler.sampleFactors(of: which, rng: &rng)
        if which == .days {
            let days = before.days!
            let draws = (0..<k).flatMap { d in (0..<days.count).map { t in (path: \FMSampler.unwrappedDays.v[d * days.count + t], prior: days.factorPriors[d]) } }
            _ = Self.replay(sampler, from: before, data: data, parameters: parameters, draws, normals: &normals, "days")
            return
        }
        let side: WritableKeyPath<FMSampler, FMSampler.Side> = which == .users ? \.users : \.movies
        let entities = before[keyPath: side], n = entities.count, priors = before.factorPriors[which == .users ? 0 : 1]
        let perDimension = n + entities.groups.reduce(0) { $0 + $1.count }
        let z = (0..<(k * perDimension)).map { _ in normals.nextGaussian() }
        // The ids, jointly.
        var state = before
        for e in 0..<n {
            let paths = (0..<k).map { side.appending(path: \FMSampler.Side.idV[$0 * n + e]) }
            let (p, b) = Self.conditional(before, data: data, parameters: parameters, priors: priors[0], paths)
            let mean = Self.solve(p, b, k), u = Self.upperCholesky(p, k)
            let offsets: [Double] = (0..<k).map { sampler[keyPath: paths[$0]] - mean[$0] }
            for d in 0..<k {
                var normal = 0.0
                for d2 in d..<k { normal += u[d * k + d2] * offsets[d2] }
                #expect(abs(normal - z[d * perDimension + e]) < 1e-8 * max(1, abs(z[d * perDimension + e])), "\(kind) \(e) d \(d)")
                state[keyPath: paths[d]] = sampler[keyPath: paths[d]]
            }
        }
        // The shared features, dimension after dimension, group after group.
        for d in 0..<k {
            var offset = d * perDimension + n
            for (g, group) in entities.groups.enumerated() {
                for f in 0..<group.count {
                    let path = side.appending(path: \FMSampler.Side.groups[g].v[d * group.count + f])
                    let (p, b) = Self.conditional(state, data: data, parameters: parameters, priors: [priors[1 + g][d]], [path])
                    let expected = b[0] / p[0] + z[offset + f] / p[0].squareRoot()
                    #expect(abs(sampler[keyPath: path] - expected) < 1e-8 * max(1, abs(expected)), "\(kind) group \(g) feature \(f) d \(d)")
                    state[keyPath: path] = sampler[keyPath: path]
                }
                offset += group.count
            }
        }
    }

    /// Each side's noise scales from their conditional, Gamma(a + n_e/2, a + α Σ other_r e_r²/2)
    /// (other_r: the row's scale of the other side): the average of many draws against its
    /// mean (within 5 standard errors). After a sweep each row's weight is τ_u σ_i and every
    /// kind's Σ w its rows'.
    @Test func noiseScalesAreTheirConditional() throws {
        let data = try Self.data()
        let fm = try BayesianFM.make(["rank": 3, "noise": "both", "time": "day"], seed: 13)
        var sampler = FMSampler(data: data, parameters: fm.parameters, seed: 13)
        for sweep in 1...2 { try sampler.sweep(sweep) }
        for r in 0..<sampler.rowCount {
            #expect(sampler.rowWeight[r] == sampler.userScale[Int(sampler.rowUser[r])] * sampler.movieScale[Int(sampler.rowMovie[r])])
        }
        #expect(Set(sampler.rowWeight).count > 10)
        func sums(_ pointers: [Int], _ rows: [Int32]) -> [Double] {
            (0..<(pointers.count - 1)).map { e in (pointers[e]..<pointers[e + 1]).reduce(0) { $0 + sampler.rowWeight[Int(rows[$1])] } }
        }
        for (got, expected) in [(sampler.users.weightSums, sums(sampler.users.pointers, sampler.users.rows)),
                                (sampler.movies.weightSums, sums(sampler.movies.pointers, sampler.movies.rows)),
                                (sampler.days!.weightSums, sums(sampler.days!.pointers, sampler.days!.rows))] {
            #expect(zip(got, expected).allSatisfy { abs($0 - $1) < 1e-12 })
        }
        let other = sampler.rowMovie.map { sampler.movieScale[Int($0)] }, a = 3.0, draws = 4000
        var rng = SeededGenerator(seed: 14), total = [Double](repeating: 0, count: sampler.users.count)
        for _ in 0..<draws {
            var shape = a
            let scales = FMSampler.drawScales(sampler.users, residual: sampler.residual, otherScale: sampler.movieScale,
                                              otherOf: sampler.rowMovie, alpha: sampler.alpha, shape: &shape, rng: &rng)
            for u in scales.indices { total[u] += scales[u] }
        }
        for u in 0..<sampler.users.count {
            let rows = (sampler.users.pointers[u]..<sampler.users.pointers[u + 1]).map { Int(sampler.users.rows[$0]) }
            let shape = a + Double(rows.count) / 2
            let rate = a + sampler.alpha * rows.reduce(0) { $0 + other[$1] * sampler.residual[$1] * sampler.residual[$1] } / 2
            let mean = shape / rate, standardError = mean / (shape * Double(draws)).squareRoot()
            #expect(abs(total[u] / Double(draws) - mean) < 5 * standardError, "user \(u)")
        }
    }

    /// The scales' shape drawn from its grid posterior finds the shape scales were drawn with;
    /// scales all equal put it near the grid's top.
    @Test(arguments: [1.5, 6.0, 25.0])
    func noiseShapeFindsTheScalesShape(truth: Double) {
        var rng = SeededGenerator(seed: 15)
        let scales = (0..<20_000).map { _ in rng.nextGamma(shape: truth) / truth }
        let draws = (0..<20).map { _ in FMSampler.drawShape(scales, rng: &rng) }
        let average = draws.reduce(0, +) / 20
        #expect(abs(average / truth - 1) < 0.1, "\(draws)")
        #expect(FMSampler.drawShape([Double](repeating: 1, count: 10_000), rng: &rng) >= FMSampler.shapeGrid[150])
    }

    /// U with A = UᵀU (k × k, row-major, U upper triangular), column by column.
    static func upperCholesky(_ a: [Double], _ k: Int) -> [Double] {
        var u = [Double](repeating: 0, count: k * k)
        for j in 0..<k {
            for i in 0...j {
                let s = (0..<i).reduce(0.0) { $0 + u[$1 * k + i] * u[$1 * k + j] }
                u[i * k + j] = i == j ? (a[j * k + j] - s).squareRoot() : (a[i * k + j] - s) / u[i * k + i]
            }
        }
        return u
    }

    /// x with A x = b (k × k, row-major) by Gaussian elimination with partial pivoting.
    static func solve(_ a: [Double], _ b: [Double], _ k: Int) -> [Double] {
        var m = a, x = b
        for c in 0..<k {
            let pivot = (c..<k).max { abs(m[$0 * k + c]) < abs(m[$1 * k + c]) }!
            for j in 0..<k { m.swapAt(c * k + j, pivot * k + j) }
            x.swapAt(c, pivot)
            for r in 0..<k where r != c {
                let f = m[r * k + c] / m[c * k + c]
                for j in 0..<k { m[r * k + j] -= f * m[c * k + j] }
                x[r] -= f * x[c]
            }
        }
        return (0..<k).map { x[$0] / m[$0 * k + $0] }
    }
}

extension FMSampler {
    /// `days`, unwrapped: a writable key path's way in (a key path through `days!` is read-only).
    var unwrappedDays: Days {
        get { days! }
        set { days = newValue }
    }
}
