import ArgumentParser
import Foundation

/// Cheap checks on paths, for the stages' `validate()`.
///
///     try PathCheck.input(input)      // "--input x.h5 does not exist"
///     try PathCheck.output(output)    // "--output out/x.h5: folder out does not exist"
public enum PathCheck {
    /// The output's folder must exist; the output itself must not be a folder.
    public static func output(_ path: String, option: String = "--output") throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("\(option) \(path): folder \(folder) does not exist")
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ValidationError("\(option) \(path) is a folder; give a file path")
        }
    }

    /// The input must exist.
    public static func input(_ path: String, option: String = "--input") throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("\(option) \(path) does not exist")
        }
    }
}
