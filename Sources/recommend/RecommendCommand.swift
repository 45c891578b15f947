import ArgumentParser
import ArtifactStore
import Foundation
import ProjectorClient
import StageKit

/// `recommend`: answers from a published model.
///
///     recommend --store Artifacts --model movielens-1m user 42 -k 10
///     recommend --model movielens-1m@3 similar "toy story" -k 10
struct RecommendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend",
        abstract: "Top-k movies for a user, or movies like a given one, from a published model.",
        subcommands: [User.self, Similar.self])

    @OptionGroup var target: Target

    /// What the parent command's options (before the subcommand) name.
    struct Target: ParsableArguments {
        @OptionGroup var store: StoreOptions
        @Option(help: "NAME[@VERSION|@ALIAS]; default alias production.")
        var model: String
        @Flag(help: "Print JSON instead of a table.")
        var json = false

        /// Opens the model, asks it, prints the answer.
        func answer(_ ask: (StoredModel) throws -> (items: [StoredModel.Item], header: String)) throws {
            let opened = try StoredModel.open(store: store.root, reference: model)
            let (items, header) = try ask(opened)
            try print(items, header: header)
        }

        func print(_ items: [StoredModel.Item], header: String) throws {
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                Swift.print(String(decoding: try encoder.encode(items), as: UTF8.self))
            } else {
                Swift.print(header)
                for (rank, item) in items.enumerated() {
                    Swift.print(String(format: "%3d  %7lld  %.4f  %@", rank + 1, item.movieID, item.score, item.title))
                }
            }
        }
    }

    /// `-k N`, shared by the subcommands.
    struct Count: ParsableArguments {
        @Option(name: .short, help: "How many movies.") var k: Int = 10
        func validate() throws { guard k > 0 && k <= 1000 else { throw ValidationError("-k must be between 1 and 1000, not \(k)") } }
    }

    struct User: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Top-k movies for a user (original MovieLens user id).")
        @ParentCommand var parent: RecommendCommand
        @Argument(help: "The user's MovieLens id.") var id: Int64
        @OptionGroup var count: Count
        func run() throws {
            try parent.target.answer { model in
                let answer = model.recommend(userID: id, k: count.k)
                return (answer.items, answer.coldStart
                    ? "user \(id) is unknown to \(model.name)@\(model.version): cold start, the most popular movies"
                    : "top \(count.k) for user \(id) from \(model.name)@\(model.version) (\(model.manifest.algorithm))")
            }
        }
    }

    struct Similar: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Movies like the one with this title (case-insensitive).")
        @ParentCommand var parent: RecommendCommand
        @Argument(help: "A title, or a unique part of one.") var title: String
        @OptionGroup var count: Count
        func run() throws {
            try parent.target.answer { model in
                let (movie, items) = try model.similar(title: title, k: count.k)
                return (items, "movies like \(movie.title) (\(movie.movieID)) from \(model.name)@\(model.version)")
            }
        }
    }
}
