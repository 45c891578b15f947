import Foundation
import HDF5
import LinearAlgebra
import MovieLens

/// A trained model as written by `factorise` (one head) or `combine` (two heads): everything
/// `evaluate`, `publish`, `recommend` and `serve` need, without the training data.
///
/// Format `projector.model`, version 3 (n users, m movies, rank k, K neighbours, t training
/// ratings, e kept entries). A head group `/rating` or `/ranking` (`H` below) holds one trained
/// model; `/rating` is present when the file predicts ratings, `/ranking` when it ranks with a
/// model other than its rating head.
///
/// | path                        | dtype   | shape   | meaning                                                   |
/// |-----------------------------|---------|---------|-----------------------------------------------------------|
/// | `H/user_bias`               | float32 | (n)     | factors: user term (normalisation offset + learned bias)  |
/// | `H/movie_bias`              | float32 | (m)     | factors: movie term                                       |
/// | `H/user_factors`            | float32 | (n, k)  | factors: P                                                |
/// | `H/movie_factors`           | float32 | (m, k)  | factors: Q                                                |
/// | `H/cut_points`              | float32 | (C − 1) | ordinal-factors: κ, strictly ascending (C: the scale's ratings, `(rating_max − rating_min)/rating_step + 1`) |
/// | `H/user_scale`, `H/movie_scale` | float32 | (n), (m) | ordinal-factors: s_u, s_i, each finite and > 0        |
/// | `H/weights`                 | float32 | (m, m)  | item-item (EASE): B, zero diagonal                        |
/// | `H/row_ptr`                 | int64   | (m + 1) | sparse-item-item: row i of B is `column`/`value[row_ptr[i]:row_ptr[i+1]]` |
/// | `H/column`, `H/value`       | int32, float32 | (e) | sparse-item-item: kept entries of B, columns ascending per row |
/// | `H/input_weight`            | float32 | (t)     | optional: each training movie's weight in the user's input row (EASE liked weights; absent: 1) |
/// | `H/fold_in/prior_mean`      | float64 | (k + 1) | factors: fold-in prior mean of (b_u, P_u) (`FoldInState`; attributes `kind` = `factor-prior`, `noise_variance`) |
/// | `H/fold_in/prior_covariance` | float64 | (k + 1, k + 1) | factors: its covariance (symmetric, diagonal > 0)   |
/// | `H/fold_in/rating`, `H/fold_in/input_weight` | float32 | (r) | item-item: each training rating value (ascending) and the input weight it gives (`kind` = `input-rule`) |
/// | `H/fold_in/attribute_group`, `H/fold_in/attribute_value` | string | (a) | factors, optional: each user attribute value the prior knows (group `gender`, `age`, `occupation` or `zip`; the value as `UserAttributes.values` gives it) |
/// | `H/fold_in/attribute_offset` | float64 | (a, k + 1) | factors, optional: the prior mean's shift for a person with that value (`FoldInState.AttributePrior`) |
/// | `H/extras/<name>`           | float64 | (any)   | algorithm extras (`singular_values`, `eigenvalues`)       |
/// | `H/curve/iteration`         | int32   | (c)     | training curve: iteration (or sample)                     |
/// | `H/curve/train_rmse`, `H/curve/test_rmse` | float64 | (c) | RMSE on training / held-out ratings (NaN: none held out) |
/// | `/neighbours/index`         | int32   | (m, K)  | most similar movies, best first; −1 = none                |
/// | `/neighbours/score`         | float32 | (m, K)  | their similarity (`/neighbours` attribute `similarity`: `cosine` of Q, or `ease_weight` B[i, j]) |
/// | `/cold_movies/movie_term`   | float32 | (m)     | optional: the content baseline's movie term t_i (`ColdMovieModel`; attributes `kind` = `content-baseline`, `global_mean`, `user_lambda`, `genre_pseudo_ratings`, `content_lambda`) |
/// | `/train/user_ptr`           | int64   | (n + 1) | user u's training movies are `movie[user_ptr[u]:user_ptr[u+1]]` |
/// | `/train/movie`              | int32   | (t)     | training movies, by user, ascending                       |
/// | `/train/rating`             | float32 | (t)     | their ratings (optional: absent in older files)           |
/// | `/users`, `/movies`         |         |         | ids, titles, years, genres (see `DatasetMetadata`)        |
/// | `/users/gender`, `age`, `occupation`, `zip` |  | (n) | optional: the users' attributes, as in the ratings file (`UserAttributes`), when the source has any |
///
/// Head attributes: `algorithm`, `params` (JSON of every hyper-parameter), `seed`,
/// `normalisation`, `model_kind` (`factors`, `ordinal-factors`, `item-item` or
/// `sparse-item-item`); factors (and ordinal-factors) also `rank` and `global_mean`,
/// sparse-item-item `keep_entries`. The rating head is always factors or ordinal-factors.
///
/// Root attributes: `format` = `projector.model`, `format_version` = 3, `schema_version` = 3,
/// `algorithm` (the heads' algorithms: `bpmf`, `ease`, or `bpmf+ease` for rating + ranking),
/// `neighbours_from` (`rating` or `ranking`: whose movie vectors gave the neighbours), `created_by`,
/// the `DatasetMetadata` attributes; on `/neighbours`: `k` and `similarity` (absent: cosine). Evaluate adds `metric_*` attributes.
/// No timestamp and no timing: the same input, parameters and seed give the same bytes.
///
/// Rating prediction (rating head): `clip(η)` to [`rating_min`, `rating_max`], η = `global_mean +
/// user_bias[u] + movie_bias[i] + user_factors[u] · movie_factors[i]`; ordinal-factors (ordered
/// probit, `OrdinalLink`): the expected rating `rating_min + rating_step · Σ_c Φ(user_scale[u] ·
/// movie_scale[i] · (η − cut_points[c]))`, Φ the standard normal CDF. Ranking (ranking head,
/// else the rating head): factors `movie_bias[i] + user_factors[u] · movie_factors[i]`;
/// ordinal-factors the expected rating; item-item
/// `Σ w_j B[j, i]` over the user's training movies j, w_j = `input_weight` (1 when absent).
///
/// `H/fold_in` is optional: a head without it (version 1 and 2 files; an ordered-probit head)
/// refuses to fold in new users. Version 2 files are version 3 files without it.
///
/// Version 1 files (one model in `/model`, its attributes at the root, the curve in `/curve`) are
/// still read, as a file with one head.
///
/// The reader checks everything it serves from: shapes against n_users/n_movies/rank/k, factors,
/// biases and weights finite, indices in range, every CSR (pointers from 0, never decreasing,
/// ending at its length; columns in range and ascending per row).
public struct ModelFile: Sendable {
    public static let format = "projector.model"
    public static let formatVersion: Int64 = 3
    public static let readableVersions: [Int64] = [1, 2, 3]

