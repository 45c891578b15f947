import ArtifactStore
import Foundation
import Essentials
import ModelFormat
import MovieLens
import Ranking

/// Fold-in: answers for a person from the ratings they give — someone not in the training data,
/// or a known user with ratings given since (added to their training ratings) — without
/// retraining (`ModelFile.FoldIn`, the code `evaluate` measures new users with).
///
///     let ratings = [StoredModel.GivenRating(movieID: 1, rating: 5), .init(movieID: 2571, rating: 4)]
///     let answer = try model.recommend(userID: nil, ratings: ratings, k: 10, candidates: nil)
///     answer.items[0].because    // the rated movies behind it
///     let stars = try model.predict(userID: nil, ratings: ratings, movieIDs: [260])
extension StoredModel {
    /// One rating a person gives: `{"movie_id": 1, "rating": 5}`.
    public struct GivenRating: Sendable, Equatable, Codable {
        public var movieID: Int64
        public var rating: Float
        enum CodingKeys: String, CodingKey { case movieID = "movie_id", rating }
        public init(movieID: Int64, rating: Float) { (self.movieID, self.rating) = (movieID, rating) }
    }

    /// What a person says of themselves (the user fields MovieLens 1M and 100K have): each
    /// optional. `age` in years or ML-1M's age-group code (both map to its groups); the zip
    /// code's first character is its region.
    ///
    ///     StoredModel.PersonAttributes(gender: "F", age: 23, occupation: "4", zip: "55455").values
    ///     // ["gender": "F", "age": "18", "occupation": "4", "zip": "5"]
    public struct PersonAttributes: Sendable, Equatable {
        public var gender: String?
        public var age: Int?
        public var occupation: String?
        public var zip: String?
        public init(gender: String? = nil, age: Int? = nil, occupation: String? = nil, zip: String? = nil) {
            (self.gender, self.age, self.occupation, self.zip) = (gender, age, occupation, zip)
        }

        /// Group → value, as the model's fold-in prior keys them (`UserAttributes.values`).
        public var values: [String: String] {
            UserAttributes.values(gender: gender ?? "", age: age.map { Int32(clamping: $0) } ?? 0, occupation: occupation ?? "", zip: zip ?? "")
        }
    }

    /// The most ratings, candidates or movie ids one question may give.
    public static let maximumGiven = 10_000
    /// Reasons (`because`) are given for the first this many items of an answer (each costs a
    /// pass over the person's ratings).
    public static let explainedItems = 100

