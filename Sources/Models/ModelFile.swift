import Foundation
import HDF5
import LinearAlgebra

/// A trained model as written by `factorise`: everything `evaluate`, `publish` and `recommend`
/// need, without the training data.
///
/// Format `projector.model`, version 1 (n users, m movies, rank k, K neighbours, t training ratings):
///
/// | path                   | dtype   | shape    | meaning                                                   |
/// |------------------------|---------|----------|-----------------------------------------------------------|
/// | `/model/weights`       | float32 | (m, m)   | EASE only (`model_kind` = item-item): B, zero diagonal    |
/// | `/model/user_bias`     | float32 | (n)      | user term (normalisation offset + learned bias)           |
/// | `/model/movie_bias`    | float32 | (m)      | movie term                                                |
/// | `/model/user_factors`  | float32 | (n, k)   | P                                                         |
/// | `/model/movie_factors` | float32 | (m, k)   | Q, also the movie vectors for cosine similarity           |
/// | `/neighbours/index`    | int32   | (m, K)   | most similar movies, best first; −1 = none                |
/// | `/neighbours/score`    | float32 | (m, K)   | their cosine similarity                                   |
/// | `/train/user_ptr`      | int64   | (n + 1)  | user u's training movies are `movie[user_ptr[u]:user_ptr[u+1]]` |
/// | `/train/movie`         | int32   | (t)      | training movies, by user, ascending                       |
/// | `/curve/iteration`     | int32   | (c)      | training curve: iteration (or sample)                     |
/// | `/curve/train_rmse`, `/curve/test_rmse` | float64 | (c) | RMSE on training / held-out ratings (NaN: none held out) |
/// | `/users`, `/movies`    |         |          | ids, titles, years, genres (see `DatasetMetadata`)        |
///
/// Prediction: `clip(global_mean + user_bias[u] + movie_bias[i] + user_factors[u] · movie_factors[i])`
/// to [`rating_min`, `rating_max`].
///
/// Root attributes: `format` = `projector.model`, `format_version` = 1, `schema_version` = 1, `algorithm`, `params`
/// (JSON of every hyper-parameter), `seed`, `model_kind` (`factors` or `item-item`), `rank` (0 for
/// item-item), `predicts_ratings` (1/0), `normalisation`, `created_by`, the `DatasetMetadata`
/// attributes; on `/model`: `global_mean` and algorithm extras (e.g. `singular_values`,
/// `eigenvalues`); on `/neighbours`: `k`. Evaluate adds `metric_*` attributes. No timestamp and
/// no timing: the same input, parameters and seed give the same bytes (`factorise` prints the
/// training time; the store's manifest records when a model was published).
///
/// The reader checks everything it serves from: shapes against n_users/n_movies/rank/k, factors,
/// biases and weights finite, neighbour indices in −1..<n_movies, the training CSR (pointers
/// from 0, never decreasing, ending at its length; movies in range and ascending per user).
public struct ModelFile: Sendable {
    public static let format = "projector.model"
    public static let formatVersion: Int64 = 1

    public var algorithm: String
    public var parametersJSON: String
    public var seed: UInt64
    public var normalisation: String
    public var metadata: DatasetMetadata
    public var model: LearnedModel
    public var extras: [String: [Double]]
    public var neighbours: Neighbours
    /// Each user's training movies (CSR, sorted): excluded from that user's recommendations.
    public var trainingMovies: SparseRows
    public var curve: TrainingCurve
    public var createdBy: String
    /// Metrics recorded by `evaluate` (name → value), stored as `metric_<name>` attributes.
    public var metrics: [String: Double]

    public init(
        algorithm: any Algorithm, trained: TrainedModel, data: TrainingSet, neighbours: Neighbours, createdBy: String
    ) {
        self.algorithm = algorithm.name
        parametersJSON = algorithm.parametersJSON
        seed = algorithm.seed
        normalisation = data.terms.method.rawValue
        metadata = data.metadata
        model = trained.model
        extras = trained.extras
        self.neighbours = neighbours
        trainingMovies = SparseRows(rows: data.userCount, rowOf: data.trainUser, columnOf: data.trainMovie,
                                    values: [Float](repeating: 1, count: data.trainUser.count))
        for user in 0..<trainingMovies.rowCount {
            let range = trainingMovies.range(user)
            trainingMovies.columns[range].sort()
        }
        curve = trained.curve
        self.createdBy = createdBy
        metrics = [:]
    }

