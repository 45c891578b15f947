import Essentials
import Foundation
import LinearAlgebra
import ModelFormat

/// A Bayesian factorisation machine with "SVD++ flipped" relation blocks, fitted by Gibbs
/// sampling (Rendle 2013, "Scaling factorization machines to relational data"; Rendle, Zhang &
/// Koren 2019 for the features; the sampler of libFM's MCMC and myFM).
///
/// Each training rating (u, i) is a row of the FM whose features come from two blocks:
///
/// - the user block of u: the user's id (x = 1) and the movies u rated in training, each with
///   x = 1/√n_u (n_u: u's training ratings);
/// - the movie block of i: the movie's id (x = 1) and the users who rated i in training, each
///   with x = 1/√m_i.
///
/// The model is the second-order FM over those features,
///
///     ŷ = w₀ + Σ_f w_f x_f + Σ_{f < g} ⟨v_f, v_g⟩ x_f x_g,    y ~ N(m + ŷ, 1/(α τ_u σ_i))
///
/// with m the training values' mean and τ_u, σ_i the rating's noise scales (`noise`, below). Every feature group (user ids, users' implicit movies, movie
/// ids, movies' implicit users) has its own priors w_f ~ N(μ_w, 1/λ_w) and v_fk ~ N(μ_k, 1/λ_k),
/// with libFM's hyper-priors μ ~ N(0, 1/λ), λ ~ Gamma (α_λ = β_λ = γ₀ = 1: the posterior is
/// Gamma((1 + n + 1)/2, (1 + Σ(θ − μ)² + μ²)/2)); the noise precision α has BPMF's posterior
/// Gamma(1 + N/2, 1 + SSE/2) (libFM's: Gamma((1 + N)/2, (1 + SSE)/2); at N = 900,000 the same).
///
/// **Noise per user and per movie** (`noise`, default `both`). Some users rate consistently,
/// others erratically; some movies divide opinion. Each user's ratings get a precision scale
/// τ_u ~ Gamma(a_u, a_u) (mean 1) and each movie's σ_i ~ Gamma(a_i, a_i), so rating r has noise
/// precision α w_r, w_r = τ_u σ_i (a heteroscedastic Gaussian: a scale mixture, as in
/// Lakshminarayanan, Bouchard & Archambeau 2011, "Robust Bayesian matrix factorisation"). Given
/// the rest, τ_u ~ Gamma(a_u + n_u/2, a_u + α Σ_r σ_i e_r²/2) (likewise σ_i), and each shape a
/// is drawn from its posterior on a grid of 161 log-spaced values in [0.1, 1000] (uniform prior
/// over the grid; ML-1M settles near a_u ≈ 6, a_i ≈ 16). Every other conditional is the
/// Gaussian one with each row's terms weighted by w_r (SSE = Σ w_r e_r², and the block sums
/// below are Σ w …). The stored model and its predictions do not change form: the weights only
/// decide how much each rating counts while fitting. ML-1M: 0.8209 → 0.8178 held-out RMSE;
/// ML-100K u1, rank 8: 0.8902 → 0.8865 (`gaussian`: one variance for every rating).
///
/// **Ordered probit** (`likelihood` ordinal, off by default): each rating's class is where a
/// latent z ~ N(η, 1/(α w_r)) falls among cut-points, the FM fitting z; the cut-points and the
/// latent values are drawn at the start of each sweep (`FMSampler.Ordinal`), and the stored
/// model carries a link (`OrdinalLink`: model kind `ordinal-factors`) and predicts the expected
/// rating. ML-1M 0.8188 against 0.8178 by Gaussian regression; with one noise variance 0.8198
/// against 0.8209.
///
/// **Sampling.** Each sweep draws the noise scales and their shapes (users', then movies'), α,
/// the hyper-parameters, w₀, every w_f, then the factors one
/// block kind at a time — every user block's factors, then every movie block's (then the days')
/// — each entity's id vector jointly (all rank dimensions from its multivariate Gaussian
/// conditional, entities in parallel: `FMSampler.IDDraws`), the shared features' v_fk one
/// coordinate at a time, each from its Gaussian conditional (the days' too: each day is alone
/// in its block, one coordinate at a time). Within a block,
/// the rows see a feature only through the block's sums, so the conditionals need per-user (or
/// per-movie) sums of the residual e and of the row's other blocks' factor R over the entity's
/// ratings, not the rows: for a feature f of user blocks, with a = A_u − v_fk x_f (A_u the block's
/// sum Σ v_gk x_g),
///
///     Σ_rows h² = Σ_{u ∋ f} x_f² (n_u a² + 2 a ΣR + ΣR²),   Σ_rows h e = Σ_{u ∋ f} x_f (a Σe + ΣRe)
///
/// (with noise weights every sum over rows is weighted by w_r, n_u becoming Σ_r w_r)
/// and after a draw the users' sums are updated in closed form. While one kind is drawn the
/// others are fixed, so one parallel pass per kind gathers each entity's ΣR Rᵀ (a `syrk`),
/// ΣR, Σe R and Σe for every dimension at once, and the later dimensions' sums follow each
/// dimension's draws in closed form (`FMSampler.Statistics`); the residuals move once per kind.
/// The draws themselves are sequential by nature; they run on two threads in lockstep, each
/// summing and updating half of the entities (`FMSampler.drawSide`, `Lockstep`), with the same
/// bytes as on one. One sweep costs O(rank × ratings + rank² × ratings) — ML-1M, rank 32:
/// 0.24 s on 2 cores (0.31 s with a pass over the ratings per dimension and the draws on one).
///
///     let fm = try BayesianFM.make(["rank": 32, "samples": 400, "keep": 400, "stored_rank": 256])
///     let trained = try fm.fit(trainingSet)     // ML-1M: held-out RMSE 0.8178, about 2¼ minutes
///
/// **The stored model.** A sample's prediction is `w₀ + b_u + c_i + ⟨P_u, Q_i⟩` with the user
/// block folded into P_u = A_u and b_u = W_u + ½ Σ_k (A_uk² − Σ_f v_fk² x_f²) (the block's
/// first-order sum and its own pairwise terms), likewise Q_i and c_i — so predicting needs no
/// training data. The stored model is the average of `keep` samples, evenly spaced after
/// burn-in: the biases exactly, the interaction (1/keep) Σ_s P_s Q_sᵀ through a one-pass sketch
/// compressed to `stored_rank` (see `Average`). Each kept sample is Rao–Blackwellised: the
/// sweep's state when the users' ids were drawn, with those ids at their conditional means
/// (`FMSampler.MeanIDs`) — the same posterior mean, typically less Monte Carlo noise. The curve is the
/// exact average's; the stored model's held-out RMSE is the extra `stored_test_rmse`, what
/// evaluate measures.
public struct BayesianFM: Algorithm {
    public static let name = "bayesian-fm"
    public static let summary = "Bayesian factorisation machine with implicit-feedback blocks (SVD++ flipped), Gibbs-sampled"
    public static let rank = Parameter.integer("rank", default: 32, minimum: 1, maximum: 10_000, help: "latent factors")
    public static let samples = GibbsChain.samples(default: 400)
    public static let keep = GibbsChain.keep(default: 400)
    public static let storedRank = Parameter.integer("stored_rank", default: 256, minimum: 1, maximum: 10_000, help: "rank of the stored model: the kept samples' average, compressed by a one-pass sketch")
    public static let implicit = Parameter.choice("implicit", default: "both", ["both", "users", "movies", "none"], help: "implicit blocks: which sides' blocks hold the partners rated (x = 1/√n)")
    public static let movieAttributes = Parameter.choice("movie_attributes", default: "none", ["none", "genres", "year", "both"], help: "movie blocks also hold the movie's genres (x = 1/√genres) and/or release year")
    public static let userAttributes = Parameter.choice("user_attributes", default: "all", ["none", "all", "gender", "age", "occupation", "zip"], help: "user blocks also hold the user's gender, age group, occupation and/or zip region (ml-1m, ml-100k), x = 1 each")
    public static let time = Parameter.choice("time", default: "none", ["none", "day"], help: "day: each rating's day (UTC) as a feature; the stored model predicts a new day as the user's average training day")
    public static let noise = Parameter.choice("noise", default: "both", ["both", "users", "movies", "gaussian"], help: "rating noise: a precision scale per user and/or per movie (Gamma priors, shapes drawn too), or one variance for every rating")
    public static let likelihood = Parameter.choice("likelihood", default: "gaussian", ["gaussian", "ordinal"], help: "gaussian: regression on the ratings; ordinal: ordered probit (cut-points between the scale's ratings, predicting the expected rating; needs normalisation none)")
    public static let parameters = [rank, samples, GibbsChain.burnIn, keep, storedRank, GibbsChain.initScale, implicit, movieAttributes, userAttributes, time, noise, likelihood]