    /// `POST …/predictions`' answer: `{model, version, user, basis, items, ignored}`.
    public struct Predictions: Sendable, Equatable, Codable {
        public struct Predicted: Sendable, Equatable, Codable {
            public var movieID: Int64
            public var title: String
            public var year: Int
            public var genres: [String]
            /// The rating head's stars, clipped to the scale.
            public var rating: Float
            /// The movie has no training ratings: the model's content baseline (global mean + the person's term without one).
            public var coldStart: Bool
            enum CodingKeys: String, CodingKey { case movieID = "movie_id", title, year, genres, rating, coldStart = "cold_start" }
        }
        public var model: String
        public var version: Int
        public var user: Int64?
        /// How the person's terms were found: `fold-in (…): N ratings`, the stored user, or the average user.
        public var basis: String
        public var items: [Predicted]
        public var ignored: [Int64]
        enum CodingKeys: String, CodingKey { case model, version, user, basis, items, ignored }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(model, forKey: .model)
            try c.encode(version, forKey: .version)
            try c.encode(user, forKey: .user)
            try c.encode(basis, forKey: .basis)
            try c.encode(items, forKey: .items)
            try c.encode(ignored, forKey: .ignored)
        }
    }

    /// The fold-in model, or bad input saying why this file cannot fold in.
    func foldInModel() throws -> ModelFile.FoldIn {
        switch foldIn {
        case .success(let model): return model
        case .failure(let error): throw StoreError(.badInput, "\(name)@\(version): \(error.message)")
        }
    }

    /// Checks the person's fields and maps their ids: the history (a known user's training
    /// ratings with the given ones over them), the unknown ids, and the user's index if known.
    /// Bad input in the attributes' own form (whatever the model): an age outside 1…200.
    func check(_ attributes: PersonAttributes?) throws {
        if let age = attributes?.age, !(1...Int(UserAttributes.maximumAge)).contains(age) {
            throw StoreError(.badInput, "attributes.age: must be from 1 to \(UserAttributes.maximumAge) (years, or ML-1M's age-group code), not \(age)")
        }
    }

    /// The attribute values a fold-in uses: those given that the model's prior knows (bad input
    /// for a model without attribute priors), else a known user's own from the file (likewise).
    func foldInAttributes(_ given: PersonAttributes?, user: Int?) throws -> [String: String] {
        try check(given)
        let values = given?.values ?? [:]
        if !values.isEmpty {
            let model = try foldInModel()
            if let problem = model.attributeProblem { throw StoreError(.badInput, "\(name)@\(version): \(problem.message)") }
            // A value no training user had (a zip region, an occupation) is not used, like an unknown movie id.
            return model.knownAttributes(values)
        }
        guard let user, case .success(let model) = foldIn, let stored = file.userAttributes, stored.fits(users: file.metadata.userCount) else { return [:] }
        return model.knownAttributes(stored.values(of: user))
    }

    func person(userID: Int64?, ratings: [GivenRating]) throws -> (history: History, ignored: [Int64], user: Int?) {
        guard ratings.count <= Self.maximumGiven else {
            throw StoreError(.badInput, "ratings: \(ratings.count) given, at most \(Self.maximumGiven)")
        }
        let scale = file.metadata.scale
        for (index, given) in ratings.enumerated() {
            if let problem = scale.problem(with: given.rating) {
                throw StoreError(.badInput, "ratings[\(index)].rating (movie \(given.movieID)): \(problem)")
            }
        }
        let user = userID.flatMap(knownUser)
        var pairs: [(movie: Int32, rating: Float)] = []
        if let user, !ratings.isEmpty {
            guard let trainingRatings = file.trainingRatings else {
                throw StoreError(.badInput, "\(name)@\(version): its file keeps no training ratings, so ratings cannot be added to user \(userID!)'s")
            }
            pairs = file.trainingMovies.range(user).map { (file.trainingMovies.columns[$0], trainingRatings[$0]) }
        }
        var ignored: [Int64] = []
        for given in ratings {
            if let movie = movieIndex[given.movieID] { pairs.append((Int32(movie), given.rating)) } else { ignored.append(given.movieID) }
        }
        return (History(pairs), unique(ignored), user)
    }

    func unique(_ ids: [Int64]) -> [Int64] {
        var seen = Set<Int64>()
        return ids.filter { seen.insert($0).inserted }
    }

    /// Movie indices of `ids` (unknown ones into `ignored`).
    func indices(_ ids: [Int64], field: String, ignored: inout [Int64]) throws -> [Int32] {
        guard ids.count <= Self.maximumGiven else { throw StoreError(.badInput, "\(field): \(ids.count) given, at most \(Self.maximumGiven)") }
        var result: [Int32] = []
        for id in ids {
            if let movie = movieIndex[id] { result.append(Int32(movie)) } else { ignored.append(id) }
        }
        return result
    }

    /// The top `k` for a person: `userID` alone answers as `recommend(userID:k:)` (restricted to
    /// `candidates` when given); with `ratings`, the history (a known user's training ratings
    /// plus these, or these alone) is folded in. Never a movie of the history. Bad input: k not
    /// in 1…`maximumK` or above the candidates' count, a rating off the scale, more than
    /// `maximumGiven` ratings or candidates, a model that cannot fold in (only when it must).
    public func recommend(userID: Int64?, ratings: [GivenRating], attributes: PersonAttributes? = nil, k: Int, candidates: [Int64]?) throws -> Recommendations {
        guard (1...Self.maximumK).contains(k) else { throw StoreError(.badInput, "k: must be from 1 to \(Self.maximumK), not \(k)") }
        if let candidates, k > candidates.count {
            throw StoreError(.badInput, "k: \(k) is more than the \(candidates.count) candidates given")
        }
        try check(attributes)
        let (history, ignoredRatings, user) = try person(userID: userID, ratings: ratings)
        var ignored = ignoredRatings
        let only = try candidates.map { try indices($0, field: "candidates", ignored: &ignored) }
        ignored = unique(ignored)
        if let user, ratings.isEmpty {
            // A known user as they were trained: the stored answer.
            var answer = candidates == nil ? recommend(userID: userID!, k: k) : Recommendations(
                model: name, version: version, user: userID, coldStart: false, items: explained(storedTop(user: user, k: k, candidates: only!), user: user))
            answer.ignored = ignored
            return answer
        }
        var answer = Recommendations(model: name, version: version, user: userID, coldStart: history.isEmpty, items: [], ignored: ignored)
        if history.isEmpty {
            // Nothing to fold in: the cold-start answer, as for an unknown user id.
            let (movies, scores) = coldTop(k: k, candidates: only)
            answer.items = zip(movies, scores).map { item(Int($0), $1) }
            return answer
        }
        // Attributes only where ratings are folded in (the stored answer and the cold-start list use none).
        let person = try foldInModel().fold(history, attributes: try foldInAttributes(attributes, user: user))
        let (movies, scores) = person.top(k: k, candidates: only)
        answer.items = zip(movies, scores).enumerated().map { position, pair in
            var entry = item(Int(pair.0), pair.1)
            entry.rating = person.predict(movie: Int(pair.0))
            if position < Self.explainedItems { entry.because = reasons(person.reasons(for: Int(pair.0)), history: history) }
            return entry
        }
        return answer
    }

    /// The rating head's stars for `movieIDs` (at most `maximumGiven`), for the person as in
    /// `recommend(userID:ratings:…)`: a known user without new ratings from their stored terms,
    /// else the folded-in history, an empty history as the average user.
    public func predict(userID: Int64?, ratings: [GivenRating], attributes: PersonAttributes? = nil, movieIDs: [Int64]) throws -> Predictions {
        guard let head = file.rating, let factors = head.model.factors else {
            throw StoreError(.badInput, "\(name)@\(version) (\(file.algorithm)) predicts no ratings: publish a model with a rating head (als, bpmf, or a combined model)")
        }
        guard !movieIDs.isEmpty else { throw StoreError(.badInput, "movie_ids: give at least one movie id") }
        try check(attributes)
        let (history, ignoredRatings, user) = try person(userID: userID, ratings: ratings)
        var ignored = ignoredRatings
        let movies = try indices(movieIDs, field: "movie_ids", ignored: &ignored)
        // A movie without training ratings: the content baseline (as `predict(userID:movieID:)`).
        let basis: String, predict: (Int) -> Float
        if let user, ratings.isEmpty {
            basis = "user \(userID!) as trained (\(head.algorithm))"
            predict = { movie in
                self.counts[movie] > 0 ? factors.rawPrediction(user: user, movie: movie)
                    : self.file.coldMovieRating(user: user, movie: movie) ?? factors.globalMean + factors.userBias[user]
            }
        } else {
            let model = try foldInModel()
            if let problem = model.ratingProblem { throw StoreError(.badInput, "\(name)@\(version): \(problem.message)") }
            let attributeValues = try foldInAttributes(attributes, user: user)
            let person = model.fold(history, attributes: attributeValues)
            let described = attributeValues.isEmpty ? "" : " and " + attributeValues.keys.sorted().joined(separator: ", ")
            basis = history.isEmpty ? (attributeValues.isEmpty ? "no usable ratings: the average user of \(head.algorithm)'s fold-in prior"
                                                                : "no usable ratings: the average user of \(head.algorithm)'s fold-in prior with their \(described.dropFirst(5))")
                : "fold-in (\(head.algorithm)): \(history.count) ratings\(described)"
            predict = { person.predict(movie: $0)! }
        }
        let items = movies.map { movie -> Predictions.Predicted in
            let known = counts[Int(movie)] > 0
            let value = file.metadata.clip(predict(Int(movie)))
            return Predictions.Predicted(movieID: file.metadata.movieIDs[Int(movie)], title: file.metadata.titles[Int(movie)],
                                         year: Int(file.metadata.years[Int(movie)]), genres: genres[Int(movie)], rating: value, coldStart: !known)
        }
        return Predictions(model: name, version: version, user: userID, basis: basis, items: items, ignored: unique(ignored))
    }

    /// A stored user's top `k` among `candidates` by the ranking head's scores (training movies excluded).
    func storedTop(user: Int, k: Int, candidates: [Int32]) -> [(movie: Int32, score: Float)] {
        var result: [(movie: Int32, score: Float)] = []
        file.rank(users: user..<(user + 1), k: 0) { _, _, scores in
            let allowed = Set(candidates)
            let ordered = allowed.filter { scores[Int($0)] > -.infinity }.sorted { scores[Int($0)] != scores[Int($1)] ? scores[Int($0)] > scores[Int($1)] : $0 < $1 }
            result = ordered.prefix(k).map { ($0, scores[Int($0)]) }
        }
        return result
    }

    /// The cold-start answer (most training ratings first), among `candidates` when given.
    func coldTop(k: Int, candidates: [Int32]?) -> (movies: [Int32], scores: [Float]) {
        let pool: [Int32] = candidates.map { Array(Set($0)) } ?? popularity
        let ordered = pool.sorted { counts[Int($0)] != counts[Int($1)] ? counts[Int($0)] > counts[Int($1)] : $0 < $1 }.prefix(k)
        return (Array(ordered), ordered.map { counts[Int($0)] })
    }

    /// A stored user's items with their predicted stars and reasons (item-item heads: the exact
    /// terms of the user's training row; factor ranking heads: the fold-in of their training
    /// ratings, when the file can).
    func explained(_ ranked: [(movie: Int32, score: Float)], user: Int) -> [Item] {
        let factors = file.rating?.model.factors
        let training = file.rankingInput
        let ratings = file.trainingRatings
        let rankingModel = file.rankingHead.model
        var person: ModelFile.Person? = nil
        if case .factors = file.rankingHead.model, let ratings, case .success(let model) = foldIn {
            person = model.fold(History(training.range(user).map { (training.columns[$0], ratings[$0]) }))
        }
        return ranked.enumerated().map { position, pair in
            let (movie, score) = pair
            var entry = item(Int(movie), score)
            guard position < Self.explainedItems else {
                entry.rating = factors.map { file.metadata.clip(counts[Int(movie)] > 0 ? $0.rawPrediction(user: user, movie: Int(movie)) : $0.globalMean + $0.userBias[user]) }
                return entry
            }
            entry.rating = factors.map { factors in
                counts[Int(movie)] > 0 ? file.metadata.clip(factors.rawPrediction(user: user, movie: Int(movie)))
                    : file.coldMovieRating(user: user, movie: Int(movie)) ?? file.metadata.clip(factors.globalMean + factors.userBias[user])
            }
            if let person {
                entry.because = reasons(person.reasons(for: Int(movie)), history: person.history)
            } else if let ratings, !rankingModel.predictsRatings {
                let terms = training.range(user).map { entry in
                    (movie: training.columns[entry], rating: ratings[entry],
                     contribution: training.values[entry] * rankingModel.weight(from: Int(training.columns[entry]), to: Int(movie)))
                }
                entry.because = terms.filter { $0.contribution > 0 }
                    .sorted { $0.contribution != $1.contribution ? $0.contribution > $1.contribution : $0.movie < $1.movie }
                    .prefix(3).map { Reason(movieID: file.metadata.movieIDs[Int($0.movie)], title: file.metadata.titles[Int($0.movie)],
                                            rating: $0.rating, contribution: $0.contribution) }
            }
            return entry
        }
    }

    func reasons(_ terms: [(movie: Int32, contribution: Float)], history: History) -> [Reason] {
        terms.map { term in
            let position = history.movies.firstIndex(of: term.movie)!
            return Reason(movieID: file.metadata.movieIDs[Int(term.movie)], title: file.metadata.titles[Int(term.movie)],
                          rating: history.ratings[position], contribution: term.contribution)
        }
    }
}