    /// Predicts ratings; nil for a ranking-only model (EASE alone).
    public var rating: ModelHead?
    /// Ranks movies; nil when the rating head ranks too.
    public var ranking: ModelHead?
    /// Whose movie vectors gave `neighbours`.
    public var neighboursFrom: ModelHead.Role
    public var metadata: DatasetMetadata
    public var neighbours: Neighbours
    /// Each user's training movies (CSR, sorted): excluded from that user's recommendations.
    public var trainingMovies: SparseRows
    /// The training ratings, aligned with `trainingMovies.columns` (what a user rated highest,
    /// for the web page); nil in files written before they were stored.
    public var trainingRatings: [Float]?
    public var createdBy: String
    /// Stars for movies without training ratings, from their content (`/cold_movies`, format 3);
    /// made when the file is written with its training ratings.
    public var coldMovies: ColdMovieModel?
    /// What the source says of each user (`/users/gender`, `age`, `occupation`, `zip`), when it
    /// says anything: a factor head's fold-in prior is shifted by them (`FoldInState.AttributePrior`).
    public var userAttributes: UserAttributes?
    /// Metrics recorded by `evaluate` (name → value), stored as `metric_<name>` attributes.
    public var metrics: [String: Double]

    /// `metrics` as the store's manifest and the gate read them: nil where not applicable (NaN).
    public var recordedMetrics: [String: Double?] { metrics.mapValues { $0.isFinite ? $0 : nil } }

