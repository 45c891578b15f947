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
/// item-item), `predicts_ratings` (1/0), `normalisation`,
/// `training_seconds`, `created_by`, `created_at`, the `DatasetMetadata` attributes; on `/model`:
/// `global_mean` and algorithm extras (e.g. `singular_values`, `eigenvalues`); on `/neighbours`: `k`.
/// Evaluate adds `metric_*` attributes.
public struct ModelFile: Sendable {
    public static let format = "projector.model"
    public static let formatVersion: Int64 = 1

    public var algorithm: String
    public var parametersJSON: String
    public var seed: UInt64
    public var normalisation: String
    public var trainingSeconds: Double
    public var metadata: DatasetMetadata
    public var model: LearnedModel
    public var extras: [String: [Double]]
    public var neighbours: Neighbours
    /// Each user's training movies (CSR, sorted): excluded from that user's recommendations.
    public var trainingMovies: SparseRows
    public var curve: TrainingCurve
    public var createdBy: String
    public var createdAt: String
    /// Metrics recorded by `evaluate` (name → value), stored as `metric_<name>` attributes.
    public var metrics: [String: Double]

    public init(
        algorithm: any Algorithm, trained: TrainedModel, data: TrainingSet, neighbours: Neighbours,
        trainingSeconds: Double, createdBy: String
    ) {
        self.algorithm = algorithm.name
        parametersJSON = algorithm.parametersJSON
        seed = algorithm.seed
        normalisation = data.terms.method.rawValue
        self.trainingSeconds = trainingSeconds
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
        createdAt = ISO8601DateFormatter().string(from: Date())
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
            try file.setAttribute("training_seconds", trainingSeconds)
            try file.setAttribute("created_by", createdBy)
            try file.setAttribute("created_at", createdAt)
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
        let file = try HDF5File.open(path)
        try checkFormat(file, expected: format, versions: [formatVersion])
        let metadata = try DatasetMetadata(from: file)
        let n = metadata.userCount, m = metadata.movieCount
        let group = try file.group("model")
        let kind = file.hasAttribute("model_kind") ? try file.stringAttribute("model_kind") : "factors"
        let model: LearnedModel
        switch kind {
        case "factors":
            let rank = Int(try file.attribute("rank", as: Int64.self))
            func matrix(_ name: String, rows: Int) throws -> Matrix {
                let dataset = try group.dataset(name)
                guard dataset.shape == [rows, rank] else {
                    throw ModelsError.badFile(path, "/model/\(name) has shape \(dataset.shape), expected [\(rows), \(rank)]")
                }
                return Matrix(rows: rows, columns: rank, values: try dataset.read())
            }
            let factors = FactorModel(
                globalMean: Float(try group.attribute("global_mean", as: Double.self)),
                userBias: try group.read("user_bias"), movieBias: try group.read("movie_bias"),
                userFactors: try matrix("user_factors", rows: n), movieFactors: try matrix("movie_factors", rows: m))
            guard factors.userBias.count == n, factors.movieBias.count == m else {
                throw ModelsError.badFile(path, "/model biases do not match n_users/n_movies: the file is damaged")
            }
            model = .factors(factors)
        case "item-item":
            let dataset = try group.dataset("weights")
            guard dataset.shape == [m, m] else {
                throw ModelsError.badFile(path, "/model/weights has shape \(dataset.shape), expected [\(m), \(m)]")
            }
            model = .itemItem(ItemItemModel(weights: Matrix(rows: m, columns: m, values: try dataset.read())))
        default:
            throw ModelsError.badFile(path, "unknown model_kind '\(kind)' (this program reads factors and item-item)")
        }
        var extras: [String: [Double]] = [:]
        for name in try group.attributeNames() where name != "global_mean" {
            extras[name] = try group.attributeArray(name, as: Double.self)
        }
        let near = try file.group("neighbours")
        let k = Int(try near.attribute("k", as: Int64.self))
        let neighbours = Neighbours(index: try near.read("index"), score: try near.read("score"), k: k)
        guard neighbours.index.count == m * k, neighbours.score.count == m * k else {
            throw ModelsError.badFile(path, "/neighbours do not match n_movies × k: the file is damaged")
        }
        let pointers = (try file.read("train/user_ptr", as: Int64.self)).map(Int.init)
        let movies: [Int32] = try file.read("train/movie")
        guard pointers.count == n + 1, pointers.last == movies.count else {
            throw ModelsError.badFile(path, "/train/user_ptr does not match /train/movie: the file is damaged")
        }
        var training = SparseRows(rows: 0, rowOf: [], columnOf: [], values: [])
        training.pointers = pointers
        training.columns = movies
        training.values = [Float](repeating: 1, count: movies.count)
        var curve = TrainingCurve()
        curve.iteration = try file.read("curve/iteration")
        curve.trainRMSE = try file.read("curve/train_rmse")
        curve.testRMSE = try file.read("curve/test_rmse")
        var metrics: [String: Double] = [:]
        for name in try file.attributeNames() where name.hasPrefix("metric_") {
            metrics[String(name.dropFirst(7))] = try file.attribute(name, as: Double.self)
        }
        return ModelFile(
            algorithm: try file.stringAttribute("algorithm"), parametersJSON: try file.stringAttribute("params"),
            seed: UInt64(bitPattern: try file.attribute("seed", as: Int64.self)),
            normalisation: try file.stringAttribute("normalisation"),
            trainingSeconds: try file.attribute("training_seconds", as: Double.self),
            metadata: metadata, model: model, extras: extras, neighbours: neighbours, trainingMovies: training,
            curve: curve, createdBy: try file.stringAttribute("created_by"),
            createdAt: try file.stringAttribute("created_at"), metrics: metrics)
    }

    init(algorithm: String, parametersJSON: String, seed: UInt64, normalisation: String, trainingSeconds: Double,
         metadata: DatasetMetadata, model: LearnedModel, extras: [String: [Double]], neighbours: Neighbours,
         trainingMovies: SparseRows, curve: TrainingCurve, createdBy: String, createdAt: String, metrics: [String: Double]) {
        self.algorithm = algorithm
        self.parametersJSON = parametersJSON
        self.seed = seed
        self.normalisation = normalisation
        self.trainingSeconds = trainingSeconds
        self.metadata = metadata
        self.model = model
        self.extras = extras
        self.neighbours = neighbours
        self.trainingMovies = trainingMovies
        self.curve = curve
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.metrics = metrics
    }

    /// The clipped rating prediction, or nil for a model that only ranks (EASE).
    public func predict(user: Int, movie: Int) -> Float? {
        model.factors.map { metadata.clip($0.rawPrediction(user: user, movie: movie)) }
    }
}
