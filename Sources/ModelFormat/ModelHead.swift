import Foundation

/// One trained model inside a model file, with how it was trained. A model file has a rating
/// head (predicts ratings: a factor model), a ranking head (orders movies for top-N), or both;
/// a file with only a rating head ranks with it.
///
///     let file = try ModelFile.read("served.h5")
///     file.rating?.algorithm      // "bpmf"
///     file.rankingHead.algorithm  // "ease"
public struct ModelHead: Sendable {
    /// Which question a head answers; also its group's name in the file (`/rating`, `/ranking`).
    public enum Role: String, Sendable, CaseIterable, Codable {
        case rating, ranking
    }

    public var algorithm: String
    /// Every hyper-parameter as canonical JSON.
    public var parametersJSON: String
    public var seed: UInt64
    /// How the training ratings were normalised before fitting.
    public var normalisation: String
    public var model: LearnedModel
    /// Algorithm-specific numbers worth keeping (singular values, eigenvalues).
    public var extras: [String: [Double]]
    public var curve: TrainingCurve
    /// Each training movie's weight in a user's input row when this head scores, aligned with the
    /// file's `/train/movie`; nil: all 1 (see `TrainedModel.inputWeights`).
    public var inputWeights: [Float]?
    /// What folding in a new user's ratings needs (model format 3); nil: the head refuses fold-in.
    public var foldIn: FoldInState?

    public init(algorithm: String, parametersJSON: String, seed: UInt64, normalisation: String,
                model: LearnedModel, extras: [String: [Double]] = [:], curve: TrainingCurve = TrainingCurve(),
                inputWeights: [Float]? = nil, foldIn: FoldInState? = nil) {
        self.algorithm = algorithm
        self.parametersJSON = parametersJSON
        self.seed = seed
        self.normalisation = normalisation
        self.model = model
        self.extras = extras
        self.curve = curve
        self.inputWeights = inputWeights
        self.foldIn = foldIn
    }

    /// What metrics.json and the store's manifest.json say about a head.
    ///
    ///     {"algorithm": "bpmf", "params": {"rank": 16, …}, "seed": 42, "model_kind": "factors", "normalisation": "none"}
    public struct Summary: Codable, Sendable, Equatable {
        public var algorithm: String
        public var params: [String: ParameterValue]
        public var seed: UInt64
        public var modelKind: String
        public var normalisation: String
        enum CodingKeys: String, CodingKey {
            case algorithm, params, seed, normalisation, modelKind = "model_kind"
        }

        public init(algorithm: String, params: [String: ParameterValue], seed: UInt64, modelKind: String, normalisation: String) {
            self.algorithm = algorithm
            self.params = params
            self.seed = seed
            self.modelKind = modelKind
            self.normalisation = normalisation
        }
    }

    /// Bad input when the `params` JSON is not an object of parameter values.
    public func summary(source: String) throws -> Summary {
        guard let params = try? JSONDecoder().decode([String: ParameterValue].self, from: Data(parametersJSON.utf8)) else {
            throw ModelsError.badFile(source, "the \(algorithm) head's params attribute is not a JSON object of parameter values: \(parametersJSON.prefix(80))")
        }
        return Summary(algorithm: algorithm, params: params, seed: seed, modelKind: model.kind, normalisation: normalisation)
    }
}

extension ModelFile {
    /// The heads as metrics.json and manifest.json record them: `rating` (null when nothing
    /// predicts ratings) and `ranking` (the rating head's summary when it ranks too).
    public func headSummaries(source: String) throws -> [String: ModelHead.Summary?] {
        [ModelHead.Role.rating.rawValue: try rating?.summary(source: source), ModelHead.Role.ranking.rawValue: try rankingHead.summary(source: source)]
    }
}