    /// At least one head; a rating head must predict ratings.
    public init(rating: ModelHead?, ranking: ModelHead?, neighboursFrom: ModelHead.Role, metadata: DatasetMetadata,
                neighbours: Neighbours, trainingMovies: SparseRows, createdBy: String, metrics: [String: Double]) {
        precondition(rating != nil || ranking != nil, "a model file needs a head")
        precondition(rating?.model.predictsRatings ?? true, "a rating head predicts ratings")
        self.rating = rating
        self.ranking = ranking
        self.neighboursFrom = neighboursFrom
        self.metadata = metadata
        self.neighbours = neighbours
        self.trainingMovies = trainingMovies
        self.createdBy = createdBy
        self.metrics = metrics
    }

    /// The head that orders recommendations.
    public var rankingHead: ModelHead { ranking ?? rating! }

    /// The training movies with the ranking head's input weights as values: what it scores.
    public var rankingInput: SparseRows {
        guard let weights = rankingHead.inputWeights else { return trainingMovies }
        var input = trainingMovies
        input.values = weights
        return input
    }

    /// The heads present, by role (a one-model file has one).
    public var heads: [(role: ModelHead.Role, head: ModelHead)] {
        [rating.map { (ModelHead.Role.rating, $0) }, ranking.map { (ModelHead.Role.ranking, $0) }].compactMap { $0 }
    }

    /// `bpmf`, `ease`, or `bpmf+ease` (rating head + ranking head).
    public var algorithm: String { heads.map(\.head.algorithm).joined(separator: "+") }

    /// The clipped rating prediction, or nil for a model that only ranks (EASE alone).
    public func predict(user: Int, movie: Int) -> Float? {
        rating?.model.factors.map { metadata.clip($0.rawPrediction(user: user, movie: movie)) }
    }

    /// Neighbour lists: chunked and deflated (the indices compress well; small either way).
    static let matrixStorage = StorageOptions(chunkRows: 1024, deflateLevel: 4, shuffle: true)
    /// Factor and item-item matrices: contiguous, uncompressed. Float factors barely compress
    /// (ML-1M's dense EASE matrix: 50 MB deflated against 55 MB raw), and deflating them was
    /// most of `factorise`'s time for EASE.
    static let floatMatrixStorage = StorageOptions.contiguous

    public func write(to path: String) throws {
        try writeHDF5Atomically(to: path) { file in
            try file.setAttribute("format", Self.format)
            try file.setAttribute("format_version", Self.formatVersion)
            // Published artifacts are model files; consumers check schema_version (= format_version).
            try file.setAttribute("schema_version", Self.formatVersion)
            try file.setAttribute("algorithm", algorithm)
            try file.setAttribute("neighbours_from", neighboursFrom.rawValue)
            try file.setAttribute("created_by", createdBy)
            for (name, value) in metrics.sorted(by: { $0.key < $1.key }) {
                try file.setAttribute("metric_" + name, value)
            }
            try metadata.write(to: file)
            let attributes = userAttributes.flatMap { $0.fits(users: metadata.userCount) && $0.unknownCount < metadata.userCount ? $0 : nil }
            if let attributes { try attributes.write(to: try file.group("users")) }
            // The derived state (fold-in, the content baseline) is made from the training ratings
            // only when they are well formed (a value built in memory may not be: then none).
            let derivable = trainingRatings?.count == trainingMovies.columns.count
                && trainingMovies.isWellFormed(rows: metadata.userCount, columnCount: metadata.movieCount)
                && metadata.genres.count == metadata.movieCount && metadata.titles.count == metadata.movieCount
                && metadata.years.count == metadata.movieCount
            for (role, head) in heads {
                var head = head
                // Every file written with its training ratings can fold in: the state is made here
                // when the head does not carry it yet (a freshly trained head).
                if head.foldIn == nil, derivable, head.inputWeights.map({ $0.count == trainingMovies.columns.count }) ?? true,
                   head.model.shapeFits(users: metadata.userCount, movies: metadata.movieCount), let trainingRatings {
                    head.foldIn = FoldInState.estimate(head: head, training: trainingMovies, ratings: trainingRatings, attributes: attributes)
                }
                try Self.write(head, to: try file.createGroup(role.rawValue))
            }

            let near = try file.createGroup("neighbours")
            try near.setAttribute("k", Int64(neighbours.k))
            try near.setAttribute("similarity", neighbours.similarity.rawValue)
            try near.write("index", neighbours.index, shape: [metadata.movieCount, neighbours.k], storage: Self.matrixStorage)
            try near.write("score", neighbours.score, shape: [metadata.movieCount, neighbours.k], storage: Self.matrixStorage)

            if let cold = coldMovies ?? (derivable ? trainingRatings.flatMap({ ColdMovieModel.estimate(metadata: metadata, training: trainingMovies, ratings: $0) }) : nil) {
                try cold.write(to: try file.createGroup("cold_movies"))
            }

            let train = try file.createGroup("train")
            try train.write("user_ptr", trainingMovies.pointers.map(Int64.init))
            try train.write("movie", trainingMovies.columns, storage: .compressed)
            if let trainingRatings { try train.write("rating", trainingRatings, storage: .compressed) }
        }
    }

