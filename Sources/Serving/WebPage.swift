import ArtifactStore
import Essentials
import Foundation
import ProjectorClient

/// The page at `/`: server-rendered HTML, no scripts, no external assets. Enter a user id → their
/// top 10 beside the movies they rated highest in training; type a title → the matches, each
/// linking to "movies like this one"; no user id → rate movies in a form that posts (`POST /`)
/// and see a top 10 with predicted stars and the rated movies behind each (fold-in).
///
///     GET /?user=42          GET /?q=toy+story          GET /?movie=1          (&model=REF)
public struct WebPage: Sendable {
    public let api: ServingAPI

    public init(api: ServingAPI) { self.api = api }

    /// The page for these query parameters; errors are shown on the page (status still 200,
    /// except a malformed parameter: 400, with the page).
    public func render(query: [String: String]) async -> (status: Int, html: String) {
        let ref = query["model"] ?? defaultModel()
        var sections: [String] = []
        var status = 200
        func failed(_ error: ServingError) {
            status = error.status == 404 ? 200 : error.status
            sections.append("<p class=\"error\">\(escape(error.detail))</p>")
        }
        do throws(ServingError) {
            // The page's parameters as declared (HTTPAPI): a malformed one is a 400 with the page.
            _ = try HTTPAPI.pageUser.integer(query["user"])
            _ = try HTTPAPI.pageMovie.integer(query["movie"])
            _ = try HTTPAPI.pageQuery.text(query["q"])
            if let model = query["model"] { _ = try ModelReference.read(model) }
        } catch {
            failed(error)
            return (status, page(ref: ref ?? "", query: query, body: sections.joined(separator: "\n")))
        }
        if let ref {
            do throws(ServingError) {
                if let user = query["user"] {
                    let answer = try await api.recommendations(ref: ref, userID: user, k: "10")
                    let model = try await api.registry.resolve(ref)
                    let userID = answer.user ?? 0  // the route always names its user
                    let liked = model.ratedHighest(userID: userID, limit: 10)
                    let heading = answer.coldStart
                        ? "User \(userID) is new to \(escape(model.name))@\(model.version): the most popular movies"
                        : "Top 10 for user \(userID)"
                    sections.append("""
                        <div class="columns"><section><h2>\(heading)</h2>\(answer.coldStart ? table(answer.items, score: "score") : explainedTable(answer.items, ref: ref))</section>
                        <section><h2>Rated highest in training</h2>\(liked.isEmpty ? "<p class=\"muted\">\(answer.coldStart ? "No training ratings." : "This model file does not carry training ratings (written before they were stored).")</p>" : table(liked, score: "stars"))</section></div>
                        """)
                } else if let movie = query["movie"] {
                    let answer = try await api.similar(ref: ref, movieID: movie, k: "10")
                    sections.append("<h2>Movies like \(escape(answer.movie.title))</h2><p class=\"muted\">\(escape(answer.source))\(answer.basis == "content" ? " — this movie has few or no ratings in the model: its neighbours come from its content (genres, year, title words)" : "")</p>\(table(answer.items, score: "similarity"))")
                } else if let title = query["q"] {
                    let answer = try await api.movies(ref: ref, query: title, limit: "20")
                    sections.append(answer.items.isEmpty
                        ? "<p>No title contains “\(escape(title))”.</p>"
                        : "<h2>Titles containing “\(escape(title))”</h2><p class=\"muted\">Pick one for movies like it.</p>\(table(answer.items, score: "ratings", link: ref))")
                }
            } catch {
                failed(error)
            }
        } else {
            sections.append("<p class=\"error\">The store has no model to serve yet.</p>")
        }
        return (status, page(ref: ref ?? "", query: query, body: sections.joined(separator: "\n")))
    }

    /// The page with only an error on it (a request the page does not take), at the error's status.
    public func render(error: ServingError) -> (status: Int, html: String) {
        (error.status, page(ref: defaultModel() ?? "", query: [:], body: "<p class=\"error\">\(escape(error.detail))</p>"))
    }

    /// The first model with a production or latest alias.
    func defaultModel() -> String? {
        api.registry.served.sorted { $0.key < $1.key }.first { !$0.value.isEmpty }?.key
    }

    func table(_ items: [StoredModel.Item], score: String, link ref: String? = nil) -> String {
        let rows = items.enumerated().map { rank, item in
            let title = ref.map { "<a href=\"/?model=\(escape($0))&amp;movie=\(item.movieID)\">\(escape(item.title))</a>" } ?? escape(item.title)
            let value = score == "ratings" || score == "stars" ? String(format: "%.0f", item.score) : String(format: "%.3f", item.score)
            return "<tr><td>\(rank + 1)</td><td>\(title)</td><td>\(item.year == 0 ? "" : String(item.year))</td><td>\(escape(item.genres.joined(separator: ", ")))</td><td class=\"num\">\(value)</td></tr>"
        }.joined(separator: "\n")
        return "<table><tr><th>#</th><th>title</th><th>year</th><th>genres</th><th>\(score)</th></tr>\n\(rows)</table>"
    }

    func page(ref: String, query: [String: String], body: String) -> String {
        let hidden = ref.isEmpty ? "" : "<input type=\"hidden\" name=\"model\" value=\"\(escape(ref))\">"
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Projector</title>
        <style>
        body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1500px; }
        form { display: inline-block; margin: 0 2em 1em 0; } input { padding: .3em; }
        table { border-collapse: collapse; } td, th { padding: .2em .7em; border-bottom: 1px solid #ddd; text-align: left; }
        .num { text-align: right; } .muted { color: #666; } .error { color: #a00; }
        .columns { display: flex; flex-wrap: wrap; gap: 2em; } .columns section { flex: 1 1 600px; } table { font-size: .92em; }
        </style></head><body>
        <h1>Projector</h1>
        <p class="muted">Model \(escape(ref)) — <a href="/v1/models">/v1/models</a> · <a href="/readyz">/readyz</a> · <a href="/metrics">/metrics</a></p>
        <form method="get" action="/">\(hidden)
        <label>User id <input name="user" inputmode="numeric" pattern="-?[0-9]+" required size="8" value="\(escape(query["user"] ?? ""))"></label> <button>Recommend</button></form>
        <form method="get" action="/">\(hidden)
        <label>Title <input name="q" required size="24" value="\(escape(query["q"] ?? ""))"></label> <button>Find</button></form>
        <form method="post" action="/">\(hidden)
        <label>No user id? Rate movies: <input name="q" required size="24" placeholder="a title"></label> <button>Start</button></form>
        \(body)
        </body></html>
        """
    }

    func escape(_ text: String) -> String { HTML.escape(text) }
}
