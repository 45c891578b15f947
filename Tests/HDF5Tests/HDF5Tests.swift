import Foundation
import Testing
import TestSupport
@testable import HDF5


@Suite(.serialized) struct HDF5RoundTrips {
    @Test func everyElementTypeRoundTrips() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("types.h5").path
        do {
            let file = try HDF5File.create(path)
            try file.write("f32", [Float(1.5), -2, .greatestFiniteMagnitude])
            try file.write("f64", [Double.pi, -0.0, 1e-300])
            try file.write("i32", [Int32.min, 0, Int32.max])
            try file.write("i64", [Int64.min, 42, Int64.max])
            try file.write("u8", [UInt8(0), 1, 255])
            try file.write("empty", [Float]())
            try file.write("emptyColumns", [Int32](), shape: [5, 0], storage: .compressed)
            try file.write("nested/deeper/matrix", (0..<6).map(Double.init), shape: [2, 3])
            try file.write("titles", strings: ["Misérables, Les (1995)", "", "東京物語 (1953)"])
        }
        let file = try HDF5File.open(path)
        #expect(try file.read("f32", as: Float.self) == [1.5, -2, .greatestFiniteMagnitude])
        #expect(try file.read("f64", as: Double.self) == [Double.pi, -0.0, 1e-300])
        #expect(try file.read("i32", as: Int32.self) == [Int32.min, 0, Int32.max])
        #expect(try file.read("i64", as: Int64.self) == [Int64.min, 42, Int64.max])
        #expect(try file.read("u8", as: UInt8.self) == [0, 1, 255])
        #expect(try file.read("empty", as: Float.self) == [])
        #expect(try file.dataset("emptyColumns").shape == [5, 0])
        let matrix = try file.dataset("nested/deeper/matrix")
        #expect(matrix.shape == [2, 3])
        #expect(matrix.dtypeName == "float64")
        #expect(try matrix.read(as: Double.self) == [0, 1, 2, 3, 4, 5])
        #expect(try file.readStrings("titles") == ["Misérables, Les (1995)", "", "東京物語 (1953)"])
        #expect(try file.group("nested").childNames() == ["deeper"])
        #expect(file.contains("nested/deeper/matrix"))
        #expect(!file.contains("nested/missing"))
    }

    @Test func attributesRoundTrip() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("attrs.h5").path
        do {
            let file = try HDF5File.create(path)
            try file.setAttribute("format", "projector.test")
            try file.setAttribute("format_version", Int64(3))
            try file.setAttribute("lambda", 0.05)
            try file.setAttribute("scale", [Float(1), 5])
            try file.setAttribute("format_version", Int64(4))  // replaced, not duplicated
            let data = try file.write("x", [Int32(1)])
            try data.setAttribute("unit", "stars")
        }
        let file = try HDF5File.open(path)
        #expect(try file.stringAttribute("format") == "projector.test")
        #expect(try file.attribute("format_version", as: Int64.self) == 4)
        #expect(try file.attribute("lambda", as: Double.self) == 0.05)
        #expect(try file.attributeArray("scale", as: Float.self) == [1, 5])
        #expect(try file.attributeNames().sorted() == ["format", "format_version", "lambda", "scale"])
        #expect(try file.dataset("x").stringAttribute("unit") == "stars")
    }

    @Test func compressedChunkedDatasetReadsInSlices() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("big.h5").path
        let values = (0..<200_000).map { Int64($0 % 1000) }
        do {
            let file = try HDF5File.create(path)
            try file.write("v", values, storage: .compressed)
            try file.write("m", (0..<30).map(Float.init), shape: [10, 3], storage: StorageOptions(chunkRows: 4, deflateLevel: 6))
        }
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        #expect(size < 200_000 * 8 / 4, "deflate should shrink a repetitive column at least 4×")
        let file = try HDF5File.open(path)
        let column = try file.dataset("v")
        #expect(column.isCompressed)
        #expect(try column.read(rows: 150_000..<150_010, as: Int64.self) == Array(values[150_000..<150_010]))
        #expect(try column.read(as: Int64.self) == values)
        #expect(try file.dataset("m").read(rows: 8..<10, as: Float.self) == [24, 25, 26, 27, 28, 29])
    }

    @Test func thousandsOfOpenCloseCyclesLeakNothing() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("cycle.h5").path
        do {
            let file = try HDF5File.create(path)
            try file.write("g/data", [Float](repeating: 1, count: 100))
            try file.group("g").setAttribute("name", "x")
        }
        // Other suites may use HDF5 concurrently: hold the library lock for the whole loop so the
        // process-wide count only moves because of what this test opens and closes.
        try HDF5Library.locked {
            let before = HDF5Library.openObjectCount
            #expect(before == 0, "HDF5 objects left open before the loop: something leaked")
            for index in 0..<3000 {
                if index % 500 == 0 { #expect(HDF5Library.openObjectCount == before) }
                let file = try HDF5File.open(path)
                let group = try file.group("g")
                let data = try group.dataset("data")
                _ = try data.read(rows: 0..<(1 + index % 50), as: Float.self)
                _ = try group.stringAttribute("name")
                _ = data.shape
                _ = try? file.dataset("missing")  // failures must not leak either
                _ = try? data.read(as: Int32.self)
        }
        #expect(HDF5Library.openObjectCount == before)
        }
    }

    @Test func errorsNameFileObjectAndProblem() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("e.h5").path
        let missing = dir.appendingPathComponent("nope.h5").path
        #expect(throws: HDF5Error(file: missing, problem: "file does not exist")) {
            try HDF5File.open(missing)
        }
        let text = dir.appendingPathComponent("text.h5").path
        try "hello".write(toFile: text, atomically: true, encoding: .utf8)
        #expect(throws: HDF5Error(file: text, problem: "not an HDF5 file")) { try HDF5File.open(text) }

        do {
            let file = try HDF5File.create(path)
            try file.write("r", [Float(1)])
        }
        let file = try HDF5File.open(path)
        #expect(throws: HDF5Error(file: path, object: "/r", problem: "holds float32, expected int64")) {
            try file.read("r", as: Int64.self)
        }
        #expect(throws: HDF5Error(file: path, object: "/q", problem: "dataset is missing")) {
            try file.dataset("q")
        }
        #expect(throws: HDF5Error(file: path, object: "attribute 'format' of /", problem: "attribute is missing")) {
            try file.stringAttribute("format")
        }
        #expect(throws: HDF5Error(file: path, object: "/r", problem: "rows 0..<5 are outside the dataset's shape [1]")) {
            try file.dataset("r").read(rows: 0..<5, as: Float.self)
        }
        // An error from inside libhdf5 carries its stack's description.
        let readOnly = try HDF5File.open(path)
        do {
            try readOnly.write("new", [Float(1)])
            Issue.record("writing to a read-only file must fail")
        } catch let error as HDF5Error {
            #expect(error.problem == "cannot create dataset")
            #expect(error.object == "/new")
            #expect(!error.detail.isEmpty)
        }
    }

    @Test func atomicWriteLeavesNothingBehindOnFailure() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("out.h5").path
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try writeHDF5Atomically(to: path) { file in
                try file.write("x", [Float(1)])
                throw Boom()
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [])
        try writeHDF5Atomically(to: path) { try $0.write("x", [Float(2)]) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.h5"])
        #expect(try HDF5File.open(path).read("x", as: Float.self) == [2])
    }
}