    public struct Parameters: Sendable, Equatable {
        public var rank: Int
        public var chain: GibbsChain
        /// The feature groups of the user blocks and of the movie blocks, besides the ids.
        var userGroups: [FMSampler.GroupKind], movieGroups: [FMSampler.GroupKind]
        /// Whether each row also holds its day's feature.
        var days: Bool
        /// The rows' noise model.
        var noise: FMSampler.Noise
        /// Ordered probit instead of Gaussian regression on the ratings.
        var ordinal: Bool
        /// The stored model's rank (the averaged samples compressed).
        var storedRank: Int
    }

    public let values: ParameterValues
    public let parameters: Parameters

    public init(_ values: ParameterValues) throws {
        self.values = values
        let rank = values.integer(Self.rank), implicit = values.text(Self.implicit), attributes = values.text(Self.movieAttributes)
        let users = values.text(Self.userAttributes)
        func implicitGroup(_ side: String) -> [FMSampler.GroupKind] { implicit == "both" || implicit == side ? [.implicit] : [] }
        let movieAttributeGroups: [FMSampler.GroupKind] = (["genres", "both"].contains(attributes) ? [.genres] : [])
            + (["year", "both"].contains(attributes) ? [.year] : [])
        let userChoices: [(name: String, kind: FMSampler.GroupKind)] = [("gender", .gender), ("age", .age), ("occupation", .occupation), ("zip", .zip)]
        let userAttributeGroups = userChoices.filter { users == "all" || users == $0.name }.map(\.kind)
        parameters = Parameters(
            rank: rank, chain: try GibbsChain(values, samples: Self.samples, keep: Self.keep, algorithm: Self.name, sideBySideRank: nil),
            userGroups: implicitGroup("users") + userAttributeGroups, movieGroups: implicitGroup("movies") + movieAttributeGroups,
            days: values.text(Self.time) == "day",
            noise: FMSampler.Noise(users: ["both", "users"].contains(values.text(Self.noise)), movies: ["both", "movies"].contains(values.text(Self.noise))),
            ordinal: values.text(Self.likelihood) == "ordinal",
            storedRank: values.integer(Self.storedRank))
    }

