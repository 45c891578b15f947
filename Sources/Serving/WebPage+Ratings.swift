import ArtifactStore
import Essentials
import Foundation
import ProjectorClient

extension WebPage {
    /// The page for a posted form (`POST /`, `HTTPAPI.pageRatings`): a visitor without a user id
    /// finds titles (`q`), gives them stars (`rate_<movieId>`), keeps the stars given so far
    /// (hidden `r` = `movieId:stars` fields: the ratings stay in the form, never in a URL), and
    /// sees their top 10 — each with its predicted stars and the rated movies behind it — from
    /// the model's fold-in. A malformed field is a 400 with the page.
    public func render(form body: String) async -> (status: Int, html: String) {
        var ref: String? = nil, query: String? = nil
        var given: [(movie: Int64, stars: Float)] = []
        do throws(ServingError) {
            for (name, value) in HTTPAPI.queryPairs(body) {
                switch name {
                case "model":
                    _ = try ModelReference.read(value)
                    ref = value
                case "q":
                    query = value.unicodeScalars.contains { $0 != " " } ? try HTTPAPI.pageQuery.text(value) : nil
                case "r":
                    let parts = value.split(separator: ":", omittingEmptySubsequences: false)
                    guard parts.count == 2, let movie = Int64(parts[0]), let stars = Float(parts[1]), stars.isFinite else {
                        throw .badRequest("r must be movieId:stars, not '\(value.prefix(40))'")
                    }
                    given.append((movie, stars))
                case _ where name.hasPrefix("rate_"):
                    guard let movie = Int64(name.dropFirst(5)) else { throw .badRequest("'\(name.prefix(40))' is not rate_<movieId>") }
                    guard !value.isEmpty, value != "0" else { continue }
                    guard let stars = Float(value), stars.isFinite else { throw .badRequest("\(name) must be a number of stars, not '\(value.prefix(40))'") }
                    given.append((movie, stars))
                default:
                    throw .badRequest("unknown form field '\(name.prefix(40))' (the form sends model, q, r and rate_<movieId>)")
                }
            }
            guard given.count <= StoredModel.maximumGiven else { throw .badRequest("at most \(StoredModel.maximumGiven) ratings") }
        } catch {
            return (error.status, page(ref: ref ?? defaultModel() ?? "", query: [:], body: "<p class=\"error\">\(escape(error.detail))</p>"))
        }
        guard let ref = ref ?? defaultModel() else {
            return (200, page(ref: "", query: [:], body: "<p class=\"error\">The store has no model to serve yet.</p>"))
        }
        // The last stars given for a movie count.
        var last: [Int64: Float] = [:], order: [Int64] = []
        for (movie, stars) in given {
            if last[movie] == nil { order.append(movie) }
            last[movie] = stars
        }
        let ratings = order.map { StoredModel.GivenRating(movieID: $0, rating: last[$0]!) }
        var sections: [String] = []
        var status = 200
        do throws(ServingError) {
            let model = try await api.registry.resolve(ref)
            // Stars off the model's scale: a 400 naming the movie, before anything is rendered.
            for given in ratings {
                if let problem = model.file.metadata.scale.problem(with: given.rating) {
                    throw .badRequest("stars for movie \(given.movieID): \(problem)")
                }
            }
            sections.append(ratingForm(model: model, ref: ref, ratings: ratings, query: query))
            if !ratings.isEmpty {
                let answer: StoredModel.Recommendations
                do { answer = try model.recommend(userID: nil, ratings: ratings, k: 10, candidates: nil) } catch { throw ServingError.from(error) }
                sections.append(answer.coldStart
                    ? "<h2>None of your movies is in \(escape(model.name))@\(model.version): the most popular movies</h2>\(table(answer.items, score: "ratings"))"
                    : "<h2>Your top 10</h2>\(explainedTable(answer.items, ref: ref))")
            }
        } catch {
            status = error.status == 404 ? 200 : error.status
            sections.append("<p class=\"error\">\(escape(error.detail))</p>")
        }
        return (status, page(ref: ref, query: [:], body: sections.joined(separator: "\n")))
    }

