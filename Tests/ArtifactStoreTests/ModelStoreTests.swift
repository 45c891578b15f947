import ArtifactStore
import Evaluation
import Foundation
import ProjectorClient
import Testing
import TestSupport

struct ModelStoreTests {
    @Test func versionsAliasesPromoteRollbackAndGC() throws {
        let (root, store, _) = try publishedStore("ml", versions: 4)
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try store.versions("ml") == [1, 2, 3, 4])
        #expect(try store.alias("ml", "latest")?.version == 4)
        #expect(try store.alias("ml", "production") == nil)
        #expect(throws: StoreError(.badInput, "ml has no 'production' alias (nothing promoted yet: use ml@latest, or publish with --promote or --gate)")) {
            try store.resolve("ml")
        }
        try store.promote("ml", version: 2)
        try store.promote("ml", version: 3)
        #expect(try store.resolve("ml").version == 3 && store.resolve("ml@latest").version == 4 && store.resolve("ml@1").version == 1)
        #expect(try store.rollback("ml") == 2)
        #expect(try store.resolve("ml@production").version == 2)
        let manifest = try store.manifest("ml", 4)
        #expect(manifest.previousVersion == 3 && manifest.model.algorithm == "als" && manifest.model.metrics["precision@10"] == 0.1)
        // gc keeps the newest 1 and every alias target (production = 2, latest = 4).
        #expect(try store.gc("ml", keep: 1) == [1, 3])
        #expect(try store.versions("ml") == [2, 4])
        #expect(try store.verify().isEmpty)
    }

    @Test func theGateRefusesRegressionsAndPromotesPasses() throws {
        let root = scratchStore()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = ModelStore(root: root)
        let good = root + "/good.h5", worse = root + "/worse.h5", better = root + "/better.h5"
        try writeModel(good, rmse: 0.85, precision: 0.2)
        try writeModel(worse, rmse: 0.86, precision: 0.2)
        try writeModel(better, rmse: 0.84, precision: 0.21)
        let gate = ChampionChallengerGate()
        #expect(try store.publish(model: good, name: "ml", gate: gate, codeVersion: "t").promoted)  // no production yet: passes
        #expect {
            try store.publish(model: worse, name: "ml", gate: gate, codeVersion: "t")
        } throws: { error in
            "\(error)" == "quality gate refused \(worse) against ml@1 (production): rmse rose from 0.8500 to 0.8600 (allowed +0.005)"
                && (try? (error as? GateRefusal)?.decision.record.decode(GateRecord.self, source: "refusal"))?.basis == .recorded
        }
        #expect(try store.versions("ml") == [1])  // a refused publish writes nothing
        let passed = try store.publish(model: better, name: "ml", gate: gate, codeVersion: "t")
        #expect(try passed.version == 2 && passed.promoted && store.resolve("ml").version == 2)
    }

    @Test(arguments: ["../evil", ".hidden", "a/b", "", "name with space", "..", "x@y"])
    func namesThatCouldEscapeTheStoreAreRefused(name: String) throws {
        let (root, store, model) = try publishedStore("ml", versions: 1, promote: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let refusal = "is not a plain name: use 1–100 letters, digits, '.', '_' and '-', not starting with '.'"
        #expect(throws: StoreError(.badInput, "model name '\(name)' \(refusal)")) {
            try store.publish(model: model, name: name, codeVersion: "t")
        }
        // The model exists, so only the bad alias can be what resolve refuses.
        let alias = name.isEmpty ? "model reference 'ml@' ends with '@': use NAME, NAME@VERSION or NAME@ALIAS" : "alias '\(name)' \(refusal)"
        #expect(throws: StoreError(.badInput, alias)) { try store.resolve("ml@" + name) }
        #expect(throws: StoreError(.badInput, "alias '\(name)' \(refusal)")) { try store.promote("ml", version: 1, alias: name) }
        // Every entry point refuses before touching the file system: nothing appears beside the store.
        let parentLock = URL(fileURLWithPath: root).deletingLastPathComponent().path + "/.lock"
        try? FileManager.default.removeItem(atPath: parentLock)
        let before = try FileManager.default.contentsOfDirectory(atPath: root).sorted()
        #expect(throws: StoreError.self) { try store.gc(name, keep: 1) }
        #expect(throws: StoreError.self) { try store.rollback(name) }
        #expect(throws: StoreError.self) { try store.promote(name, version: 1) }
        #expect(throws: StoreError.self) { try store.versions(name) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).sorted() == before)
        #expect(!FileManager.default.fileExists(atPath: parentLock))
        #expect(try store.verify().isEmpty && store.versions("ml") == [1])
    }

    @Test(arguments: [
        ("", "model reference '' has no model name: use NAME, NAME@VERSION or NAME@ALIAS"),
        ("@", "model reference '@' has no model name: use NAME, NAME@VERSION or NAME@ALIAS"),
        ("@1", "model reference '@1' has no model name: use NAME, NAME@VERSION or NAME@ALIAS"),
        ("a@", "model reference 'a@' ends with '@': use NAME, NAME@VERSION or NAME@ALIAS"),
        ("a@@b", "alias '@b' is not a plain name: use 1–100 letters, digits, '.', '_' and '-', not starting with '.'"),
        ("a@ 1", "alias ' 1' is not a plain name: use 1–100 letters, digits, '.', '_' and '-', not starting with '.'"),
        ("a@0", "model reference 'a@0': version '0' must be a whole number from 1 below 10^18"),
        ("a@99999999999999999999", "model reference 'a@99999999999999999999': version '99999999999999999999' must be a whole number from 1 below 10^18"),
        ("../a@1", "model name '../a' is not a plain name: use 1–100 letters, digits, '.', '_' and '-', not starting with '.'"),
    ])
    func referencesAreParsedInOnePlace(text: String, message: String) {
        #expect(throws: StoreError(.badInput, message)) { try ModelReference.parse(text) }
    }

    @Test func referencesThatParse() throws {
        #expect(try ModelReference.parse("ml") == ModelReference(name: "ml", selector: nil))
        #expect(try ModelReference.parse("ml@3") == ModelReference(name: "ml", selector: .version(3)))
        #expect(try ModelReference.parse("ml@staging") == ModelReference(name: "ml", selector: .alias("staging")))
    }

    @Test func gcKeepsEveryAliasedVersion() throws {
        let (root, store, _) = try publishedStore("g", versions: 4)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try store.promote("g", version: 1, alias: "staging")
        #expect(try store.gc("g", keep: 2) == [2])
        #expect(try store.versions("g") == [1, 3, 4])
        #expect(try store.resolve("g@staging").version == 1)
    }

    @Test func aMissingStoreIsAnErrorNeverValid() {
        let store = ModelStore(root: scratchPath("no-store"))
        #expect(throws: StoreError.self) { try store.verify() }
        #expect(throws: StoreError.self) { try store.names() }
    }

    @Test func corruptionIsReportedAndNeverServed() throws {
        let root = scratchStore()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = ModelStore(root: root)
        try writeModel(root + "/m.h5", rmse: 0.9, precision: 0.1)
        _ = try store.publish(model: root + "/m.h5", name: "ml", promote: true, codeVersion: "t")
        #expect(try StoredModel.open(store: root, reference: "ml").recommend(userID: 1, k: 2).items.count == 2)
        let path = store.modelPath("ml", 1)
        let handle = FileHandle(forWritingAtPath: path)!
        try handle.seek(toOffset: 4000)
        try handle.write(contentsOf: Data([0xFF, 0x00, 0xFF]))
        try handle.close()
        #expect(try store.verify().first?.hasPrefix("ml@1: model.h5 is corrupt") == true)
        #expect(throws: StoreError.self) { try StoredModel.open(store: root, reference: "ml") }
        #expect(throws: StoreError.self) { try store.promote("ml", version: 1) }
    }
}