    /// The most memory the stored model's sketch may take (its four matrices, held through the
    /// chain), and the sampler's statistics of one side.
    static let sketchBudgetBytes = 2 << 30

    public func validate(for data: TrainingSet) throws {
        try validateRank(parameters.rank, for: data)
        let sketch = StreamingSketch.Shape(rows: data.userCount, columns: data.movieCount, rank: parameters.storedRank)
        guard sketch.heldBytes <= Self.sketchBudgetBytes else {
            throw ModelsError.badParameter("\(name): stored_rank \(parameters.storedRank) needs \(sketch.heldBytes >> 20) MB of sketch for \(data.userCount) users × \(data.movieCount) movies, above \(Self.sketchBudgetBytes >> 20) MB: lower stored_rank")
        }
        // The draws' statistics, per entity of the largest kind, O(rank²) each (FMSampler.Statistics).
        let days = parameters.days ? Set(data.trainTimestamp.map(FMSampler.Days.number(ofTimestamp:))).count : 0
        let statistics = FMSampler.Statistics.bytes(entities: max(data.userCount, data.movieCount, days), k: parameters.rank)
        guard statistics <= Self.sketchBudgetBytes else {
            let daysText = parameters.days ? " × \(days) days" : ""
            throw ModelsError.badParameter("\(name): rank \(parameters.rank) needs \(statistics >> 20) MB of sampler statistics for \(data.userCount) users × \(data.movieCount) movies\(daysText), above \(Self.sketchBudgetBytes >> 20) MB: lower rank")
        }
        guard data.trainTimestamp.count == data.trainUser.count, data.testTimestamp.count == data.testUser.count,
              data.userAttributes.fits(users: data.userCount) else {
            throw ModelsError.badParameter("\(name): the training set's timestamps or users' attributes do not match its ratings and users")
        }
        if parameters.ordinal {
            guard data.terms.method == .none else {
                throw ModelsError.badParameter("\(name): likelihood 'ordinal' fits the ratings themselves, but this training set is normalised '\(data.terms.method.rawValue)': normalise with --method none")
            }
            let scale = data.metadata.scale
            // Two fixed cut-points pin the latent's location and scale: at least three ratings.
            guard let levels = scale.levels, levels >= 3 else {
                throw ModelsError.badParameter("\(name): likelihood 'ordinal' needs a scale of 3 to 1,001 ratings in whole steps; this data's is \(scale) in steps of \(scale.step)")
            }
        }
        if parameters.days, let first = data.trainTimestamp.first {
            let day = FMSampler.Days.number(ofTimestamp: first)
            guard data.trainTimestamp.contains(where: { FMSampler.Days.number(ofTimestamp: $0) != day }) else {
                throw ModelsError.badParameter("\(name): time 'day' needs ratings on more than one day, but every training rating is on one (a source without timestamps, or a version-1 normalised file: re-run normalise)")
            }
        }
    }

