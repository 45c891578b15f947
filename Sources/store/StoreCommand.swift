import ArgumentParser
import ArtifactStore
import Essentials
import Foundation
import StageContract
import StageKit

/// `store`: inspect and maintain the model store.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "List, show, verify, promote, roll back and garbage-collect published models.",
        subcommands: [List.self, Show.self, Verify.self, Promote.self, Rollback.self, GC.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every model with its versions and aliases.")
        @OptionGroup var store: StoreOptions
        func run() throws {
            let modelStore = store.modelStore
            for name in try modelStore.names() {
                let aliases = try modelStore.aliases(name).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.version)" }
                print("\(name)  versions \(try modelStore.versions(name).map(String.init).joined(separator: ","))  \(aliases.joined(separator: " "))")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The manifest of NAME[@VERSION|@ALIAS] (default @latest).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "NAME[@VERSION|@ALIAS]") var reference: String
        func run() throws {
            let modelStore = store.modelStore
            let (name, version) = try modelStore.resolve(reference, defaultAlias: ModelReference.latest)
            print(String(decoding: JSON.data(try modelStore.manifest(name, version), pretty: true), as: UTF8.self))
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-hash every version and check every alias; exit 1 on corruption.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Only this model.") var name: String?
        func run() throws {
            let problems = try store.modelStore.verify(name)
            if problems.isEmpty {
                print("ok: \(store.root) is valid")
            } else {
                for problem in problems { StandardError.write("corrupt: \(problem)\n") }
                throw ExitCode(StageExitCode.failure.rawValue)  // corruption: exit 1
            }
        }
    }

    /// `--alias NAME` (default production), for promote and rollback.
    struct AliasOption: ParsableArguments {
        @Option(help: "The alias to move.") var alias = ModelReference.production
    }

    struct Promote: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Point an alias (default production) at NAME@VERSION, after checking its checksum.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "NAME@VERSION") var reference: String
        @OptionGroup var target: AliasOption
        func run() throws {
            let alias = target.alias
            try ModelStore.checkName(alias, what: "alias")
            let (name, version) = try store.modelStore.resolve(reference)
            try store.modelStore.promote(name, version: version, alias: alias)
            print("\(name)@\(alias) → \(version)")
        }
    }

    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Point an alias (default production) back at its previous version.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "NAME") var name: String
        @OptionGroup var target: AliasOption
        func run() throws {
            let version = try store.modelStore.rollback(name, alias: target.alias)
            print("\(name)@\(target.alias) → \(version)")
        }
    }

    struct GC: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "gc", abstract: "Remove old versions, keeping the newest N and every alias target.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "NAME") var name: String
        @Option(help: "Versions to keep.") var keep: Int
        func run() throws {
            let removed = try store.modelStore.gc(name, keep: keep)
            print(removed.isEmpty ? "nothing to remove" : "removed \(name) versions \(removed.map(String.init).joined(separator: ", "))")
        }
    }
}