extension StoredModel.GivenRating {
    /// Ratings as CSV lines `movie_id,rating` (a header line `movie_id,rating` optional; blank
    /// lines skipped; CRLF accepted). Bad input names the source, the line and what is wrong.
    ///
    ///     try StoredModel.GivenRating.parseCSV("movie_id,rating\n1,5\n2571,4\n", source: "mine.csv")
    public static func parseCSV(_ text: String, source: String) throws -> [StoredModel.GivenRating] {
        var result: [StoredModel.GivenRating] = []
        // "\r\n" is one Character in Swift: both line ends split.
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if index == 0, fields.map({ $0.lowercased() }) == ["movie_id", "rating"] { continue }
            let place = "\(source):\(index + 1)"
            guard fields.count == 2 else {
                throw StoreError(.badInput, "\(place): expected 'movie_id,rating', got \(fields.count) field\(fields.count == 1 ? "" : "s"): '\(line.prefix(60))'")
            }
            guard let movie = Int64(fields[0]) else { throw StoreError(.badInput, "\(place): movie_id '\(fields[0].prefix(30))' is not a whole number") }
            guard let rating = Float(fields[1]), rating.isFinite else { throw StoreError(.badInput, "\(place): rating '\(fields[1].prefix(30))' is not a number") }
            result.append(StoredModel.GivenRating(movieID: movie, rating: rating))
            guard result.count <= StoredModel.maximumGiven else {
                throw StoreError(.badInput, "\(source): more than \(StoredModel.maximumGiven) ratings")
            }
        }
        return result
    }
}
