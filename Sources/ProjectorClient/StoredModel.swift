import ArtifactStore
import Essentials
import Foundation
import LinearAlgebra
import ModelFormat
import Ranking
import Synchronization

/// A published model, opened for serving: verified against its manifest's sha256, then answering
/// in original MovieLens ids: recommendations from the ranking head, rating predictions from the
/// rating head, and "movies like this one" from the stored neighbours.
///
///     let model = try StoredModel.open(store: "Artifacts", reference: "movielens-1m@production")
///     let answer = model.recommend(userID: 42, k: 10)   // never a movie user 42 already rated
///     answer.coldStart                                 // true for a user without training ratings: most popular
///     let stars = try model.predict(userID: 42, movieID: 1).rating
///     let near = try model.similar(title: "toy story (1995)", k: 10)
public final class StoredModel: Sendable {
    /// A movie in an answer. `score` is the ranking head's score (recommendations), the
    /// neighbours' similarity (similar movies: EASE weight or cosine, see `similarSource`), the
    /// predicted rating (`Prediction.movie`) or the training-rating count (cold start, search).
    public struct Item: Sendable, Equatable, Codable {
        public var movieID: Int64
        public var title: String
        /// 0 when unknown.
        public var year: Int
        public var genres: [String]
        public var score: Float
        /// Recommendations: the rating head's predicted stars for the person (absent without a rating head).
        public var rating: Float? = nil
        /// Recommendations: the one to three rated movies that contributed most to `score`
        /// (absent when the person has no ratings).
        public var because: [Reason]? = nil
        enum CodingKeys: String, CodingKey { case movieID = "movie_id", title, year, genres, score, rating, because }
    }

    /// A rated movie behind a recommendation: the person's rating of it and its term of the
    /// recommendation's score (exact for an item-item head: w_j B[j, i]; see `ModelFile.Person.reasons`).
    public struct Reason: Sendable, Equatable, Codable {
        public var movieID: Int64
        public var title: String
        public var rating: Float
        public var contribution: Float
        enum CodingKeys: String, CodingKey { case movieID = "movie_id", title, rating, contribution }
    }

    /// `{model, version, user, cold_start, items}`, as `recommend --json` prints it; fold-in
    /// answers (`recommend(userID:ratings:…)`) add `ignored`, and `user` is null for an
    /// anonymous history.
    public struct Recommendations: Sendable, Equatable, Codable {
        public var model: String
        public var version: Int
        public var user: Int64?
        /// The person has no ratings the model can use: these are the most popular movies.
        public var coldStart: Bool
        public var items: [Item]
        /// Fold-in answers: the given movie ids the model does not know (unique, in the order given).
        public var ignored: [Int64]? = nil
        enum CodingKeys: String, CodingKey { case model, version, user, coldStart = "cold_start", items, ignored }

        public init(model: String, version: Int, user: Int64?, coldStart: Bool, items: [Item], ignored: [Int64]? = nil) {
            (self.model, self.version, self.user, self.coldStart, self.items, self.ignored) = (model, version, user, coldStart, items, ignored)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(model, forKey: .model)
            try c.encode(version, forKey: .version)
            try c.encode(user, forKey: .user)  // null for an anonymous history
            try c.encode(coldStart, forKey: .coldStart)
            try c.encode(items, forKey: .items)
            try c.encodeIfPresent(ignored, forKey: .ignored)
        }
    }

    /// A predicted rating, `{model, version, user, movie, rating, cold_start, basis}`.
    ///
    /// The rating head's clipped prediction when the user and the movie both have training
    /// ratings; otherwise a flagged fallback (`cold_start: true`), named in `basis`: an unknown
    /// user gets global mean + movie bias, a movie without training ratings gets global mean +
    /// user bias, both unknown the global mean; always clipped to the rating scale.
    public struct Prediction: Sendable, Equatable, Codable {
        public var model: String
        public var version: Int
        public var user: Int64
        public var movie: Item
        public var rating: Float
        public var coldStart: Bool
        /// `model (bpmf)`, `unknown user: global mean + movie bias`, …
        public var basis: String
        enum CodingKeys: String, CodingKey { case model, version, user, movie, rating, coldStart = "cold_start", basis }
    }

