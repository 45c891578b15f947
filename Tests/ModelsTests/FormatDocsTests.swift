import Foundation
import HDF5
import Models
import MovieLens
import Testing
import TestSupport

/// docs/formats.md's tables of the HDF5 formats against the files the writers make and the
/// readers accept: every dataset a writer writes is in its format's table with the table's dtype,
/// every path the table lists is written by some file of that format (a path documented as
/// optional or as absent from older files excepted), and every such file reads back. A dataset
/// added, renamed or retyped without the docs fails.
struct FormatDocsTests {
    /// A documented dataset: its path (`H/` for each head's group), dtypes, and whether it may be absent.
    struct Row: Equatable {
        var path: String
        var dtype: String?
        var optional: Bool
    }

    /// The rows of the table under `## File format \`format\``: a cell's paths in backquotes,
    /// comma-separated, `{a,b}` expanded; its dtypes matched to them in order (one dtype: all).
    static func documented(_ format: String) throws -> [Row] {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/formats.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        guard let start = text.range(of: "## File format `\(format)`") else { return [] }
        let section = text[start.upperBound...].prefix { _ in true }
        let end = section.range(of: "\n## ")?.lowerBound ?? section.endIndex
        var rows: [Row] = []
        for line in section[..<end].split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 5, cells[1].hasPrefix("`/") || cells[1].hasPrefix("`H/") else { continue }
            let paths = cells[1].split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.flatMap { expand(String($0.element)) }
            let dtypes = cells[2].isEmpty ? [] : cells[2].components(separatedBy: ", ").map { $0.components(separatedBy: " (").first! }
            let optional = cells[4].contains("optional") || cells[4].contains("absent") || cells[4].contains("ordinal-factors")
                || cells[4].hasPrefix("`item-item`") || cells[4].hasPrefix("`sparse-item-item`")
            for (index, path) in paths.enumerated() {
                rows.append(Row(path: path, dtype: dtypes.isEmpty ? nil : dtypes[min(index, dtypes.count - 1)], optional: optional))
            }
        }
        return rows
    }

    /// `/movies/{id,title}` → `/movies/id`, `/movies/title`.
    static func expand(_ path: String) -> [String] {
        guard let open = path.firstIndex(of: "{"), let close = path.firstIndex(of: "}") else { return [path] }
        return path[path.index(after: open)..<close].split(separator: ",").map { String(path[..<open]) + $0 + String(path[path.index(after: close)...]) }
    }

    /// Every dataset in a file, with its dtype; head groups written as `H/`.
    static func written(_ path: String) throws -> [String: String] {
        let file = try HDF5File.open(path)
        var found: [String: String] = [:]
        func walk(_ group: HDF5Group, _ prefix: String) throws {
            for name in try group.childNames() {
                if let child = try? group.group(name) {
                    try walk(child, prefix + name + "/")
                } else {
                    found[prefix + name] = try group.dataset(name).dtypeName
                }
            }
        }
        try walk(file, "/")
        var named: [String: String] = [:]
        for (path, dtype) in found {
            var key = path
            for head in ["/rating/", "/ranking/"] where key.hasPrefix(head) { key = "H/" + key.dropFirst(head.count) }
            if key.hasPrefix("H/extras/") { key = "H/extras/<name>" }
            named[key] = dtype
        }
        return named
    }

    static func check(_ format: String, files: [String]) throws {
        let rows = try documented(format)
        #expect(!rows.isEmpty, "docs/formats.md has no table for \(format)")
        var seen: Set<String> = []
        for file in files {
            for (path, dtype) in try written(file) {
                seen.insert(path)
                guard let row = rows.first(where: { $0.path == path }) else {
                    Issue.record("\(format): \(file) has \(path) (\(dtype)), which docs/formats.md does not list")
                    continue
                }
                if let documented = row.dtype { #expect(documented == dtype, "\(format): \(path) is \(dtype), the docs say \(documented)") }
            }
        }
        for row in rows where !row.optional && !seen.contains(row.path) {
            Issue.record("\(format): docs/formats.md lists \(row.path), which no written file has")
        }
    }

    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR"))
    func theFormatTablesAreTheWritersFiles() throws {
        guard let folder = realDataset("ml-100k") else { return }
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let table = try Ingest.load(IngestSource(input: folder, split: .files(name: "u1")))
        let ratings = dir.appendingPathComponent("ratings.h5").path
        try RatingsFile.write(table, sourcePath: folder, to: ratings, createdBy: "test")
        try Self.check("projector.ratings", files: [ratings])
        #expect(try RatingsFile.read(ratings).count == table.count)

        let data = try TrainingSet.normalise(table, method: .none)
        let normalised = dir.appendingPathComponent("train.h5").path
        try data.write(to: normalised, createdBy: "test")
        try Self.check("projector.normalised", files: [normalised])
        #expect(try TrainingSet.read(normalised).trainValue == data.trainValue)

        // Every model kind, and a two-headed file.
        var models: [String] = []
        func train(_ name: String, _ algorithm: any Algorithm) throws -> ModelFile {
            let trained = try algorithm.fit(data)
            let file = ModelFile(algorithm: algorithm, trained: trained, data: data,
                                 neighbours: Neighbours.strongestWeights(of: trained.model, k: 5), createdBy: "test")
            let path = dir.appendingPathComponent(name + ".h5").path
            try file.write(to: path)
            models.append(path)
            return file
        }
        let svd = try train("svd", try SVD.make(["rank": 4]))
        _ = try train("ordinal", try BayesianFM.make(["rank": 2, "samples": 4, "burn_in": 1, "keep": 2, "likelihood": "ordinal"]))
        _ = try train("ease", try EASE.make(["lambda": 100]))
        let sparse = try train("sparse", try EASE.make(["lambda": 100, "keep_entries": 20, "liked_input_weight": 0.5]))
        let combined = try ModelFile.combine(rating: svd, ranking: sparse, neighboursFrom: .ranking, createdBy: "test",
                                             names: ("svd.h5", "sparse.h5"))
        let both = dir.appendingPathComponent("combined.h5").path
        try combined.write(to: both)
        try Self.check("projector.model", files: models + [both])
        for path in models + [both] { _ = try ModelFile.read(path) }  // the reader's every check passes (it throws otherwise)
    }
}