    static func write(_ head: ModelHead, to group: HDF5Group) throws {
        try group.setAttribute("algorithm", head.algorithm)
        try group.setAttribute("params", head.parametersJSON)
        try group.setAttribute("seed", Int64(bitPattern: head.seed))
        try group.setAttribute("normalisation", head.normalisation)
        try group.setAttribute("model_kind", head.model.kind)
        try writeModel(head.model, to: group)
        if let weights = head.inputWeights { try group.write("input_weight", weights, storage: .compressed) }
        if let foldIn = head.foldIn { try foldIn.write(to: try group.createGroup("fold_in")) }
        let extras = try group.createGroup("extras")
        for (name, values) in head.extras.sorted(by: { $0.key < $1.key }) { try extras.write(name, values) }
        let curve = try group.createGroup("curve")
        try curve.write("iteration", head.curve.iteration)
        try curve.write("train_rmse", head.curve.trainRMSE)
        try curve.write("test_rmse", head.curve.testRMSE)
    }

    static func writeModel(_ model: LearnedModel, to group: HDF5Group) throws {
        switch model {
        case .factors(let model):
            try group.setAttribute("rank", Int64(model.rank))
            try group.setAttribute("global_mean", Double(model.globalMean))
            try group.write("user_bias", model.userBias)
            try group.write("movie_bias", model.movieBias)
            try group.write("user_factors", model.userFactors.values, shape: [model.userCount, model.rank], storage: floatMatrixStorage)
            try group.write("movie_factors", model.movieFactors.values, shape: [model.movieCount, model.rank], storage: floatMatrixStorage)
            if let link = model.ordinal {
                try group.write("cut_points", link.cutPoints)
                try group.write("user_scale", link.userScale)
                try group.write("movie_scale", link.movieScale)
            }
        case .itemItem(let model):
            try group.write("weights", model.weights.values, shape: [model.movieCount, model.movieCount], storage: floatMatrixStorage)
        case .sparseItemItem(let model):
            try group.setAttribute("keep_entries", Int64(model.keptPerColumn))
            try group.write("row_ptr", model.rows.pointers.map(Int64.init))
            try group.write("column", model.rows.columns, storage: .compressed)
            try group.write("value", model.rows.values, storage: .compressed)
        }
    }