    /// The form: the stars given so far (hidden), a title search, the matches with a star choice each.
    func ratingForm(model: StoredModel, ref: String, ratings: [StoredModel.GivenRating], query: String?) -> String {
        let scale = model.file.metadata.scale
        var hidden = ratings.map { "<input type=\"hidden\" name=\"r\" value=\"\($0.movieID):\(Self.stars($0.rating))\">" }.joined()
        hidden += "<input type=\"hidden\" name=\"model\" value=\"\(escape(ref))\">"
        var found = ""
        if let query {
            let matches = model.search(title: query, limit: 20)
            // A choice per rating of the scale (up to 20 of them), else a number field.
            let choices: [Float]? = scale.levels.flatMap { levels in
                levels <= 20 ? (0..<levels).map { scale.minimum + Float($0) * scale.step } : nil
            }
            let rows = matches.map { item in
                let field = choices.map { values in
                    "<select name=\"rate_\(item.movieID)\" aria-label=\"stars for \(escape(item.title))\"><option value=\"\">–</option>"
                        + values.map { "<option value=\"\(Self.stars($0))\">\(Self.stars($0))★</option>" }.joined() + "</select>"
                } ?? "<input name=\"rate_\(item.movieID)\" inputmode=\"decimal\" size=\"5\" aria-label=\"stars for \(escape(item.title))\">"
                return "<tr><td>\(escape(item.title))</td><td>\(item.year == 0 ? "" : String(item.year))</td><td>\(field)</td></tr>"
            }.joined(separator: "\n")
            found = matches.isEmpty ? "<p>No title contains “\(escape(query))”.</p>"
                : "<table><tr><th>title</th><th>year</th><th>your stars</th></tr>\n\(rows)</table>"
        }
        let mine = ratings.isEmpty ? "<p class=\"muted\">No stars given yet: find a title, give it stars, and press Recommend.</p>"
            : "<p>Your stars: " + ratings.map { given in
                "\(escape(model.movie(given.movieID)?.title ?? "movie \(given.movieID) (not in the model)")) \(Self.stars(given.rating))★"
            }.joined(separator: " · ") + "</p>"
        return "<form method=\"post\" action=\"/\">\(hidden)<h2>Rate movies</h2>\(mine)"
            + "<label>Title <input name=\"q\" size=\"24\" value=\"\(escape(query ?? ""))\"></label> <button>Find</button>\n\(found)"
            + "<p><button>Recommend</button></p></form>"
    }

    /// Recommendations with their predicted stars and the rated movies behind each.
    func explainedTable(_ items: [StoredModel.Item], ref: String) -> String {
        let rows = items.enumerated().map { rank, item in
            let because = (item.because ?? []).map { "\(escape($0.title)) (\(Self.stars($0.rating))★)" }.joined(separator: ", ")
            let link = "<a href=\"/?model=\(escape(ref))&amp;movie=\(item.movieID)\">\(escape(item.title))</a>"
            let predicted = item.rating.map { String(format: "%.1f★", $0) } ?? ""
            return "<tr><td>\(rank + 1)</td><td>\(link)</td><td>\(item.year == 0 ? "" : String(item.year))</td><td class=\"num\">\(predicted)</td><td class=\"muted\">\(because.isEmpty ? "" : "because you rated " + because)</td></tr>"
        }.joined(separator: "\n")
        return "<table><tr><th>#</th><th>title</th><th>year</th><th>predicted</th><th>why</th></tr>\n\(rows)</table>"
    }

    /// Stars as a form value and label: 4, 3.5.
    static func stars(_ value: Float) -> String { Int(exactly: value).map(String.init) ?? String(value) }
}
