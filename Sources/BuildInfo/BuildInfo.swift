/// Which code an executable was built from, baked in at build time by `BuildInfoPlugin`
/// (`Scripts/build-info`): the git commit, whether the sources differed from it, and the sha256
/// of the sources. `commit`, `dirty` and `sourcesSHA256` are generated.
///
///     BuildInfo.version        // "0.1.0"
///     BuildInfo.codeVersion    // "projector 0.1.0 git 65e1adb4c1f2… (dirty)"
///     BuildInfo.versionText    // what every executable prints for --version
public enum BuildInfo {
    /// The release number.
    public static let version = "0.1.0"

    /// `projector VERSION git COMMIT`, with ` (dirty)` when the sources had uncommitted changes:
    /// the store's `code_version`.
    public static var codeVersion: String {
        "projector \(version) git \(commit)" + (dirty ? " (dirty)" : "")
    }

    /// `--version`: `TOOL VERSION`, the commit line and the sources line (which the pipeline
    /// runner reads to key its cache).
    public static func versionText(tool: String) -> String {
        "\(tool) \(version)\ncommit \(commit)\(dirty ? " (dirty)" : "")\nsources \(sourcesSHA256)"
    }

    /// The `sources` fingerprint in a `--version` text, if it has one.
    public static func sourcesFingerprint(inVersionText text: String) -> String? {
        for line in text.split(separator: "\n") where line.hasPrefix("sources ") {
            let value = line.dropFirst("sources ".count)
            if value.count == 64, value.allSatisfy(\.isHexDigit) { return String(value) }
        }
        return nil
    }
}