    public static func read(_ path: String) throws -> ModelFile {
        let file = try HDF5File.open(path, format: format, versions: readableVersions)
        let version = try file.attribute("format_version", as: Int64.self)
        let check = ContentCheck(file: path)
        let metadata = try DatasetMetadata(from: file)
        let m = metadata.movieCount
        var rating: ModelHead? = nil, ranking: ModelHead? = nil
        let neighboursFrom: ModelHead.Role
        if version == 1 {
            // One model: in /model, its attributes at the root, its curve in /curve.
            let kind = file.hasAttribute("model_kind") ? try file.stringAttribute("model_kind") : ModelKind.factors.rawValue
            guard [ModelKind.factors, .itemItem].map(\.rawValue).contains(kind) else {
                throw ModelsError.badFile(path, "unknown model_kind '\(kind)' for a version-1 file (factors or item-item)")
            }
            let model = try readModel(kind: kind, from: try file.group("model"), rankFrom: file, at: "/model", metadata: metadata, check: check)
            var extras: [String: [Double]] = [:]
            for name in try file.group("model").attributeNames() where name != "global_mean" {
                extras[name] = try file.group("model").attributeArray(name, as: Double.self)
            }
            let head = ModelHead(
                algorithm: try file.stringAttribute("algorithm"), parametersJSON: try file.stringAttribute("params"),
                seed: UInt64(bitPattern: try file.attribute("seed", as: Int64.self)),
                normalisation: try file.stringAttribute("normalisation"), model: model, extras: extras,
                curve: try readCurve(try file.group("curve")))
            if model.predictsRatings { rating = head } else { ranking = head }
            neighboursFrom = model.predictsRatings ? .rating : .ranking
        } else {
            for role in ModelHead.Role.allCases where file.contains(role.rawValue) {
                let head = try readHead(try file.group(role.rawValue), at: "/" + role.rawValue, metadata: metadata, check: check)
                if role == .rating {
                    guard head.model.predictsRatings else {
                        throw ModelsError.badFile(path, "/rating: model_kind '\(head.model.kind)' predicts no ratings (a rating head is factors or ordinal-factors)")
                    }
                    rating = head
                } else {
                    ranking = head
                }
            }
            guard rating != nil || ranking != nil else {
                throw ModelsError.badFile(path, "has neither a /rating nor a /ranking head")
            }
            let from = try file.stringAttribute("neighbours_from")
            guard let role = ModelHead.Role(rawValue: from), role == .rating ? rating != nil : ranking != nil else {
                throw ModelsError.badFile(path, "attribute 'neighbours_from' is '\(from)': it must name a head the file has (\(rating != nil ? "rating" : "")\(rating != nil && ranking != nil ? " or " : "")\(ranking != nil ? "ranking" : ""))")
            }
            neighboursFrom = role
        }

        let near = try file.group("neighbours")
        let k = try near.count("k", in: 0...Int64(max(0, m - 1)))
        let similarityName = near.hasAttribute("similarity") ? try near.stringAttribute("similarity") : Neighbours.Similarity.cosine.rawValue
        guard let similarity = Neighbours.Similarity(rawValue: similarityName) else {
            throw ModelsError.badFile(path, "/neighbours attribute 'similarity' is '\(similarityName)': expected cosine or ease_weight")
        }
        let neighbours = Neighbours(index: try near.read("index", shape: [m, k], why: "n_movies × k"),
                                    score: try near.read("score", shape: [m, k], why: "n_movies × k"), k: k, similarity: similarity)
        try check.indices(neighbours.index, below: m, "/neighbours/index", why: "n_movies; -1 for none", allowMinusOne: true)
        try check.finite(neighbours.score, "/neighbours/score")
        let training = try readRows(try file.group("train"), pointers: "user_ptr", columns: "movie", rows: metadata.userCount,
                                    columnCount: m, at: "/train", what: "user index", whose: "training movies", why: "n_users + 1", check: check)
        for (role, head) in [(ModelHead.Role.rating, rating), (.ranking, ranking)] {
            guard let weights = head?.inputWeights else { continue }
            guard weights.count == training.columns.count else {
                throw check.fail("/\(role.rawValue)/input_weight", "has \(weights.count) values; it must have one per training movie (\(training.columns.count), /train/movie's length)")
            }
        }
        var trainingRatings: [Float]? = nil
        let train = try file.group("train")
        if train.contains("rating") {
            let ratings: [Float] = try train.read("rating", shape: [training.columns.count], why: "/train/movie's length")
            if let position = ratings.firstIndex(where: { !metadata.scale.contains($0) }) {
                throw check.fail("/train/rating", "position \(position): \(metadata.scale.problem(with: ratings[position])!)")
            }
            trainingRatings = ratings
        }
        var metrics: [String: Double] = [:]
        for name in try file.attributeNames() where name.hasPrefix("metric_") {
            metrics[String(name.dropFirst(7))] = try file.attribute(name, as: Double.self)
        }
        var result = ModelFile(rating: rating, ranking: ranking, neighboursFrom: neighboursFrom, metadata: metadata,
                               neighbours: neighbours, trainingMovies: training,
                               createdBy: try file.stringAttribute("created_by"), metrics: metrics)
        result.trainingRatings = trainingRatings
        let attributeNames = ["gender", "age", "occupation", "zip"].filter { file.contains("users/" + $0) }
        if attributeNames.count == 4 {
            result.userAttributes = try UserAttributes.read(from: file, count: metadata.userCount)
        } else if !attributeNames.isEmpty {
            throw check.fail("/users", "holds \(attributeNames.joined(separator: ", ")) without the rest of gender, age, occupation, zip")
        }
        if file.contains("cold_movies") {
            result.coldMovies = try ColdMovieModel.read(try file.group("cold_movies"), genres: result.metadata.genres, check: check)
        }
        return result
    }

