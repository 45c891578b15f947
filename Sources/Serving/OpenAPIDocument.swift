import HTTPTypes

/// `openapi.yaml`, generated: the paths and their parameters from `HTTPAPI.routes` (the
/// declarations the server enforces), the answers' schemas from `components` below. `serve
/// --openapi` prints it; a test keeps `Sources/serve/openapi.yaml` equal to it, and another
/// checks every answer of a running server against these schemas.
public enum OpenAPIDocument {
    /// The whole document.
    public static var yaml: String {
        var lines = [header, "paths:"]
        // One path item per path, its operations in the routes' order.
        var paths: [String] = []
        for route in HTTPAPI.routes where !paths.contains(route.path) { paths.append(route.path) }
        for route in paths.flatMap({ path in HTTPAPI.routes.filter { $0.path == path } }) {
            if !lines.contains("  \(route.path):") { lines.append("  \(route.path):") }
            lines.append("    \(route.method.rawValue.lowercased()):")
            lines.append("      summary: \(quoted(route.summary))")
            if !route.parameters.isEmpty {
                lines.append("      parameters:")
                for parameter in route.parameters { lines.append("        - " + yaml(parameter)) }
            }
            if let body = route.requestBody {
                lines.append("      requestBody: {required: \(route.requestRequired), content: {\(route.requestType): {schema: {$ref: \"#/components/schemas/\(body)\"}}}}")
            }
            lines.append("      responses:")
            for response in route.responses { lines.append("        \"\(response.status)\": " + yaml(response)) }
        }
        return (lines + [components]).joined(separator: "\n")
    }