    public func fit(_ data: TrainingSet, progress: (TrainingProgress) -> Void) throws -> TrainedModel {
        try validate(for: data)
        var sampler = FMSampler(data: data, parameters: parameters, seed: seed)
        let total = parameters.chain.sweeps
        let keepAt = parameters.chain.keptSweeps
        var average = Average(rank: parameters.rank, slots: parameters.chain.keep, storedRank: parameters.storedRank,
                              users: data.userCount, movies: data.movieCount, seed: seed)
        // With days: held-out ratings also predicted with their own day's terms (−1: not a training day).
        let testDays = sampler.days?.indices(of: data.testTimestamp)
        var sumOwnDay = [Double](repeating: 0, count: testDays == nil ? 0 : data.testRating.count)
        var sumTrain = [Double](repeating: 0, count: data.trainRating.count)
        var sumTest = [Double](repeating: 0, count: data.testRating.count)
        // Without days a sample's prediction of training row r is its raw value (normalisation
        // terms + normalised value) minus the sampler's residual: the curve's train RMSE needs no
        // prediction pass. With days the stored model predicts the user's average day, not the
        // row's own: predicted like the held-out rows.
        // Under ordered probit a prediction is the expected rating, not value − residual: predicted too.
        let trainTargets: [Double]? = sampler.days != nil || sampler.ordinal != nil ? nil : data.trainUser.indices.map { r in
            Double(data.terms.base(user: Int(data.trainUser[r]), movie: Int(data.trainMovie[r]))) + Double(data.trainValue[r])
        }
        var curve = TrainingCurve()
        var point: (train: Double, test: Double) = (.nan, .nan)
        try Parallel.withBLASThreads(1) {
            for sweep in 1...total {
                sampler.recordMeans = keepAt.contains(sweep)
                try sampler.sweep(sweep)
                if keepAt.contains(sweep) {
                    // Into the stored model's sketch as it is drawn (no copy of every kept sample):
                    // the sweep's sample with the users' ids at their conditional means.
                    let state = sampler.meanSnapshot!
                    let sample = sampler.sample(of: state)
                    let model = average.model(of: sample, data: data)
                    average.add(sample, factors: model)
                    if let trainTargets {
                        for r in sumTrain.indices { sumTrain[r] += trainTargets[r] - sampler.meanResidual[r] }
                    } else {
                        model.addRawPredictions(users: data.trainUser, movies: data.trainMovie, into: &sumTrain)
                    }
                    model.addRawPredictions(users: data.testUser, movies: data.testMovie, into: &sumTest)
                    if let testDays {
                        // The sampler fits normalised values: the normalisation terms go back on.
                        let own = sampler.ownDayPredictions(state, users: data.testUser, movies: data.testMovie, dayRows: testDays)
                        for index in own.indices {
                            let user = Int(data.testUser[index]), movie = Int(data.testMovie[index])
                            let eta = own[index] + Double(data.terms.base(user: user, movie: movie))
                            sumOwnDay[index] += model.ordinal.map { Double($0.expected(Float(eta), user: user, movie: movie)) } ?? eta
                        }
                    }
                    point = (data.averagedRMSE(sumTrain, count: average.added, ratings: data.trainRating),
                             data.averagedRMSE(sumTest, count: average.added, ratings: data.testRating))
                } else if average.added == 0 {
                    let model = average.model(of: sampler.sample(), data: data)
                    let train = trainTargets.map { targets in
                        data.averagedRMSE(targets.indices.map { targets[$0] - sampler.residual[$0] }, count: 1, ratings: data.trainRating)
                    }
                    point = (train ?? rmse(model, users: data.trainUser, movies: data.trainMovie, ratings: data.trainRating, scale: data.metadata),
                             rmse(model, users: data.testUser, movies: data.testMovie, ratings: data.testRating, scale: data.metadata))
                }
                curve.append(iteration: sweep, train: point.train, test: point.test)
                progress(TrainingProgress(iteration: sweep, of: total, trainRMSE: point.train, testRMSE: point.test))
            }
        }
        var extras = ["noise_precision": [sampler.alpha], "kept_samples": [Double(average.added)]]
        // The last sweep's shapes of the noise scales' priors (small: precisions vary a lot between entities).
        if parameters.noise.users { extras["noise_shape_users"] = [sampler.userShape] }
        if parameters.noise.movies { extras["noise_shape_movies"] = [sampler.movieShape] }
        if let ordinal = sampler.ordinal, ordinal.proposed > 0 {
            // The share of the cut-points' Metropolis–Hastings steps accepted after burn-in (about
            // ¼ is a well-tuned walk); none without inner cut-points (three ratings).
            extras["cut_point_acceptance"] = [Double(ordinal.accepted) / Double(ordinal.proposed)]
        }
        if let testDays {
            // The literature's protocol (each held-out rating on its own day): not what is served.
            extras["test_rmse_own_day"] = [data.averagedRMSE(sumOwnDay, count: average.added, ratings: data.testRating)]
            extras["training_days"] = [Double(sampler.days!.count)]
            extras["held_out_on_training_days"] = [Double(testDays.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) })]
        }
        let stored = try Parallel.withBLASThreads(1) { try average.model(data: data) }
        // The curve's last point is the samples' exact average; the stored model is it compressed.
        extras["stored_test_rmse"] = [data.curvePoint(stored).test]
        return TrainedModel(model: .factors(stored), curve: curve, extras: extras)
    }

    /// The stored model being built: the kept samples' average, its interaction part
    /// (1/slots) Σ_s P_s Q_sᵀ streamed into a one-pass sketch (`StreamingSketch`) as each sample
    /// is drawn — never a users × movies matrix, never the samples themselves — and compressed to
    /// `storedRank` at the end; biases and global terms averaged exactly. ML-1M (the chain before
    /// the joint id draws): the 400 samples' exact average (12,800 columns) scores 0.82108, its
    /// rank-256 truncation 0.82110.
    struct Average {
        let rank: Int, slots: Int
        var sketch: StreamingSketch
        var userBias: [Double], movieBias: [Double]
        var global = 0.0
        var added = 0
        /// Under ordered probit, the kept samples' cut-points and scales summed (`FMSampler.Sample.link`).
        var link: FMSampler.Link?

        init(rank: Int, slots: Int, storedRank: Int, users: Int, movies: Int, seed: UInt64) {
            (self.rank, self.slots) = (rank, slots)
            sketch = StreamingSketch(rows: users, columns: movies, rank: storedRank, seed: seed ^ 0x5EED_5EED)
            userBias = [Double](repeating: 0, count: users)
            movieBias = [Double](repeating: 0, count: movies)
        }

        /// Sample factors (dimension-major, f[d * rows + row]) as a rows × rank matrix.
        func matrix(_ factors: [Double], rows: Int) -> Matrix {
            var m = Matrix(rows: rows, columns: rank)
            for row in 0..<rows { for d in 0..<rank { m.values[row * rank + d] = Float(factors[d * rows + row]) } }
            return m
        }

        /// Adds a sample; `factors` is `model(of: sample)`, whose factor matrices go into the sketch.
        mutating func add(_ sample: FMSampler.Sample, factors: FactorModel) {
            precondition(added < slots)
            // On the fit's one BLAS thread, like the whole model: its bytes do not depend on the cores.
            sketch.add(left: factors.userFactors, right: factors.movieFactors, scale: 1 / Float(slots))
            for u in userBias.indices { userBias[u] += sample.userBias[u] }
            for m in movieBias.indices { movieBias[m] += sample.movieBias[m] }
            global += sample.global
            if let sampleLink = sample.link {
                if link == nil { link = sampleLink } else { link!.add(sampleLink) }
            }
            added += 1
        }

        /// The finished model (every slot filled).
        func model(data: TrainingSet) throws -> FactorModel {
            precondition(added == slots)
            let n = Double(added)
            let (p, q) = try sketch.factors()
            var model = data.factorModel(userFactors: p, movieFactors: q,
                                         userBias: userBias.map { Float($0 / n) }, movieBias: movieBias.map { Float($0 / n) })
            model.globalMean += Float(global / n)
            // Ordered probit: the link of the averaged cut-points and squared scales (the latent
            // noise's average precisions), applied to the averaged η.
            model.ordinal = link.map { sums in
                FMSampler.Link(cuts: sums.cuts.map { $0 / n }, userScale: sums.userScale.map { $0 / n },
                               movieScale: sums.movieScale.map { $0 / n }).model(scale: data.metadata.scale)
            }
            return model
        }

        /// One sample on its own, as a model (the training curve's predictions).
        func model(of sample: FMSampler.Sample, data: TrainingSet) -> FactorModel {
            var model = data.factorModel(
                userFactors: matrix(sample.userFactors, rows: data.userCount), movieFactors: matrix(sample.movieFactors, rows: data.movieCount),
                userBias: sample.userBias.map { Float($0) }, movieBias: sample.movieBias.map { Float($0) })
            model.globalMean += Float(sample.global)
            model.ordinal = sample.link?.model(scale: data.metadata.scale)
            return model
        }
    }
}
