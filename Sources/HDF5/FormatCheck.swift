/// Every Projector file names its format and version in root attributes; readers check both
/// before anything else and refuse versions they do not know.
///
///     let file = try HDF5File.open(path, format: "projector.model", versions: [1])
extension HDF5File {
    /// Opens a Projector file read-only and checks its format and version.
    public static func open(_ path: String, format: String, versions: [Int64]) throws -> HDF5File {
        let file = try open(path)
        try file.checkFormat(format, versions: versions)
        return file
    }

    public func checkFormat(_ expected: String, versions: [Int64]) throws {
        guard hasAttribute("format") else {
            throw HDF5Error(file: filePath, problem: "has no 'format' attribute: not a Projector file (expected \(expected))")
        }
        let found = try stringAttribute("format")
        guard found == expected else {
            throw HDF5Error(file: filePath, problem: "is a '\(found)' file, expected '\(expected)'")
        }
        let version = try attribute("format_version", as: Int64.self)
        guard versions.contains(version) else {
            throw HDF5Error(
                file: filePath,
                problem: "\(expected) format_version \(version) is not supported by this program (it reads \(versions.map(String.init).joined(separator: ", "))): upgrade Projector or re-run the stage that wrote it")
        }
    }
}

extension HDF5Group {
    /// A numeric attribute (of this group or file) that must lie in `range` (counts, sizes): bad input otherwise.
    public func count(_ name: String, in range: ClosedRange<Int64> = 0...Int64(Int32.max)) throws -> Int {
        let value = try attribute(name, as: Int64.self)
        guard range.contains(value) else {
            throw HDF5Error(file: filePath, object: objectPath == "/" ? "attribute '\(name)'" : "\(objectPath) attribute '\(name)'", problem: "is \(value), outside \(range.lowerBound)…\(range.upperBound)")
        }
        return Int(value)
    }
}
