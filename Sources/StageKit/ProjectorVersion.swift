import BuildInfo

/// The version written into every file a stage produces (`created_by`), and the code version a
/// published model records (`code_version`, with the git commit baked in at build time).
///
///     ProjectorVersion.createdBy("factorise")   // "projector factorise 0.1.0"
///     ProjectorVersion.codeVersion              // "projector 0.1.0 git 65e1adb… (dirty)"
public enum ProjectorVersion {
    public static let string = BuildInfo.version
    /// Files carry the release, not the commit: the same inputs, parameters and seed give the same
    /// bytes from every build of the same release.
    public static func createdBy(_ stage: String) -> String { "projector \(stage) \(string)" }
    public static var codeVersion: String { BuildInfo.codeVersion }
}