    public let name: String
    public let version: Int
    public let manifest: Manifest
    public let file: ModelFile
    let userIndex: [Int64: Int]
    let movieIndex: [Int64: Int]
    let popularity: [Int32]
    let counts: [Float]
    let genres: [[String]]
    /// Each user's top `cachedListLength` movies and scores, kept once computed: a model never
    /// changes, so a list is computed once per user and version (at most 8 bytes a movie, 0.8 KB
    /// a user). Answers for k ≤ `cachedListLength` are a prefix of it (the same order as `rank`).
    private let lists = Mutex<[Int: (movies: [Int32], scores: [Float])]>([:])
    public static let cachedListLength = 100
    /// The most movies one answer lists (`recommend -k`, the HTTP API's `k` and `limit`).
    public static let maximumK = 1000
    /// At most this many users' lists are kept (160 MB); later users are computed each time.
    public static let cachedUsers = 200_000
    let lowercasedTitles: [String]
    /// Recommendations already encoded as JSON, per (known user, k ≤ `cachedListLength`): a
    /// server answers a repeated question with the bytes it sent before (the version never
    /// changes; a new version is a new `StoredModel`, so a swap starts afresh). At most
    /// `cachedAnswerBytes` are kept; ids that are not users (cold start) are never kept, so no
    /// request can fill the cache with made-up ids.
    private let answers = Mutex<(bytes: Int, byKey: [AnswerKey: Data])>((0, [:]))
    public static let cachedAnswerBytes = 256 << 20
    struct AnswerKey: Hashable { var user: Int; var k: Int }
    /// Fold-in, prepared once per version (nil with the reason when the file cannot fold in).
    let foldIn: Result<ModelFile.FoldIn, FoldInError>
    /// "Movies like this one" from content, for movies with few training ratings.
    let content: ContentNeighbours
    /// Each movie's fixed JSON, for encoding this model's answers (`encoded`).
    let fragments: MovieFragments

    public static func open(store: String, reference: String) throws -> StoredModel {
        let modelStore = ModelStore(root: store)
        let (name, version) = try modelStore.resolve(reference)
        let manifest = try modelStore.manifest(name, version)
        let path = modelStore.modelPath(name, version)
        let (sha, _) = try Digest.sha256(file: path)
        guard sha == manifest.sha256 else {
            throw StoreError(.badInput, "\(name)@\(version): \(path) fails its checksum (sha256 \(sha.prefix(12))…, manifest \(manifest.sha256.prefix(12))…): refusing to serve a corrupt model")
        }
        return StoredModel(name: name, version: version, manifest: manifest, file: try ModelFile.read(path))
    }

