import Foundation

/// Where MovieLens releases live on this machine.
///
/// `MOVIELENS_DIR` names a folder holding releases by their GroupLens names (`ml-100k`, `ml-1m`,
/// `ml-latest-small`, …); without it, `Data/movielens` in the current folder (where
/// `Scripts/fetch-movielens` puts them). MovieLens may not be redistributed, so the project never
/// ships these files.
public enum DataLocator {
    public static var root: String {
        if let value = ProcessInfo.processInfo.environment["MOVIELENS_DIR"], !value.isEmpty { return value }
        return FileManager.default.currentDirectoryPath + "/Data/movielens"
    }

    /// The folder of release `name` (e.g. "ml-1m"), or `nil` if it is not there.
    public static func folder(_ name: String) -> String? {
        let path = root + "/" + name
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            ? path : nil
    }
}
