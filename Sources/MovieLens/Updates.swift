import Foundation

/// New ratings arriving after a release: CSV files in an `updates/` folder inside the MovieLens
/// folder, read by `ingest` after the release's own ratings file, as one data set.
///
///     ml-1m/
///       ratings.dat  movies.dat  users.dat        the release (or yesterday's export)
///       updates/2026-11-28.csv                    one file per day, name order = arrival order
///       updates/2026-11-29.csv
///
/// Each update file is `userId,movieId,rating,timestamp` (the CSV releases' layout: a header
/// line, comma separators, Unix seconds), on the release's rating scale; a file with only the
/// header (a day without ratings) is fine. A (user, movie) rated
/// again keeps its latest timestamp (the later line when they tie), as duplicates always do. The
/// hash split places every (user, movie) pair by its ids alone, so every old rating keeps its
/// side as updates arrive. Update files belong to the data fingerprint. Files are read in
/// byte order of their names (dated names sort by date); anything in `updates/` that is not a
/// `.csv` file (other than dotfiles) is an error, so a misnamed export is never silently skipped.
/// A movie first seen in an update has no title unless the release's movies file lists it.
public enum Updates {
    /// The folder's name inside a MovieLens folder.
    public static let folderName = "updates"

    static let layout = RatingsLayout.of(.mlCSV("ml-csv"))

    /// The update files of `folder` as paths relative to it (`updates/NAME.csv`), in reading
    /// order; none when there is no `updates/` folder.
    public static func files(in folder: String) throws -> [String] {
        let path = folder + "/" + folderName
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else {
            throw MovieLensError(file: path, "is a file: new ratings go in a folder of CSV files named \(folderName)/")
        }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw MovieLensError(file: path, "cannot list: \(error.localizedDescription)")
        }
        var result: [String] = []
        for name in names.filter({ !$0.hasPrefix(".") }).sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            var entryIsDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &entryIsDirectory)
            guard name.hasSuffix(".csv"), !entryIsDirectory.boolValue else {
                throw MovieLensError(file: path + "/" + name, "is not a .csv file: \(folderName)/ holds only userId,movieId,rating,timestamp CSV files")
            }
            result.append(folderName + "/" + name)
        }
        return result
    }
}
