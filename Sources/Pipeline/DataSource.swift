import Essentials
import Foundation

/// Gets the MovieLens folder a manifest names: as it is when present; otherwise, when the
/// manifest gives a GroupLens URL, downloaded (curl), checked against the md5 GroupLens
/// publishes beside the zip, and unzipped into place; otherwise an error saying how to get it.
enum DataSource {
    static func ensure(folder: String, url: String?, progress: Progress) throws -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue { return folder }
        guard let url else {
            throw PipelineError(.badInput, "data folder \(folder) does not exist: set MOVIELENS_DIR to where MovieLens is, run Scripts/fetch-movielens, or give data.url in the manifest")
        }
        progress.emit("data: \(folder) is missing; downloading \(url)")
        let parent = URL(fileURLWithPath: folder).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let work = parent + "/.download-\(getpid())"
        try? FileManager.default.removeItem(atPath: work)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        try tool("curl", ["-fsSL", "--retry", "3", "-o", work + "/data.zip", url], what: "download \(url)")
        try tool("curl", ["-fsSL", "--retry", "3", "-o", work + "/data.zip.md5", url + ".md5"], what: "download the published checksum \(url).md5")
        let published = String(decoding: FileManager.default.contents(atPath: work + "/data.zip.md5") ?? Data(), as: UTF8.self)
            .split(whereSeparator: { !$0.isHexDigit }).first { $0.count == 32 }.map(String.init)
        guard let zip = FileManager.default.contents(atPath: work + "/data.zip") else {
            throw PipelineError(.failure, "\(url): nothing downloaded")
        }
        let actual = Digest.md5(zip)
        guard let published, published.lowercased() == actual else {
            throw PipelineError(.badInput, "\(url) has md5 \(actual) but GroupLens publishes \(published ?? "nothing"): not unpacking it")
        }
        try tool("unzip", ["-q", work + "/data.zip", "-d", work + "/unzipped"], what: "unzip \(url)")
        let unpacked = try FileManager.default.contentsOfDirectory(atPath: work + "/unzipped").filter { !$0.hasPrefix("__") }
        guard unpacked.count == 1 else { throw PipelineError(.failure, "\(url): expected one folder in the zip, found \(unpacked)") }
        guard rename(work + "/unzipped/" + unpacked[0], folder) == 0 else {
            throw PipelineError(.failure, "cannot move the unpacked data to \(folder): \(String(cString: strerror(errno)))")
        }
        progress.emit("data: \(folder) ready (md5 \(actual) checked)")
        return folder
    }

    static func tool(_ name: String, _ arguments: [String], what: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [name] + arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PipelineError(.failure, "cannot \(what) (\(name) exited with \(process.terminationStatus)); download it by hand and unzip it beside the other MovieLens folders")
        }
    }
}