    static let matrixStorage = StorageOptions(chunkRows: 1024, deflateLevel: 4, shuffle: true)

    public func write(to path: String) throws {
        try writeHDF5Atomically(to: path) { file in
            try file.setAttribute("format", Self.format)
            try file.setAttribute("format_version", Self.formatVersion)
            // Published artifacts are model files; consumers check schema_version (= format_version).
            try file.setAttribute("schema_version", Self.formatVersion)
            try file.setAttribute("algorithm", algorithm)
            try file.setAttribute("params", parametersJSON)
            try file.setAttribute("seed", Int64(bitPattern: seed))
            try file.setAttribute("model_kind", model.kind)
            try file.setAttribute("rank", Int64(model.factors?.rank ?? 0))
            try file.setAttribute("predicts_ratings", Int64(model.predictsRatings ? 1 : 0))
            try file.setAttribute("normalisation", normalisation)
            try file.setAttribute("created_by", createdBy)
            for (name, value) in metrics.sorted(by: { $0.key < $1.key }) {
                try file.setAttribute("metric_" + name, value)
            }
            try metadata.write(to: file)

            let group = try file.createGroup("model")
            for (name, values) in extras.sorted(by: { $0.key < $1.key }) { try group.setAttribute(name, values) }
            switch model {
            case .factors(let model):
                try group.setAttribute("global_mean", Double(model.globalMean))
                try group.write("user_bias", model.userBias)
                try group.write("movie_bias", model.movieBias)
                try group.write("user_factors", model.userFactors.values, shape: [model.userCount, model.rank], storage: Self.matrixStorage)
                try group.write("movie_factors", model.movieFactors.values, shape: [model.movieCount, model.rank], storage: Self.matrixStorage)
            case .itemItem(let model):
                try group.write("weights", model.weights.values, shape: [model.movieCount, model.movieCount], storage: Self.matrixStorage)
            }

            let near = try file.createGroup("neighbours")
            try near.setAttribute("k", Int64(neighbours.k))
            try near.write("index", neighbours.index, shape: [metadata.movieCount, neighbours.k], storage: Self.matrixStorage)
            try near.write("score", neighbours.score, shape: [metadata.movieCount, neighbours.k], storage: Self.matrixStorage)

            let train = try file.createGroup("train")
            try train.write("user_ptr", trainingMovies.pointers.map(Int64.init))
            try train.write("movie", trainingMovies.columns, storage: .compressed)

            let curveGroup = try file.createGroup("curve")
            try curveGroup.write("iteration", curve.iteration)
            try curveGroup.write("train_rmse", curve.trainRMSE)
            try curveGroup.write("test_rmse", curve.testRMSE)
        }
    }