    init(name: String, version: Int, manifest: Manifest, file: ModelFile) {
        self.name = name
        self.version = version
        self.manifest = manifest
        self.file = file
        // ModelFile.read guarantees unique ids; keep the first index should a caller build one by hand.
        userIndex = Dictionary(file.metadata.userIDs.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        movieIndex = Dictionary(file.metadata.movieIDs.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let counts = file.trainingMovies.columnCounts(file.metadata.movieCount).map(Float.init)
        popularity = topK(counts, k: min(1000, counts.count)).map(Int32.init)
        self.counts = counts
        genres = file.metadata.genres.map { $0.isEmpty ? [] : $0.split(separator: "|").map(String.init) }
        lowercasedTitles = file.metadata.titles.map { $0.lowercased() }
        content = ContentNeighbours(ContentFeatures(file.metadata))
        fragments = MovieFragments(file.metadata, genres: genres, index: movieIndex)
        do { foldIn = .success(try ModelFile.FoldIn(file)) } catch let error as FoldInError { foldIn = .failure(error) } catch {
            foldIn = .failure(FoldInError("\(error)"))
        }
    }

    func item(_ movie: Int, _ score: Float) -> Item {
        Item(movieID: file.metadata.movieIDs[movie], title: file.metadata.titles[movie], year: Int(file.metadata.years[movie]),
             genres: genres[movie], score: score)
    }

    /// The user's index when they have training ratings in the model.
    func knownUser(_ userID: Int64) -> Int? {
        guard let user = userIndex[userID], !file.trainingMovies.range(user).isEmpty else { return nil }
        return user
    }

    /// The top `k` movies for a user by the ranking head, never one they rated in training: the
    /// same lists `evaluate` measures (`ModelFile.rank`, in `Ranking`). A user without training ratings gets
    /// the most popular movies, marked as a cold-start answer.
    public func recommend(userID: Int64, k requested: Int) -> Recommendations {
        let k = max(0, requested)
        var answer = Recommendations(model: name, version: version, user: userID, coldStart: true, items: [])
        guard let user = knownUser(userID) else {
            answer.items = popularity.prefix(k).map { item(Int($0), counts[Int($0)]) }
            return answer
        }
        answer.coldStart = false
        let ranked: [(movie: Int32, score: Float)]
        if k <= Self.cachedListLength {
            let list = lists.withLock { $0[user] } ?? {
                var computed: (movies: [Int32], scores: [Float]) = ([], [])
                file.rank(users: user..<(user + 1), k: Self.cachedListLength) { _, best, scores in
                    computed = (best, best.map { scores[Int($0)] })
                }
                lists.withLock { if $0.count < Self.cachedUsers { $0[user] = computed } }
                return computed
            }()
            ranked = Array(zip(list.movies.prefix(k), list.scores).map { ($0, $1) })
        } else {
            var all: [(movie: Int32, score: Float)] = []
            file.rank(users: user..<(user + 1), k: k) { _, best, scores in all = best.map { ($0, scores[Int($0)]) } }
            ranked = all
        }
        answer.items = explained(ranked, user: user)
        return answer
    }

    /// One of this model's answers as JSON: `answer.jsonData`'s bytes, each movie's fixed part
    /// copied from the version's `MovieFragments` (an answer of another model: `jsonData`).
    public func encoded(_ answer: Recommendations) -> Data {
        answer.encoded(fragments: answer.model == name && answer.version == version ? fragments : nil)
    }

    /// `recommend`'s answer as JSON (`JSON.data`), encoded once per (user, k) and kept.
    public func encodedRecommendations(userID: Int64, k: Int) -> Data {
        guard let user = knownUser(userID), k <= Self.cachedListLength else { return encoded(recommend(userID: userID, k: k)) }
        let key = AnswerKey(user: user, k: k)
        if let data = answers.withLock({ $0.byKey[key] }) { return data }
        let data = encoded(recommend(userID: userID, k: k))
        answers.withLock { cache in
            guard cache.bytes + data.count <= Self.cachedAnswerBytes, cache.byKey[key] == nil else { return }
            cache.byKey[key] = data
            cache.bytes += data.count
        }
        return data
    }

    /// Computes every training user's list and encodes their answer for `k` ahead of the first
    /// request: what a server does with a new version *before* it swaps it in
    /// (`ModelRegistry.refresh`), so a promote does not turn the old version's cached answers
    /// into thousands of first-time rankings under load. Each user through
    /// `encodedRecommendations` itself (the same list, the same bytes as a request would have
    /// made), users in index order, on the calling thread with BLAS on one thread (process-wide:
    /// requests' BLAS calls meanwhile run on one thread too) — on two cores the other keeps
    /// serving. Stops where the caches stop (`cachedUsers` lists,
    /// `cachedAnswerBytes` answers) or at `deadline` (the users after it are computed on their
    /// first request, as before: only the latency differs, never the bytes). Returns the users
    /// warmed.
    ///
    ///     let model = try StoredModel.open(store: "Artifacts", reference: "movielens-1m@7")
    ///     model.warm()        // 6,040 users; GET …/users/42/recommendations is then a lookup
    @discardableResult
    public func warm(k: Int = 10, until deadline: ContinuousClock.Instant? = nil) -> Int {
        let k = max(1, min(k, Self.cachedListLength))
        var warmed = 0
        Parallel.withBLASThreads(1) {
            for (user, id) in file.metadata.userIDs.enumerated() where !file.trainingMovies.range(user).isEmpty {
                guard warmed < Self.cachedUsers, answers.withLock({ $0.bytes }) < Self.cachedAnswerBytes else { return }
                if let deadline, warmed % 64 == 0, ContinuousClock.now >= deadline { return }
                _ = encodedRecommendations(userID: id, k: k)
                warmed += 1
            }
        }
        return warmed
    }

    /// The rating head's prediction for a user and a movie (see `Prediction` for the fallbacks).
    /// Bad input: a movie id not in the model, or a model that predicts no ratings.
    public func predict(userID: Int64, movieID: Int64) throws -> Prediction {
        guard let head = file.rating, let factors = head.model.factors else {
            throw StoreError(.badInput, "\(name)@\(version) (\(file.algorithm)) predicts no ratings: publish a model with a rating head (als, bpmf, or a combined model)")
        }
        guard let movie = movieIndex[movieID] else {
            throw StoreError(.badInput, "movie \(movieID) is not in \(name)@\(version) (its \(file.metadata.movieCount) movies are those of the training data)")
        }
        let user = knownUser(userID)
        let movieKnown = counts[movie] > 0
        let value: Float, basis: String
        switch (user, movieKnown) {
        case (let user?, true):
            value = factors.rawPrediction(user: user, movie: movie)
            basis = "model (\(head.algorithm))"
        case (nil, true):
            value = factors.globalMean + factors.movieBias[movie]
            basis = "unknown user: global mean + movie bias"
        case (let user?, false):
            if let cold = file.coldMovieRating(user: user, movie: movie) {
                value = cold
                basis = "movie without training ratings: content baseline (its genres, year and title; the user's ratings)"
            } else {
                value = factors.globalMean + factors.userBias[user]
                basis = "movie without training ratings: global mean + user bias"
            }
        case (nil, false):
            value = factors.globalMean
            basis = "unknown user and movie without training ratings: global mean"
        }
        let rating = file.metadata.clip(value)
        return Prediction(model: name, version: version, user: userID, movie: item(movie, rating), rating: rating,
                          coldStart: user == nil || !movieKnown, basis: basis)
    }

    /// Where "movies like this one" come from, in words.
    public var similarSource: String {
        let head = file.neighboursFrom == .rating ? file.rating : file.rankingHead
        let measure = file.neighbours.similarity == .cosine ? "cosine of its movie factors" : "its largest weights B[i, j]"
        return "the \(file.neighboursFrom.rawValue) head (\(head?.algorithm ?? "?")): \(measure)"
    }

    /// Where `movieID`'s neighbours come from, in words: `similarSource`, or for a movie answered
    /// from its content features, that cosine.
    public func similarSource(of movieID: Int64) -> String {
        guard let movie = movieIndex[movieID], case .content = neighbourSource(of: movie) else { return similarSource }
        return "its content: cosine of genres, decade, year, title words\(file.metadata.tags.contains { !$0.isEmpty } ? " and tags" : "") (it has \(Int(counts[movie])) training ratings, fewer than \(ContentNeighbours.ratingsNeeded))"
    }

    /// What a movie's neighbours come from: `ratings` for a movie with at least
    /// `ContentNeighbours.ratingsNeeded` training ratings (the head's learned vectors or weights);
    /// `content` for one with fewer — the cosine of their content features (`ContentNeighbours`),
    /// or, for a movie without training ratings that has stored neighbours, its row of a content-
    /// completed EASE (`cold_movies content`: mapped from its genres, year and title); `none`
    /// when there are none.
    public func similarBasis(_ movieID: Int64) -> String {
        guard let movie = movieIndex[movieID] else { return "none" }
        switch neighbourSource(of: movie) {
        case .stored: return counts[movie] > 0 ? "ratings" : "content"
        case .content: return "content"
        case .none: return "none"
        }
    }

    enum NeighbourSource { case stored, content, none }

    func neighbourSource(of movie: Int) -> NeighbourSource {
        let stored = !file.neighbours.of(movie).isEmpty
        if counts[movie] >= Float(ContentNeighbours.ratingsNeeded) || (counts[movie] == 0 && stored) { return stored ? .stored : .none }
        return content.hasFeatures(movie) ? .content : (stored ? .stored : .none)
    }

    /// Movies like `movieID`, best first (`similarBasis` says from what): its stored neighbours,
    /// or for a movie with few training ratings the nearest by content (score: the cosine).
    public func similar(movieID: Int64, k: Int) throws -> [Item] {
        guard let movie = movieIndex[movieID] else {
            throw StoreError(.badInput, "movie \(movieID) is not in \(name)@\(version) (no ratings in its training data)")
        }
        switch neighbourSource(of: movie) {
        case .content: return content.nearest(to: movie, k: max(0, k)).map { item($0.movie, $0.score) }
        case .stored, .none: return file.neighbours.of(movie).prefix(max(0, k)).map { item($0.movie, $0.score) }
        }
    }

    /// Movies like the one titled `title` (case-insensitive; an exact title wins, else a unique
    /// substring match). An ambiguous title is an error listing the candidates.
    public func similar(title: String, k: Int) throws -> (movie: Item, similar: [Item]) {
        let movie = try findMovie(title)
        return (item(movie, 0), try similar(movieID: file.metadata.movieIDs[movie], k: k))
    }

    /// The movie with this MovieLens id (score 0), or nil when the model does not have it.
    public func movie(_ movieID: Int64) -> Item? { movieIndex[movieID].map { item($0, 0) } }

    /// The movies a user rated highest in training (score: their rating; ties: most rated
    /// first), at most `limit`; empty for an unknown user or a file without training ratings.
    public func ratedHighest(userID: Int64, limit: Int) -> [Item] {
        guard let user = knownUser(userID), let ratings = file.trainingRatings else { return [] }
        let entries = file.trainingMovies.range(user).sorted {
            ratings[$0] != ratings[$1] ? ratings[$0] > ratings[$1]
                : counts[Int(file.trainingMovies.columns[$0])] != counts[Int(file.trainingMovies.columns[$1])]
                    ? counts[Int(file.trainingMovies.columns[$0])] > counts[Int(file.trainingMovies.columns[$1])] : $0 < $1
        }
        return entries.prefix(max(0, limit)).map { item(Int(file.trainingMovies.columns[$0]), ratings[$0]) }
    }

    /// Movies whose title contains `query` (case-insensitive), most rated first, at most `limit`.
    public func search(title query: String, limit: Int) -> [Item] {
        let wanted = query.lowercased()
        let matches = lowercasedTitles.indices.filter { lowercasedTitles[$0].contains(wanted) }
        return matches.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }.prefix(max(0, limit)).map { item($0, counts[$0]) }
    }

    func findMovie(_ title: String) throws -> Int {
        let wanted = title.lowercased()
        let titles = file.metadata.titles
        if let exact = lowercasedTitles.firstIndex(of: wanted) { return exact }
        let matches = lowercasedTitles.indices.filter { lowercasedTitles[$0].contains(wanted) }
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty { throw StoreError(.badInput, "no movie title contains '\(title)'") }
        let shown = matches.prefix(15).map { "  \(file.metadata.movieIDs[$0])  \(titles[$0])" }.joined(separator: "\n")
        throw StoreError(.badInput, "'\(title)' matches \(matches.count) movies; be more specific:\n\(shown)" + (matches.count > 15 ? "\n  …" : ""))
    }
}
