/// The version written into every file a stage produces (`created_by`).
///
///     ProjectorVersion.createdBy("factorise")   // "projector factorise 0.1.0"
public enum ProjectorVersion {
    public static let string = "0.1.0"
    public static func createdBy(_ stage: String) -> String { "projector \(stage) \(string)" }
}
