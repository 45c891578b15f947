import Foundation
import PackagePlugin

/// Bakes the git commit, the dirty flag and a fingerprint of the sources into the `BuildInfo`
/// module at every build, so that every executable can say which code it is (`--version`), a
/// published version records the commit that made it, and the pipeline's cache is keyed by the
/// sources rather than by the bytes of a binary (a rebuild of unchanged sources keeps the cache).
///
/// A prebuild command: `Scripts/build-info` (POSIX sh, git) writes `BuildInfo+Generated.swift`,
/// and rewrites it only when its content changes, so an unchanged tree recompiles nothing.
@main
struct BuildInfoPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("generated")
        let root = context.package.directoryURL
        return [
            .prebuildCommand(
                displayName: "Projector build info (git commit, sources fingerprint)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [root.appendingPathComponent("Scripts/build-info").path, root.path, output.path],
                outputFilesDirectory: output)
        ]
    }
}
