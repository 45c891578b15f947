import Essentials
import Foundation
import ProjectorClient

/// The JSON body of the fold-in routes (`POST …/recommendations`, `POST …/predictions`), read
/// strictly: an object with only the route's fields, each of its declared type; anything else is
/// a 400 naming the field. The person is `user_id`, `ratings` or both.
///
///     {"ratings": [{"movie_id": 1, "rating": 5}, {"movie_id": 2571, "rating": 4}], "k": 10}
///     {"user_id": 42, "movie_ids": [1, 260]}
///     {"ratings": [{"movie_id": 1, "rating": 5}], "attributes": {"gender": "F", "age": 23, "occupation": 4, "zip": "55455"}}
public struct PersonRequest: Sendable, Equatable {
    public var userID: Int64?
    public var ratings: [StoredModel.GivenRating]
    /// What the person says of themselves (`attributes`): each field optional.
    public var attributes: StoredModel.PersonAttributes?
    public var k: Int
    public var candidates: [Int64]?
    public var movieIDs: [Int64]

    /// The fields each route takes.
    public enum Route: Sendable {
        case recommendations, predictions
        var fields: [String] {
            switch self {
            case .recommendations: ["user_id", "ratings", "attributes", "k", "candidates"]
            case .predictions: ["user_id", "ratings", "attributes", "movie_ids"]
            }
        }
    }

    /// Reads a body; bad input throws a 400 naming the field.
    public static func read(_ body: Data, for route: Route) throws(ServingError) -> PersonRequest {
        // The common body (ratings, k, user_id; nothing unusual) without a JSON tree: `readCommon`.
        if case .recommendations = route, let common = readCommon(body) { return common }
        return try readGeneral(body, for: route)
    }

    /// `read` through a `JSONValue` tree: every body, every error.
    static func readGeneral(_ body: Data, for route: Route) throws(ServingError) -> PersonRequest {
        guard !body.isEmpty else { throw .badRequest("body: empty; send a JSON object with \(route.fields.joined(separator: ", "))") }
        let value: JSONValue
        do { value = try JSONValue.parse(body) } catch {
            throw .badRequest("body: not JSON (\(error))")
        }
        guard case .object(let fields) = value else { throw .badRequest("body: must be a JSON object, not \(Self.kind(value))") }
        for key in fields.keys.sorted() where !route.fields.contains(key) {
            throw .badRequest("body: unknown field '\(key.prefix(40))' (this route takes \(route.fields.joined(separator: ", ")))")
        }
        var request = PersonRequest(userID: nil, ratings: [], attributes: nil, k: 10, candidates: nil, movieIDs: [])
        if let user = fields["user_id"] { request.userID = try integer(user, "user_id") }
        if let ratings = fields["ratings"] {
            let list = try array(ratings, "ratings", limit: StoredModel.maximumGiven)
            request.ratings = try list.enumerated().map { index, entry throws(ServingError) in
                // The field's name only when an error needs it (per rating, it was a tenth of reading a body).
                var field: String { "ratings[\(index)]" }
                guard case .object(let pair) = entry else { throw .badRequest("\(field): must be an object {movie_id, rating}, not \(kind(entry))") }
                if pair.keys.contains(where: { $0 != "movie_id" && $0 != "rating" }) {
                    for key in pair.keys.sorted() where key != "movie_id" && key != "rating" {
                        throw .badRequest("\(field): unknown field '\(key.prefix(40))' (a rating is {movie_id, rating})")
                    }
                }
                guard let movie = pair["movie_id"] else { throw .badRequest("\(field).movie_id is required") }
                guard let rating = pair["rating"] else { throw .badRequest("\(field).rating is required") }
                guard let stars = number(rating), stars.isFinite, abs(stars) <= 1e6 else {
                    throw .badRequest("\(field).rating: must be a number on the model's scale, not \(kind(rating))")
                }
                return StoredModel.GivenRating(movieID: try integer(movie, "\(field).movie_id"), rating: Float(stars))
            }
        }
        if let attributes = fields["attributes"] { request.attributes = try Self.attributes(attributes) }
        guard request.userID != nil || fields["ratings"] != nil || request.attributes != nil else {
            throw .badRequest("body: give user_id, ratings, attributes, or several of them")
        }
        switch route {
        case .recommendations:
            if let k = fields["k"] {
                let value = try integer(k, "k")
                guard (1...Int64(StoredModel.maximumK)).contains(value) else {
                    throw .badRequest("k: must be a whole number from 1 to \(StoredModel.maximumK), not \(value)")
                }
                request.k = Int(value)
            }
            if let candidates = fields["candidates"] {
                let list = try array(candidates, "candidates", limit: StoredModel.maximumGiven)
                guard !list.isEmpty else { throw .badRequest("candidates: give at least one movie id (or leave candidates out: every movie)") }
                request.candidates = try list.enumerated().map { index, id throws(ServingError) in try integer(id, "candidates[\(index)]") }
                // k's default is at most the candidates given (an explicit k above them is refused).
                if fields["k"] == nil { request.k = min(request.k, list.count) }
            }
        case .predictions:
            guard let ids = fields["movie_ids"] else { throw .badRequest("movie_ids is required: the movies to predict") }
            let list = try array(ids, "movie_ids", limit: StoredModel.maximumGiven)
            guard !list.isEmpty else { throw .badRequest("movie_ids: give at least one movie id") }
            request.movieIDs = try list.enumerated().map { index, id throws(ServingError) in try integer(id, "movie_ids[\(index)]") }
        }
        return request
    }

