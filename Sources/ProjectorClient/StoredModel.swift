import ArtifactStore
import Essentials
import Foundation
import Models

/// A published model, opened for serving: verified against its manifest's sha256, then answering
/// recommendations and "movies like this one" in original MovieLens ids.
///
///     let model = try StoredModel.open(store: "Artifacts", reference: "movielens-1m@production")
///     let answer = model.recommend(userID: 42, k: 10)   // never a movie user 42 already rated
///     answer.coldStart                                 // true for an unknown user: most popular movies
///     let near = try model.similar(title: "toy story (1995)", k: 10)
public final class StoredModel: Sendable {
    public struct Item: Sendable, Equatable, Codable {
        public var movieID: Int64
        public var title: String
        /// Predicted rating (factor models), EASE score, cosine similarity, or training count
        /// (cold start), by context.
        public var score: Float
    }

    public struct Recommendations: Sendable, Equatable {
        public var items: [Item]
        /// The user is unknown to the model: these are the most popular movies.
        public var coldStart: Bool
    }

    public let name: String
    public let version: Int
    public let manifest: Manifest
    public let file: ModelFile
    private let userIndex: [Int64: Int]
    private let movieIndex: [Int64: Int]
    private let popularity: [Int32]

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
    }

    private let counts: [Float]

    func item(_ movie: Int, _ score: Float) -> Item {
        Item(movieID: file.metadata.movieIDs[movie], title: file.metadata.titles[movie], score: score)
    }

    /// The top `k` movies for a user, never one they rated in training. An unknown user gets the
    /// most popular movies, marked as a cold-start answer.
    public func recommend(userID: Int64, k requested: Int) -> Recommendations {
        let k = max(0, requested)
        guard let user = userIndex[userID] else {
            return Recommendations(items: popularity.prefix(k).map { item(Int($0), counts[Int($0)]) }, coldStart: true)
        }
        var scores = file.model.scores(users: user..<(user + 1), training: file.trainingMovies)
        for entry in file.trainingMovies.range(user) { scores.values[Int(file.trainingMovies.columns[entry])] = -.infinity }
        // Rank by the raw score: clipping first would tie every movie predicted above the top of
        // the scale and hand the order to the movie index.
        let best = topK(scores.values, k: k)
        guard let factors = file.model.factors else {
            return Recommendations(items: best.map { item($0, scores.values[$0]) }, coldStart: false)
        }
        // Factor scores leave out the global mean and the user's bias (they do not change the
        // order); add them back so the score shown is the predicted rating.
        let shift = factors.globalMean + factors.userBias[user]
        return Recommendations(items: best.map { item($0, file.metadata.clip(scores.values[$0] + shift)) }, coldStart: false)
    }

    /// Movies like `movieID`: its stored cosine neighbours, best first.
    public func similar(movieID: Int64, k: Int) throws -> [Item] {
        guard let movie = movieIndex[movieID] else {
            throw StoreError(.badInput, "movie \(movieID) is not in \(name)@\(version) (no ratings in its training data)")
        }
        return file.neighbours.of(movie).prefix(max(0, k)).map { item($0.movie, $0.score) }
    }

    /// Movies like the one titled `title` (case-insensitive; an exact title wins, else a unique
    /// substring match). An ambiguous title is an error listing the candidates.
    public func similar(title: String, k: Int) throws -> (movie: Item, similar: [Item]) {
        let movie = try findMovie(title)
        return (item(movie, 0), try similar(movieID: file.metadata.movieIDs[movie], k: k))
    }

    func findMovie(_ title: String) throws -> Int {
        let wanted = title.lowercased()
        let titles = file.metadata.titles
        if let exact = titles.indices.filter({ titles[$0].lowercased() == wanted }).first { return exact }
        let matches = titles.indices.filter { titles[$0].lowercased().contains(wanted) }
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty { throw StoreError(.badInput, "no movie title contains '\(title)'") }
        let shown = matches.prefix(15).map { "  \(file.metadata.movieIDs[$0])  \(titles[$0])" }.joined(separator: "\n")
        throw StoreError(.badInput, "'\(title)' matches \(matches.count) movies; be more specific:\n\(shown)" + (matches.count > 15 ? "\n  …" : ""))
    }
}