    static func yaml(_ parameter: APIParameter) -> String {
        var fields = ["name: \(parameter.name)", "in: \(parameter.location.rawValue)", "required: \(parameter.required)"]
        let schema: String = switch parameter.schema {
        case .integer(let minimum, let maximum, let defaultValue):
            (["type: integer", "format: int64"] + [minimum.map { "minimum: \($0)" }, maximum.map { "maximum: \($0)" },
                                                   defaultValue.map { "default: \($0)" }].compactMap { $0 }).joined(separator: ", ")
        case .text(let maxLength): "type: string, pattern: \(quoted("[^ ]")), maxLength: \(maxLength)"
        case .reference: "type: string, pattern: \(quoted(HTTPAPI.refPattern))"
        }
        fields.append("schema: {\(schema)}")
        if let description = parameter.description { fields.append("description: \(quoted(description))") }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    static func yaml(_ response: APIResponse) -> String {
        if let reference = response.reference { return "{$ref: \"#/components/responses/\(reference)\"}" }
        let schema = response.schema.map { "{$ref: \"#/components/schemas/\($0)\"}" } ?? "{type: string}"
        return "{description: \(quoted(response.description)), content: {\(response.type!): {schema: \(schema)}}}"
    }

    /// A YAML double-quoted scalar.
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    static let header = """
    openapi: 3.0.3
    info:
      title: Projector serve
      version: "1"
      description: |
        Recommendations, rating predictions and "movies like this one" from the models of a
        Projector store, following the store's aliases (publish, promote, rollback) without a
        restart. Every JSON key is snake_case; every error is {error, detail}.
        `ref` is NAME, NAME@VERSION or NAME@ALIAS; a bare name means production, else latest.
        Generated from the routes' declarations in Sources/Serving/HTTPAPI.swift (serve --openapi),
        which the server enforces; Tests/EndToEndTests/ServeTests.swift checks every route's answer
        against these schemas (no undeclared key, every required key, the declared types).
    servers:
      - url: http://127.0.0.1:8080
    """

    /// The answers' shapes (what `ServingAPI`'s types encode), shared by the routes.
    static let components = """
    components:
      responses:
        BadRequest: {description: a bad parameter, content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
        NotFound: {description: an unknown model, version, alias, movie or route, content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
        TooLarge: {description: "the request body is larger than 4 MiB", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
        NotReady: {description: "not ready: models still loading, or the version named was refused", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
      schemas:
        Error:
          type: object
          required: [error, detail]
          properties:
            error: {type: string, description: "bad_request, not_found, not_ready or internal"}
            detail: {type: string}
        Health:
          type: object
          required: [status]
          properties: {status: {type: string}}
        Readiness:
          type: object
          required: [ready, up_to_date, served, refused]
          properties:
            ready: {type: boolean}
            up_to_date: {type: boolean, description: every alias serves the version it names}
            served: {type: object, additionalProperties: {type: object, additionalProperties: {type: integer}}}
            refused:
              type: array
              items:
                type: object
                required: [model, version, aliases, error]
                properties:
                  model: {type: string}
                  version: {type: integer}
                  aliases: {type: array, items: {type: string}}
                  error: {type: string}
        ModelList:
          type: object
          required: [models]
          properties:
            models:
              type: array
              items:
                type: object
                required: [name, versions, aliases, served]
                properties:
                  name: {type: string}
                  versions: {type: array, items: {type: integer}}
                  aliases: {type: object, additionalProperties: {type: integer}}
                  served: {type: object, additionalProperties: {type: integer}}
        Head:
          type: object
          nullable: true
          required: [algorithm, params, seed, model_kind, normalisation]
          properties:
            algorithm: {type: string}
            params: {type: object, additionalProperties: true}
            seed: {type: integer}
            model_kind: {type: string}
            normalisation: {type: string}
        ModelInfo:
          type: object
          required: [model, version, algorithm, heads, metrics, created_at, sha256, size, data_fingerprint, split, split_params, users, movies, similar]
          properties:
            model: {type: string}
            version: {type: integer}
            algorithm: {type: string}
            heads:
              type: object
              properties:
                rating: {$ref: "#/components/schemas/Head"}
                ranking: {$ref: "#/components/schemas/Head"}
            metrics: {type: object, additionalProperties: {type: number, nullable: true}}
            created_at: {type: string}
            sha256: {type: string}
            size: {type: integer}
            data_fingerprint: {type: string}
            split: {type: string}
            split_params: {type: string}
            users: {type: integer}
            movies: {type: integer}
            similar: {type: string}
        Item:
          type: object
          required: [movie_id, title, year, genres, score]
          properties:
            movie_id: {type: integer}
            title: {type: string}
            year: {type: integer, description: 0 when unknown}
            genres: {type: array, items: {type: string}}
            score: {type: number}
            rating: {type: number, description: "recommendations: the rating head's predicted stars (absent without a rating head)"}
            because:
              type: array
              description: "recommendations: the one to three rated movies that contributed most to score, largest first"
              items: {$ref: "#/components/schemas/Reason"}
        Reason:
          type: object
          required: [movie_id, title, rating, contribution]
          properties:
            movie_id: {type: integer}
            title: {type: string}
            rating: {type: number, description: the person's rating of it}
            contribution: {type: number, description: its term of the recommendation's score}
        Recommendations:
          type: object
          required: [model, version, user, cold_start, items]
          properties:
            model: {type: string}
            version: {type: integer}
            user: {type: integer, nullable: true, description: null for an anonymous history}
            cold_start: {type: boolean, description: "no usable ratings: the most popular movies"}
            items: {type: array, items: {$ref: "#/components/schemas/Item"}}
            ignored: {type: array, items: {type: integer}, description: "fold-in: the given movie ids the model does not know"}
        GivenRating:
          type: object
          additionalProperties: false
          required: [movie_id, rating]
          properties:
            movie_id: {type: integer, format: int64}
            rating: {type: number, description: "on the model's rating scale (see /v1/models/{ref}); a movie given twice: the last counts"}
        PersonAttributes:
          type: object
          additionalProperties: false
          minProperties: 1
          description: "What the person says of themselves (the user fields of MovieLens 1M and 100K), at least one: the rating head's fold-in prior is centred by them where ratings are folded in. A value no training user had is not used; 400 for a model whose users had no attributes."
          properties:
            gender: {type: string, enum: [F, M]}
            age: {type: integer, minimum: 1, maximum: 200, description: "years, or ML-1M's age-group code (1, 18, 25, 35, 45, 50, 56)"}
            occupation: {oneOf: [{type: string, minLength: 1, maxLength: 100}, {type: integer}], description: "as the release writes it (ML-1M: a code 0…20; ML-100K: a name)"}
            zip: {type: string, minLength: 1, maxLength: 100, description: "its first character (the region) is used"}
        RecommendationsRequest:
          type: object
          additionalProperties: false
          description: "user_id, ratings, attributes, or several of them"
          anyOf: [{required: [user_id]}, {required: [ratings]}, {required: [attributes]}]
          properties:
            user_id: {type: integer, format: int64}
            ratings: {type: array, maxItems: 10000, items: {$ref: "#/components/schemas/GivenRating"}}
            attributes: {$ref: "#/components/schemas/PersonAttributes"}
            k: {type: integer, minimum: 1, maximum: 1000, default: 10, description: "at most the candidates' count (the default: 10, or the candidates' count when fewer)"}
            candidates: {type: array, minItems: 1, maxItems: 10000, items: {type: integer, format: int64}}
        PageForm:
          type: object
          description: "The page's form. Each field is optional; a rate_<movieId> field (0 or empty: not rated) gives stars to a movie found by q."
          properties:
            model: {type: string, pattern: \(quoted(HTTPAPI.refPattern)), description: the model to ask (default the store's first)}
            q: {type: string, maxLength: 200, description: a part of a title}
            r: {type: array, maxItems: 10000, items: {type: string}, description: "stars given so far, movieId:stars"}
          additionalProperties: {type: string, description: "rate_<movieId>: stars for that movie"}
        PredictionsRequest:
          type: object
          additionalProperties: false
          required: [movie_ids]
          description: "movie_ids, and user_id, ratings, attributes, or several of them"
          anyOf: [{required: [user_id]}, {required: [ratings]}, {required: [attributes]}]
          properties:
            user_id: {type: integer, format: int64}
            ratings: {type: array, maxItems: 10000, items: {$ref: "#/components/schemas/GivenRating"}}
            attributes: {$ref: "#/components/schemas/PersonAttributes"}
            movie_ids: {type: array, minItems: 1, maxItems: 10000, items: {type: integer, format: int64}}
        Predictions:
          type: object
          required: [model, version, user, basis, items, ignored]
          properties:
            model: {type: string}
            version: {type: integer}
            user: {type: integer, nullable: true}
            basis: {type: string}
            items:
              type: array
              items:
                type: object
                required: [movie_id, title, year, genres, rating, cold_start]
                properties:
                  movie_id: {type: integer}
                  title: {type: string}
                  year: {type: integer}
                  genres: {type: array, items: {type: string}}
                  rating: {type: number}
                  cold_start: {type: boolean, description: "the movie has no training ratings: its stars from the model's content baseline (genres, year, title)"}
            ignored: {type: array, items: {type: integer}}
        Similar:
          type: object
          required: [model, version, movie, source, basis, items]
          properties:
            model: {type: string}
            version: {type: integer}
            movie: {$ref: "#/components/schemas/Item"}
            source: {type: string}
            basis: {type: string, description: "ratings (the movie has at least 20 training ratings: the head's learned neighbours), content (fewer: the nearest by its genres, year, title words and tags; none: its content-completed row) or none"}
            items: {type: array, items: {$ref: "#/components/schemas/Item"}}
        Prediction:
          type: object
          required: [model, version, user, movie, rating, cold_start, basis]
          properties:
            model: {type: string}
            version: {type: integer}
            user: {type: integer}
            movie: {$ref: "#/components/schemas/Item"}
            rating: {type: number}
            cold_start: {type: boolean}
            basis: {type: string}
        Search:
          type: object
          required: [model, version, query, items]
          properties:
            model: {type: string}
            version: {type: integer}
            query: {type: string}
            items: {type: array, items: {$ref: "#/components/schemas/Item"}}
    """
}