    static func readHead(_ group: HDF5Group, at location: String, metadata: DatasetMetadata, check: ContentCheck) throws -> ModelHead {
        let model = try readModel(kind: try group.stringAttribute("model_kind"), from: group, rankFrom: group, at: location,
                                  metadata: metadata, check: check)
        var extras: [String: [Double]] = [:]
        let extrasGroup = try group.group("extras")
        for name in try extrasGroup.childNames() {
            let values: [Double] = try extrasGroup.read(name)
            extras[name] = values
        }
        var inputWeights: [Float]? = nil
        if group.contains("input_weight") {
            let count = try group.dataset("input_weight").shape.first ?? 0
            let weights: [Float] = try group.read("input_weight", shape: [count], why: "one per training movie")
            try check.finite(weights, location + "/input_weight")
            inputWeights = weights
        }
        let foldIn = group.contains("fold_in")
            ? try FoldInState.read(try group.group("fold_in"), at: location + "/fold_in", model: model, scale: metadata.scale, check: check) : nil
        return ModelHead(
            algorithm: try group.stringAttribute("algorithm"), parametersJSON: try group.stringAttribute("params"),
            seed: UInt64(bitPattern: try group.attribute("seed", as: Int64.self)),
            normalisation: try group.stringAttribute("normalisation"), model: model, extras: extras,
            curve: try readCurve(try group.group("curve")), inputWeights: inputWeights, foldIn: foldIn)
    }

    /// The learned state of one model: `kind` decides the datasets read from `group`.
    static func readModel(kind: String, from group: HDF5Group, rankFrom rankHolder: HDF5Group, at location: String,
                          metadata: DatasetMetadata, check: ContentCheck) throws -> LearnedModel {
        let n = metadata.userCount, m = metadata.movieCount
        switch ModelKind(rawValue: kind) {
        case .factors?, .ordinalFactors?:
            let rank = try rankHolder.count("rank", in: 1...Int64(FactorModel.maximumRank))
            let globalMean = try group.attribute("global_mean", as: Double.self)
            guard globalMean.isFinite else { throw check.fail("\(location) attribute 'global_mean'", "is \(globalMean): it must be finite") }
            let factors = FactorModel(
                globalMean: Float(globalMean),
                userBias: try group.read("user_bias", shape: [n], why: "n_users"),
                movieBias: try group.read("movie_bias", shape: [m], why: "n_movies"),
                userFactors: Matrix(rows: n, columns: rank, values: try group.read("user_factors", shape: [n, rank], why: "n_users × rank")),
                movieFactors: Matrix(rows: m, columns: rank, values: try group.read("movie_factors", shape: [m, rank], why: "n_movies × rank")))
            try check.finite(factors.userBias, location + "/user_bias")
            try check.finite(factors.movieBias, location + "/movie_bias")
            try check.finite(factors.userFactors.values, location + "/user_factors")
            try check.finite(factors.movieFactors.values, location + "/movie_factors")
            guard kind == ModelKind.ordinalFactors.rawValue else { return .factors(factors) }
            var ordinal = factors
            ordinal.ordinal = try readOrdinalLink(from: group, at: location, metadata: metadata, check: check)
            return .factors(ordinal)
        case .itemItem?:
            let weights: [Float] = try group.read("weights", shape: [m, m], why: "n_movies × n_movies")
            try check.finite(weights, location + "/weights")
            return .itemItem(ItemItemModel(weights: Matrix(rows: m, columns: m, values: weights)))
        case .sparseItemItem?:
            let keep = try group.count("keep_entries", in: 0...Int64(m))
            var rows = try readRows(group, pointers: "row_ptr", columns: "column", rows: m, columnCount: m, at: location,
                                    what: "row", whose: "columns", why: "n_movies + 1", check: check)
            let values: [Float] = try group.read("value", shape: [rows.columns.count], why: "\(location)/column's length")
            try check.finite(values, location + "/value")
            rows.values = values
            return .sparseItemItem(SparseItemItemModel(rows: rows, keptPerColumn: keep))
        default:
            throw ModelsError.badFile(check.file, "\(location): unknown model_kind '\(kind)' (this program reads factors, ordinal-factors, item-item and sparse-item-item)")
        }
    }

