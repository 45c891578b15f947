import Foundation
import PackagePlugin

/// Bakes the git commit, the dirty flag and a fingerprint of the sources into the `BuildInfo`
/// module, so that every executable can say which code it is (`--version`), a published version
/// records the commit that made it, and the pipeline's cache is keyed by the sources rather than
/// by the bytes of a binary (a rebuild of unchanged sources keeps the cache).
///
/// A build command (`Scripts/build-info`, POSIX sh and git) whose inputs are every file under
/// `Sources/`, `Package.swift` and the git files that change with every commit, checkout or reset
/// and are never deleted (`HEAD`, `index`, `logs/HEAD`; loose refs are not, since packing refs
/// deletes them): the build runs it again whenever one of them changes, and it
/// rewrites `BuildInfo+Generated.swift` only when the content changes. (A prebuild command would
/// run only when the build is planned anew, leaving a stale commit after an ordinary edit.)
@main
struct BuildInfoPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("BuildInfo+Generated.swift")
        return [
            .buildCommand(
                displayName: "Projector build info (git commit, sources fingerprint)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [root.appendingPathComponent("Scripts/build-info").path, root.path, output.path],
                inputFiles: Self.sources(root) + Self.gitFiles(root) + [root.appendingPathComponent("Scripts/build-info")],
                outputFiles: [output])
        ]
    }

    /// Every file under Sources/ (names not starting with '.'), and Package.swift.
    static func sources(_ root: URL) -> [URL] {
        var files = [root.appendingPathComponent("Package.swift")]
        let folder = root.appendingPathComponent("Sources")
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey],
                                                          options: [.skipsHiddenFiles]) else { return files }
        for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
            files.append(url)
        }
        return files.sorted { $0.path < $1.path }
    }

    /// The git files every commit, checkout or reset rewrites: HEAD, index and the HEAD reflog,
    /// in the git directory (`.git`, or the one a `.git` file names: worktrees, submodules).
    static func gitFiles(_ root: URL) -> [URL] {
        var git = root.appendingPathComponent(".git")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: git.path, isDirectory: &isDirectory) else { return [] }
        if !isDirectory.boolValue {
            guard let text = try? String(contentsOf: git, encoding: .utf8), text.hasPrefix("gitdir: ") else { return [] }
            let path = text.dropFirst("gitdir: ".count).trimmingCharacters(in: .whitespacesAndNewlines)
            git = path.hasPrefix("/") ? URL(fileURLWithPath: path) : root.appendingPathComponent(path)
        }
        return ["HEAD", "index", "logs/HEAD"].map { git.appendingPathComponent($0) }
            .filter { FileManager.default.fileExists(atPath: $0.path) }
    }
}