    public static func read(_ path: String) throws -> ModelFile {
        let file = try HDF5File.open(path, format: format, versions: [formatVersion])
        let check = ContentCheck(file: path)
        let metadata = try DatasetMetadata(from: file)
        let n = metadata.userCount, m = metadata.movieCount
        let group = try file.group("model")
        let kind = file.hasAttribute("model_kind") ? try file.stringAttribute("model_kind") : "factors"
        let model: LearnedModel
        switch kind {
        case "factors":
            let rank = try file.count("rank", in: 1...Int64(FactorModel.maximumRank))
            let globalMean = try group.attribute("global_mean", as: Double.self)
            guard globalMean.isFinite else { throw check.fail("/model attribute 'global_mean'", "is \(globalMean): it must be finite") }
            let factors = FactorModel(
                globalMean: Float(globalMean),
                userBias: try group.read("user_bias", shape: [n], why: "n_users"),
                movieBias: try group.read("movie_bias", shape: [m], why: "n_movies"),
                userFactors: Matrix(rows: n, columns: rank, values: try group.read("user_factors", shape: [n, rank], why: "n_users × rank")),
                movieFactors: Matrix(rows: m, columns: rank, values: try group.read("movie_factors", shape: [m, rank], why: "n_movies × rank")))
            try check.finite(factors.userBias, "/model/user_bias")
            try check.finite(factors.movieBias, "/model/movie_bias")
            try check.finite(factors.userFactors.values, "/model/user_factors")
            try check.finite(factors.movieFactors.values, "/model/movie_factors")
            model = .factors(factors)
        case "item-item":
            let weights: [Float] = try group.read("weights", shape: [m, m], why: "n_movies × n_movies")
            try check.finite(weights, "/model/weights")
            model = .itemItem(ItemItemModel(weights: Matrix(rows: m, columns: m, values: weights)))
        default:
            throw ModelsError.badFile(path, "unknown model_kind '\(kind)' (this program reads factors and item-item)")
        }
        var extras: [String: [Double]] = [:]
        for name in try group.attributeNames() where name != "global_mean" {
            extras[name] = try group.attributeArray(name, as: Double.self)
        }
        let near = try file.group("neighbours")
        let k = try near.count("k", in: 0...Int64(max(0, m - 1)))
        let neighbours = Neighbours(index: try near.read("index", shape: [m, k], why: "n_movies × k"),
                                    score: try near.read("score", shape: [m, k], why: "n_movies × k"), k: k)
        try check.indices(neighbours.index, below: m, "/neighbours/index", why: "n_movies; -1 for none", allowMinusOne: true)
        try check.finite(neighbours.score, "/neighbours/score")
        let train = try file.group("train")
        let pointers: [Int64] = try train.read("user_ptr", shape: [n + 1], why: "n_users + 1")
        let movieCount = try train.dataset("movie").shape.first ?? 0
        try check.pointers(pointers, rows: n, count: movieCount, "/train/user_ptr")
        let movies: [Int32] = try train.read("movie", shape: [movieCount], why: "/train/user_ptr's last entry")
        try check.indices(movies, below: m, "/train/movie", why: "n_movies")
        for user in 0..<n {
            let run = Int(pointers[user])..<Int(pointers[user + 1])
            if let position = run.dropFirst().first(where: { movies[$0 - 1] >= movies[$0] }) {
                throw check.fail("/train/movie", "position \(position): user index \(user)'s training movies must be ascending without repeats")
            }
        }
        var training = SparseRows(rows: 0, rowOf: [], columnOf: [], values: [])
        training.pointers = pointers.map(Int.init)
        training.columns = movies
        training.values = [Float](repeating: 1, count: movies.count)
        var curve = TrainingCurve()
        let curveGroup = try file.group("curve")
        let points = try curveGroup.dataset("iteration").shape.first ?? 0
        curve.iteration = try curveGroup.read("iteration", shape: [points], why: "/curve/iteration's length")
        curve.trainRMSE = try curveGroup.read("train_rmse", shape: [points], why: "/curve/iteration's length")
        curve.testRMSE = try curveGroup.read("test_rmse", shape: [points], why: "/curve/iteration's length")
        var metrics: [String: Double] = [:]
        for name in try file.attributeNames() where name.hasPrefix("metric_") {
            metrics[String(name.dropFirst(7))] = try file.attribute(name, as: Double.self)
        }
        return ModelFile(
            algorithm: try file.stringAttribute("algorithm"), parametersJSON: try file.stringAttribute("params"),
            seed: UInt64(bitPattern: try file.attribute("seed", as: Int64.self)),
            normalisation: try file.stringAttribute("normalisation"),
            metadata: metadata, model: model, extras: extras, neighbours: neighbours, trainingMovies: training,
            curve: curve, createdBy: try file.stringAttribute("created_by"), metrics: metrics)
    }

    init(algorithm: String, parametersJSON: String, seed: UInt64, normalisation: String,
         metadata: DatasetMetadata, model: LearnedModel, extras: [String: [Double]], neighbours: Neighbours,
         trainingMovies: SparseRows, curve: TrainingCurve, createdBy: String, metrics: [String: Double]) {
        self.algorithm = algorithm
        self.parametersJSON = parametersJSON
        self.seed = seed
        self.normalisation = normalisation
        self.metadata = metadata
        self.model = model
        self.extras = extras
        self.neighbours = neighbours
        self.trainingMovies = trainingMovies
        self.curve = curve
        self.createdBy = createdBy
        self.metrics = metrics
    }

    /// The clipped rating prediction, or nil for a model that only ranks (EASE).
    public func predict(user: Int, movie: Int) -> Float? {
        model.factors.map { metadata.clip($0.rawPrediction(user: user, movie: movie)) }
    }
}
