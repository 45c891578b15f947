import ArtifactStore
import Essentials
import Foundation
import ModelFormat
import ProjectorClient

/// The JSON API, without HTTP: each route's answer from its path and query parameters as text,
/// read through their declarations (`HTTPAPI`). The router (`ServingApplication`) maps routes to
/// these functions and errors to their status; the tests call them directly, in-process through
/// the router, and through a real server.
///
///     let api = ServingAPI(registry: registry)
///     try await api.recommendations(ref: "movielens-1m", userID: "42", k: "10")
public struct ServingAPI: Sendable {
    public let registry: ModelRegistry

    public init(registry: ModelRegistry) { self.registry = registry }

    // MARK: Answers

    public struct ModelList: Encodable, Sendable {
        public struct Entry: Encodable, Sendable {
            public var name: String
            public var versions: [Int]
            /// alias → version, as the store's alias files say.
            public var aliases: [String: Int]
            /// alias → version this server answers with (differs while a new version is refused).
            public var served: [String: Int]
        }
        public var models: [Entry]
    }

    /// `GET /v1/models`.
    public func models() throws(ServingError) -> ModelList {
        let store = registry.store
        let served = registry.served
        do {
            return ModelList(models: try store.names().map { name in
                ModelList.Entry(name: name, versions: try store.versions(name), aliases: try store.aliases(name).mapValues(\.version),
                                served: served[name] ?? [:])
            })
        } catch {
            throw ServingError.failure("cannot read the store: \(error)")
        }
    }

    /// What the store says of the version (its manifest's `ModelCard`: algorithm, heads, metrics,
    /// data) and what the server knows of it.
    public struct ModelInfo: Encodable, Sendable {
        public var model: String
        public var version: Int
        public var createdAt: String
        public var sha256: String
        public var size: Int
        public var users: Int
        public var movies: Int
        public var similar: String
        public var card: ModelCard
        enum CodingKeys: String, CodingKey { case model, version, sha256, size, users, movies, similar, createdAt = "created_at" }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeEach([.model: model, .version: version, .createdAt: createdAt, .sha256: sha256, .size: size,
                              .users: users, .movies: movies, .similar: similar])
            try card.encode(to: encoder)
        }
    }

    /// `GET /v1/models/{ref}`: the version served for `ref`.
    public func model(ref: String) async throws(ServingError) -> ModelInfo {
        let model = try await registry.resolve(ref)
        let manifest = model.manifest
        return ModelInfo(model: model.name, version: model.version, createdAt: manifest.createdAt, sha256: manifest.sha256,
                         size: manifest.size, users: model.file.metadata.userCount, movies: model.file.metadata.movieCount,
                         similar: model.similarSource, card: manifest.model)
    }

    /// `GET /v1/models/{ref}/users/{userId}/recommendations?k=10`.
    public func recommendations(ref: String, userID: String, k: String?) async throws(ServingError) -> StoredModel.Recommendations {
        let user = try HTTPAPI.userID.integer(userID)!, count = try HTTPAPI.k.count(k)
        return try await registry.resolve(ref).recommend(userID: user, k: count)
    }

    /// The same answer as JSON bytes, encoded once per (user, k) per version (the route's hot path).
    public func recommendationsJSON(ref: String, userID: String, k: String?) async throws(ServingError) -> Data {
        let user = try HTTPAPI.userID.integer(userID)!, count = try HTTPAPI.k.count(k)
        return try await registry.resolve(ref).encodedRecommendations(userID: user, k: count)
    }

    public struct Similar: Encodable, Sendable {
        public var model: String
        public var version: Int
        public var movie: StoredModel.Item
        /// Which similarity, from which head.
        public var source: String
        /// `ratings` (at least 20 training ratings: the head's learned neighbours), `content` (fewer:
        /// from its content) or `none` (`StoredModel.similarBasis`).
        public var basis: String
        public var items: [StoredModel.Item]
    }

    /// `GET /v1/models/{ref}/movies/{movieId}/similar?k=10`.
    public func similar(ref: String, movieID: String, k: String?) async throws(ServingError) -> Similar {
        let movie = try HTTPAPI.movieID.integer(movieID)!, count = try HTTPAPI.k.count(k)
        let model = try await registry.resolve(ref)
        do {
            guard let item = model.movie(movie) else { throw ServingError.notFound("movie \(movie) is not in \(model.name)@\(model.version)") }
            return Similar(model: model.name, version: model.version, movie: item, source: model.similarSource(of: movie),
                           basis: model.similarBasis(movie), items: try model.similar(movieID: movie, k: count))
        } catch {
            throw ServingError.from(error)
        }
    }

    /// `GET /v1/models/{ref}/users/{userId}/movies/{movieId}/prediction`.
    public func prediction(ref: String, userID: String, movieID: String) async throws(ServingError) -> StoredModel.Prediction {
        let user = try HTTPAPI.userID.integer(userID)!, movie = try HTTPAPI.movieID.integer(movieID)!
        let model = try await registry.resolve(ref)
        guard model.movie(movie) != nil else { throw .notFound("movie \(movie) is not in \(model.name)@\(model.version)") }
        do { return try model.predict(userID: user, movieID: movie) } catch { throw ServingError.from(error) }
    }

    public struct Search: Encodable, Sendable {
        public var model: String
        public var version: Int
        public var query: String
        public var items: [StoredModel.Item]
    }

    /// `GET /v1/models/{ref}/movies?q=toy+story&limit=20`: titles containing `q`, most rated first.
    public func movies(ref: String, query: String?, limit: String?) async throws(ServingError) -> Search {
        let query = try HTTPAPI.q.text(query)!
        let count = try HTTPAPI.limit.count(limit)
        let model = try await registry.resolve(ref)
        return Search(model: model.name, version: model.version, query: query, items: model.search(title: query, limit: count))
    }

    /// `POST /v1/models/{ref}/recommendations`: fold-in (`PersonRequest`, `StoredModel.recommend(userID:ratings:k:candidates:)`).
    public func personRecommendations(ref: String, body: Data) async throws(ServingError) -> Data {
        let (model, answer) = try await personAnswer(ref: ref, body: body)
        return model.encoded(answer)
    }

    /// The same answer as a value.
    public func personRecommendationsAnswer(ref: String, body: Data) async throws(ServingError) -> StoredModel.Recommendations {
        try await personAnswer(ref: ref, body: body).answer
    }

    func personAnswer(ref: String, body: Data) async throws(ServingError) -> (model: StoredModel, answer: StoredModel.Recommendations) {
        let request = try PersonRequest.read(body, for: .recommendations)
        let model = try await registry.resolve(ref)
        do {
            return (model, try model.recommend(userID: request.userID, ratings: request.ratings, attributes: request.attributes, k: request.k, candidates: request.candidates))
        } catch {
            throw ServingError.from(error)
        }
    }

    /// `POST /v1/models/{ref}/predictions`: the rating head's stars for `movie_ids`, for the person.
    public func personPredictions(ref: String, body: Data) async throws(ServingError) -> StoredModel.Predictions {
        let request = try PersonRequest.read(body, for: .predictions)
        let model = try await registry.resolve(ref)
        do {
            return try model.predict(userID: request.userID, ratings: request.ratings, attributes: request.attributes, movieIDs: request.movieIDs)
        } catch {
            throw ServingError.from(error)
        }
    }
}