    /// The fields of `attributes`.
    static let attributeFields = ["gender", "age", "occupation", "zip"]

    /// `{"gender": "F"|"M", "age": whole number, "occupation": text or whole number, "zip": text}`,
    /// each optional (null: not given).
    static func attributes(_ value: JSONValue) throws(ServingError) -> StoredModel.PersonAttributes {
        guard case .object(let fields) = value else { throw .badRequest("attributes: must be an object {gender, age, occupation, zip}, not \(kind(value))") }
        for key in fields.keys.sorted() where !attributeFields.contains(key) {
            throw .badRequest("attributes: unknown field '\(key.prefix(40))' (attributes are \(attributeFields.joined(separator: ", ")))")
        }
        func text(_ name: String, numbers: Bool) throws(ServingError) -> String? {
            switch fields[name] {
            case nil, .null?: return nil
            case .string(let text)?:
                guard !text.isEmpty, text.count <= 100 else { throw .badRequest("attributes.\(name): must be 1 to 100 characters, not \(text.count)") }
                return text
            case let other?:
                if numbers, case .int(let number) = other { return String(number) }
                throw .badRequest("attributes.\(name): must be \(numbers ? "text or a whole number" : "text"), not \(kind(other))")
            }
        }
        var result = StoredModel.PersonAttributes()
        result.gender = try text("gender", numbers: false)
        if let gender = result.gender, gender != "F", gender != "M" { throw .badRequest("attributes.gender: must be \"F\" or \"M\" (as MovieLens records it), not \"\(gender.prefix(20))\"") }
        if let age = fields["age"], age != .null {
            let years = try integer(age, "attributes.age")
            guard (1...200).contains(years) else { throw .badRequest("attributes.age: must be from 1 to 200 (years, or ML-1M's age-group code), not \(years)") }
            result.age = Int(years)
        }
        result.occupation = try text("occupation", numbers: true)
        result.zip = try text("zip", numbers: false)
        guard result != StoredModel.PersonAttributes() else {
            throw .badRequest("attributes: give at least one of \(attributeFields.joined(separator: ", ")) (or leave attributes out)")
        }
        return result
    }

    static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let number): Double(number)
        case .unsigned(let number): Double(number)
        case .double(let number): number
        default: nil
        }
    }

    static func integer(_ value: JSONValue, _ field: @autoclosure () -> String) throws(ServingError) -> Int64 {
        switch value {
        case .int(let number): return Int64(number)
        case .unsigned(let number) where number <= UInt64(Int64.max): return Int64(number)
        case .double(let number) where number.rounded() == number && abs(number) < 9.2e18: return Int64(number)
        default: throw .badRequest("\(field()): must be a whole number, not \(kind(value))")
        }
    }

    static func array(_ value: JSONValue, _ field: String, limit: Int) throws(ServingError) -> [JSONValue] {
        guard case .array(let list) = value else { throw .badRequest("\(field): must be a list, not \(kind(value))") }
        guard list.count <= limit else { throw .badRequest("\(field): \(list.count) given, at most \(limit)") }
        return list
    }

    static func kind(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .int(let number): "\(number)"
        case .unsigned(let number): "\(number)"
        case .double(let number): "\(number)"
        case .string(let text): "the string \"\(text.prefix(20))\(text.count > 20 ? "…" : "")\""
        case .array: "a list"
        case .object: "an object"
        }
    }
}
