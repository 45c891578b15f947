import ModelFormat

extension ModelFile {
    /// A one-head file from a freshly trained model: a rating head when the algorithm predicts
    /// ratings, a ranking head otherwise. `parametersJSON` replaces the algorithm's own `params`
    /// (a Spark head records its engine, master and application beside them).
    public init(
        algorithm: any Algorithm, trained: TrainedModel, data: TrainingSet, neighbours: Neighbours, createdBy: String,
        parametersJSON: String? = nil
    ) {
        // Each user's training movies, ascending; their ratings and input weights follow them.
        // `original[slot]` is the training rating at that slot: by user, then by movie.
        let n = data.trainUser.count
        let (pointers, byUser) = SparseRows.rowOrder(rows: data.userCount, rowOf: data.trainUser)
        var original = byUser
        for user in 0..<data.userCount {
            original[pointers[user]..<pointers[user + 1]].sort { data.trainMovie[$0] < data.trainMovie[$1] }
        }
        let weights = trained.inputWeights ?? [Float](repeating: 1, count: n)
        var training = SparseRows(pointers: pointers, columns: original.map { data.trainMovie[$0] },
                                  values: original.map { weights[$0] })
        let ratings = original.map { data.trainRating[$0] }
        let head = ModelHead(algorithm: algorithm.name, parametersJSON: parametersJSON ?? algorithm.parametersJSON, seed: algorithm.seed,
                             normalisation: data.terms.method.rawValue, model: trained.model, extras: trained.extras,
                             curve: trained.curve, inputWeights: trained.inputWeights == nil ? nil : training.values)
        training = training.binary()
        let rates = head.model.predictsRatings && type(of: algorithm).predictsRatings
        self.init(rating: rates ? head : nil, ranking: rates ? nil : head,
                  neighboursFrom: rates ? .rating : .ranking, metadata: data.metadata,
                  neighbours: neighbours, trainingMovies: training, createdBy: createdBy, metrics: [:])
        trainingRatings = ratings
        userAttributes = data.userAttributes
    }
}