    /// An ordinal-factors head's link: as many cut-points as the scale has steps, finite and
    /// strictly ascending; one finite, positive scale per user and per movie.
    static func readOrdinalLink(from group: HDF5Group, at location: String, metadata: DatasetMetadata,
                                check: ContentCheck) throws -> OrdinalLink {
        let scale = metadata.scale
        guard let levels = scale.levels else {
            throw check.fail("\(location) attribute 'model_kind'", "is ordinal-factors, which needs a scale of 2 to 1,001 ratings in whole steps, but the file's is \(scale) in steps of \(scale.step)")
        }
        let cuts: [Float] = try group.read("cut_points", shape: [levels - 1], why: "the scale's ratings − 1")
        try check.finite(cuts, location + "/cut_points")
        try check.strictlyIncreasing(cuts, location + "/cut_points", what: "cut-points")
        let users: [Float] = try group.read("user_scale", shape: [metadata.userCount], why: "n_users")
        let movies: [Float] = try group.read("movie_scale", shape: [metadata.movieCount], why: "n_movies")
        for (name, values) in [("user_scale", users), ("movie_scale", movies)] {
            try check.finite(values, location + "/" + name)
            if let position = values.firstIndex(where: { !($0 > 0) }) {
                throw check.fail(location + "/" + name, "position \(position): \(values[position]) is not above 0")
            }
        }
        return OrdinalLink(cutPoints: cuts, userScale: users, movieScale: movies, minimum: scale.minimum, step: scale.step)
    }

    /// A CSR of column indices (values set to 1): pointers checked, columns in range and ascending per row.
    static func readRows(_ group: HDF5Group, pointers name: String, columns columnsName: String, rows: Int, columnCount: Int,
                         at location: String, what: String, whose: String, why: String, check: ContentCheck) throws -> SparseRows {
        let pointers: [Int64] = try group.read(name, shape: [rows + 1], why: why)
        let count = try group.dataset(columnsName).shape.first ?? 0
        try check.pointers(pointers, rows: rows, count: count, "\(location)/\(name)")
        let columns: [Int32] = try group.read(columnsName, shape: [count], why: "\(location)/\(name)'s last entry")
        try check.indices(columns, below: columnCount, "\(location)/\(columnsName)", why: "n_movies")
        for row in 0..<rows {
            let run = Int(pointers[row])..<Int(pointers[row + 1])
            if let position = run.dropFirst().first(where: { columns[$0 - 1] >= columns[$0] }) {
                throw check.fail("\(location)/\(columnsName)", "position \(position): \(what) \(row)'s \(whose) must be ascending without repeats")
            }
        }
        var result = SparseRows(rows: 0, rowOf: [], columnOf: [], values: [])
        result.pointers = pointers.map(Int.init)
        result.columns = columns
        result.values = [Float](repeating: 1, count: columns.count)
        return result
    }

    static func readCurve(_ group: HDF5Group) throws -> TrainingCurve {
        var curve = TrainingCurve()
        let points = try group.dataset("iteration").shape.first ?? 0
        curve.iteration = try group.read("iteration", shape: [points], why: "the curve's iteration length")
        curve.trainRMSE = try group.read("train_rmse", shape: [points], why: "the curve's iteration length")
        curve.testRMSE = try group.read("test_rmse", shape: [points], why: "the curve's iteration length")
        return curve
    }
}
