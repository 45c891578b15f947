import ArgumentParser
import ArtifactStore
import Essentials
import Foundation
import ProjectorClient
import StageContract
import StageKit

/// `recommend`: answers from a published model.
///
///     recommend --store Artifacts --model movielens-1m user 42 -k 10
///     recommend --model movielens-1m predict 42 1
///     recommend --model movielens-1m@3 --json similar "toy story" -k 10
///     recommend --model movielens-1m history --ratings mine.csv -k 10   # fold-in: movie_id,rating lines
struct RecommendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend",
        abstract: "Top-k movies for a user, a predicted rating, or movies like a given one, from a published model.",
        discussion: "Exit codes: 0 success, 1 failure, 2 bad usage or bad input (unknown model, movie, or title).",
        subcommands: [User.self, Predict.self, Similar.self, History.self])

    @OptionGroup var target: Target

    /// What the parent command's options (before the subcommand) name.
    struct Target: ParsableArguments {
        @OptionGroup var store: StoreOptions
        @Option(help: "NAME[@VERSION|@ALIAS]; default alias production.")
        var model: String
        @Flag(help: "Print one JSON object instead of a table.")
        var json = false

        /// Opens the model, asks it, prints the answer: `answer` as JSON, or `table` lines.
        func run<Answer: Encodable>(_ ask: (StoredModel) throws -> (answer: Answer, table: [String])) throws {
            let opened = try StoredModel.open(store: store.root, reference: model)
            let (answer, table) = try ask(opened)
            Swift.print(json ? JSON.line(answer) : table.joined(separator: "\n"))
        }

        static func rows(_ items: [StoredModel.Item]) -> [String] {
            items.enumerated().map { rank, item in
                String(format: "%3d  %7lld  %8.4f  %@", rank + 1, item.movieID, item.score, item.title)
            }
        }
    }

    /// `-k N`, shared by the subcommands.
    struct Count: ParsableArguments {
        @Option(name: .short, help: "How many movies.") var k: Int = 10
        func validate() throws {
            guard k > 0 && k <= StoredModel.maximumK else { throw ValidationError("-k must be between 1 and \(StoredModel.maximumK), not \(k)") }
        }
    }

    struct User: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Top-k movies for a user (original MovieLens user id), from the ranking head.")
        @ParentCommand var parent: RecommendCommand
        @Argument(help: "The user's MovieLens id.") var id: Int64
        @OptionGroup var count: Count
        func run() throws {
            try parent.target.run { model in
                let answer = model.recommend(userID: id, k: count.k)
                let header = answer.coldStart
                    ? "user \(id) has no training ratings in \(model.name)@\(model.version): cold start, the most popular movies"
                    : "top \(count.k) for user \(id) from \(model.name)@\(model.version) (ranking head \(model.file.rankingHead.algorithm))"
                return (answer, [header] + Target.rows(answer.items))
            }
        }
    }

    struct Predict: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The rating a user would give a movie (MovieLens ids), from the rating head.")
        @ParentCommand var parent: RecommendCommand
        @Argument(help: "The user's MovieLens id.") var user: Int64
        @Argument(help: "The movie's MovieLens id.") var movie: Int64
        func run() throws {
            try parent.target.run { model in
                let answer = try model.predict(userID: user, movieID: movie)
                let line = String(format: "%.3f", answer.rating)
                    + "  user \(user), movie \(movie) \(answer.movie.title), \(model.name)@\(model.version): \(answer.basis)"
                return (answer, [line])
            }
        }
    }

    struct Similar: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Movies like the one with this title (case-insensitive).")
        @ParentCommand var parent: RecommendCommand
        @Argument(help: "A title, or a unique part of one.") var title: String
        @OptionGroup var count: Count

        /// `{model, version, movie, source, items}`.
        struct Answer: Encodable {
            var model: String
            var version: Int
            var movie: StoredModel.Item
            var source: String
            var basis: String
            var items: [StoredModel.Item]
        }

        func run() throws {
            try parent.target.run { model in
                let (movie, items) = try model.similar(title: title, k: count.k)
                let basis = model.similarBasis(movie.movieID)
                let source = model.similarSource(of: movie.movieID)
                return (Answer(model: model.name, version: model.version, movie: movie, source: source, basis: basis, items: items),
                        ["movies like \(movie.title) (\(movie.movieID)) from \(model.name)@\(model.version), \(source)\(basis == "content" ? " (from its content: it has few or no training ratings)" : "")"] + Target.rows(items))
            }
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Top-k movies for a person from the ratings they give (fold-in: no retraining), with each one's predicted rating and the rated movies behind it.",
            discussion: "--ratings is CSV 'movie_id,rating' (a header line optional), '-' for standard input. With --user, the ratings are added to that user's training ratings. Ids the model does not know are listed as ignored.")
        @ParentCommand var parent: RecommendCommand
        @Option(help: "CSV of movie_id,rating lines, or - for standard input.") var ratings: String
        @Option(help: "A user of the model whose training ratings the given ones join.") var user: Int64?
        @Option(parsing: .upToNextOption, help: "Rank only these movie ids.") var candidates: [Int64] = []
        @Option(help: "The person's gender (F or M): centres the rating head's fold-in prior.") var gender: String?
        @Option(help: "Their age in years (or ML-1M's age-group code).") var age: Int?
        @Option(help: "Their occupation, as the release writes it (ML-1M: a code 0…20; ML-100K: a name).") var occupation: String?
        @Option(help: "Their zip code (its first character, the region, is used).") var zip: String?
        @OptionGroup var count: Count

        func validate() throws {
            if let gender, gender != "F", gender != "M" { throw ValidationError("--gender must be F or M, not '\(gender.prefix(20))'") }
            if let age, !(1...200).contains(age) { throw ValidationError("--age must be from 1 to 200, not \(age)") }
            for (name, value) in [("--occupation", occupation), ("--zip", zip)] {
                if let value, value.isEmpty || value.count > 100 { throw ValidationError("\(name) must be 1 to 100 characters") }
            }
        }

        var attributes: StoredModel.PersonAttributes? {
            gender == nil && age == nil && occupation == nil && zip == nil ? nil
                : StoredModel.PersonAttributes(gender: gender, age: age, occupation: occupation, zip: zip)
        }

        func run() throws {
            let text: String
            if ratings == "-" {
                text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            } else {
                guard let data = FileManager.default.contents(atPath: ratings) else {
                    throw StoreError(.badInput, "--ratings: cannot read \(ratings)")
                }
                text = String(decoding: data, as: UTF8.self)
            }
            let given = try StoredModel.GivenRating.parseCSV(text, source: ratings == "-" ? "standard input" : ratings)
            try parent.target.run { model in
                let answer = try model.recommend(userID: user, ratings: given, attributes: attributes, k: count.k, candidates: candidates.isEmpty ? nil : candidates)
                var lines = [answer.coldStart
                    ? "no ratings the model knows: cold start, the most popular movies of \(model.name)@\(model.version)"
                    : "top \(count.k) from \(given.count) ratings\(user.map { " added to user \($0)'s" } ?? ""), \(model.name)@\(model.version) (ranking head \(model.file.rankingHead.algorithm))"]
                lines += answer.items.enumerated().map { rank, item in
                    let stars = item.rating.map { String(format: "%.2f★", $0) } ?? ""
                    let because = (item.because ?? []).map { "\($0.title) (\(formatStars($0.rating)))" }.joined(separator: ", ")
                    return String(format: "%3d  %7lld  %8.4f  %@  %@", rank + 1, item.movieID, item.score, stars, item.title)
                        + (because.isEmpty ? "" : "  — because you rated \(because)")
                }
                if let ignored = answer.ignored, !ignored.isEmpty {
                    lines.append("ignored (not in the model): \(ignored.map(String.init).joined(separator: ", "))")
                }
                return (answer, lines)
            }
        }

        func formatStars(_ value: Float) -> String { Int(exactly: value).map(String.init) ?? String(value) }
    }
}
