import Foundation
import _CHDF5

/// How a dataset is laid out on disk.
public struct StorageOptions: Sendable, Equatable {
    /// Chunk length along the first dimension; `nil` stores the data contiguously.
    public var chunkRows: Int?
    /// Deflate (gzip) level 1–9, or `nil` for none. Only applies to chunked data.
    public var deflateLevel: Int?
    /// Byte shuffle before deflate (helps numeric columns compress).
    public var shuffle: Bool

    public init(chunkRows: Int? = nil, deflateLevel: Int? = nil, shuffle: Bool = true) {
        self.chunkRows = chunkRows
        self.deflateLevel = deflateLevel
        self.shuffle = shuffle
    }

    /// Contiguous, uncompressed: fastest to write and read whole.
    public static let contiguous = StorageOptions()
    /// Chunked (64 Ki rows) with shuffle + deflate level 1: the default for large arrays in
    /// published files, readable in slices.
    public static let compressed = StorageOptions(chunkRows: 65_536, deflateLevel: 1, shuffle: true)
}

/// A group in an HDF5 file: creates and opens child groups and datasets.
///
///     let file = try HDF5File.create("model.h5")
///     let ratings = try file.createGroup("ratings")
///     try ratings.write("rating", [Float](repeating: 4, count: 10))
///     let back: [Float] = try ratings.read("rating")
public class HDF5Group: HDF5Node {
    func childPath(_ name: String) -> String {
        objectPath == "/" ? "/" + name : objectPath + "/" + name
    }

    /// True when a link `path` (relative, may contain `/`) exists below this group.
    public func contains(_ path: String) -> Bool {
        HDF5Library.locked {
            var prefix = ""
            for part in path.split(separator: "/") {
                prefix += prefix.isEmpty ? String(part) : "/" + part
                if H5Lexists(handleID, prefix, projector_H5P_DEFAULT()) <= 0 { return false }
            }
            return !prefix.isEmpty
        }
    }

    public func createGroup(_ name: String) throws -> HDF5Group {
        try HDF5Library.locked {
            // No object timestamps, so the same content gives the same bytes.
            let plist = ScopedID(H5Pcreate(projector_H5P_GROUP_CREATE()), H5Pclose)
            H5Pset_obj_track_times(plist.id, false)
            let id = try check(
                H5Gcreate2(handleID, name, projector_H5P_DEFAULT(), plist.id, projector_H5P_DEFAULT()),
                file: filePath, object: childPath(name), kind: .failure, "cannot create group")
            return HDF5Group(filePath: filePath, objectPath: childPath(name), handle: Handle(id, closer: H5Gclose))
        }
    }

    public func group(_ name: String) throws -> HDF5Group {
        let id = try openChild(name, what: "group") { H5Gopen2(handleID, name, projector_H5P_DEFAULT()) }
        return HDF5Group(filePath: filePath, objectPath: childPath(name), handle: Handle(id, closer: H5Gclose))
    }

    public func dataset(_ name: String) throws -> HDF5Dataset {
        let id = try openChild(name, what: "dataset") { H5Dopen2(handleID, name, projector_H5P_DEFAULT()) }
        return HDF5Dataset(filePath: filePath, objectPath: childPath(name), handle: Handle(id, closer: H5Dclose))
    }

    /// Opens a child group or dataset: "… is missing" (bad input) when there is none.
    private func openChild(_ name: String, what: String, _ open: () -> hid_t) throws -> hid_t {
        try HDF5Library.locked {
            guard contains(name) else {
                throw HDF5Error(file: filePath, object: childPath(name), problem: "\(what) is missing")
            }
            return try check(open(), file: filePath, object: childPath(name), kind: .badInput, "cannot open \(what)")
        }
    }

    /// Names of the links directly in this group, in name order.
    public func childNames() throws -> [String] {
        try HDF5Library.locked {
            var info = H5G_info_t()
            _ = try check(H5Gget_info(handleID, &info), file: filePath, object: objectPath, kind: .badInput, "cannot list group")
            return try namesByIndex(min(Int(clamping: info.nlinks), 1 << 16), what: "group") { index, buffer, size in
                H5Lget_name_by_idx(handleID, ".", H5_INDEX_NAME, H5_ITER_INC, hsize_t(index), buffer, size, projector_H5P_DEFAULT())
            }
        }
    }

    // MARK: Writing

    /// Creates a dataset `name` holding `values` with the given shape (default: 1-D).
    @discardableResult
    public func write<T: HDF5Element>(
        _ name: String, _ values: [T], shape: [Int]? = nil, storage: StorageOptions = .contiguous
    ) throws -> HDF5Dataset {
        let shape = shape ?? [values.count]
        guard shape.reduce(1, *) == values.count, !shape.isEmpty else {
            throw HDF5Error(file: filePath, object: childPath(name),
                            problem: "shape \(shape) does not hold \(values.count) values")
        }
        return try values.withUnsafeBufferPointer { buffer in
            try createDataset(name, type: T.fileType, shape: shape, storage: storage) { id in
                if !values.isEmpty {
                    _ = try check(H5Dwrite(id, T.memoryType, projector_H5S_ALL(), projector_H5S_ALL(),
                                           projector_H5P_DEFAULT(), buffer.baseAddress),
                                  file: filePath, object: childPath(name), kind: .failure, "cannot write dataset")
                }
            }
        }
    }

    /// Creates a 1-D dataset of variable-length UTF-8 strings (h5py: `ds.asstr()[...]`).
    @discardableResult
    public func write(_ name: String, strings: [String], storage: StorageOptions = .contiguous) throws -> HDF5Dataset {
        try HDF5Library.locked {
            let type = ScopedID(try makeStringType(), H5Tclose)
            // One contiguous buffer of NUL-terminated UTF-8 strings, and a pointer to each.
            var offsets: [Int] = []
            offsets.reserveCapacity(strings.count)
            var bytes: [CChar] = []
            bytes.reserveCapacity(strings.reduce(0) { $0 + $1.utf8.count + 1 })
            for string in strings {
                offsets.append(bytes.count)
                bytes.append(contentsOf: string.utf8CString)
            }
            return try bytes.withUnsafeBufferPointer { all in
                let pointers: [UnsafePointer<CChar>?] = offsets.map { all.baseAddress! + $0 }
                return try createDataset(name, type: type.id, shape: [strings.count], storage: storage) { id in
                    if !strings.isEmpty {
                        _ = try check(H5Dwrite(id, type.id, projector_H5S_ALL(), projector_H5S_ALL(),
                                               projector_H5P_DEFAULT(), pointers),
                                      file: filePath, object: childPath(name), kind: .failure, "cannot write dataset")
                    }
                }
            }
        }
    }

    private func createDataset(
        _ name: String, type: hid_t, shape: [Int], storage: StorageOptions, fill: (hid_t) throws -> Void
    ) throws -> HDF5Dataset {
        try HDF5Library.locked {
            var dims = shape.map { hsize_t($0) }
            let space = ScopedID(H5Screate_simple(Int32(dims.count), &dims, nil), H5Sclose)
            let plist = ScopedID(H5Pcreate(projector_H5P_DATASET_CREATE()), H5Pclose)
            H5Pset_obj_track_times(plist.id, false)
            if let chunkRows = storage.chunkRows, !shape.contains(0) {
                var chunk = dims
                chunk[0] = hsize_t(min(chunkRows, shape[0]))
                _ = try check(H5Pset_chunk(plist.id, Int32(chunk.count), &chunk), file: filePath,
                              object: childPath(name), kind: .failure, "cannot set chunking")
                if let level = storage.deflateLevel {
                    if storage.shuffle { H5Pset_shuffle(plist.id) }
                    _ = try check(H5Pset_deflate(plist.id, UInt32(level)), file: filePath,
                                  object: childPath(name), kind: .failure, "cannot set compression")
                }
            }
            let linkPlist = ScopedID(H5Pcreate(projector_H5P_LINK_CREATE()), H5Pclose)
            H5Pset_create_intermediate_group(linkPlist.id, 1)
            let id = try check(
                H5Dcreate2(handleID, name, type, space.id, linkPlist.id, plist.id, projector_H5P_DEFAULT()),
                file: filePath, object: childPath(name), kind: .failure, "cannot create dataset")
            let dataset = HDF5Dataset(filePath: filePath, objectPath: childPath(name),
                                      handle: Handle(id, closer: H5Dclose))
            try fill(id)
            return dataset
        }
    }

    // MARK: Reading

    /// Reads a whole numeric dataset (flattened in row-major order).
    public func read<T: HDF5Element>(_ name: String, as _: T.Type = T.self) throws -> [T] {
        try dataset(name).read(as: T.self)
    }

    /// Reads a numeric dataset that must have exactly `shape` (checked before anything is read);
    /// `why` says where the expected shape comes from ("n_ratings", "n_movies × k").
    ///
    ///     let user: [Int32] = try ratings.read("user", shape: [n], why: "n_ratings")
    public func read<T: HDF5Element>(_ name: String, shape: [Int], why: String, as _: T.Type = T.self) throws -> [T] {
        let dataset = try dataset(name)
        try dataset.expect(shape: shape, why: why)
        return try dataset.read(as: T.self)
    }

    /// Reads a 1-D string dataset that must hold exactly `count` strings.
    public func readStrings(_ name: String, count: Int, why: String) throws -> [String] {
        let dataset = try dataset(name)
        try dataset.expect(shape: [count], why: why)
        return try dataset.readStrings()
    }

    /// Reads a whole dataset of strings.
    public func readStrings(_ name: String) throws -> [String] {
        try dataset(name).readStrings()
    }
}

/// An open HDF5 file. Its root group is the file itself.
///
/// Files are closed when the last reference to them (and to every group and dataset opened from
/// them) goes away, or explicitly with `close()`.
public final class HDF5File: HDF5Group {
    /// Creates (truncating) a file for writing.
    public static func create(_ path: String) throws -> HDF5File {
        try HDF5Library.locked {
            // The root group, like every object written, carries no modification time.
            let plist = ScopedID(H5Pcreate(projector_H5P_FILE_CREATE()), H5Pclose)
            H5Pset_obj_track_times(plist.id, false)
            let id = try check(H5Fcreate(path, projector_H5F_ACC_TRUNC(), plist.id, projector_H5P_DEFAULT()),
                               file: path, object: "", kind: .failure, "cannot create file")
            return HDF5File(filePath: path, objectPath: "/", handle: Handle(id, closer: H5Fclose))
        }
    }

    /// Opens an existing file, read-only unless `writable`.
    public static func open(_ path: String, writable: Bool = false) throws -> HDF5File {
        try HDF5Library.locked {
            guard H5Fis_hdf5(path) > 0 else {
                H5Eclear2(projector_H5E_DEFAULT())
                let exists = access(path, F_OK) == 0
                throw HDF5Error(file: path, problem: exists ? "not an HDF5 file" : "file does not exist")
            }
            let id = try check(
                H5Fopen(path, writable ? projector_H5F_ACC_RDWR() : projector_H5F_ACC_RDONLY(),
                        projector_H5P_DEFAULT()),
                file: path, object: "", kind: .badInput, "cannot open file")
            return HDF5File(filePath: path, objectPath: "/", handle: Handle(id, closer: H5Fclose))
        }
    }

    /// Flushes everything written so far to disk.
    public func flush() throws {
        try HDF5Library.locked {
            _ = try check(H5Fflush(handleID, H5F_SCOPE_GLOBAL), file: filePath, object: "", kind: .failure, "cannot flush file")
        }
    }

    /// Closes the file identifier now. Objects opened from it stay usable until released.
    public func close() { handle.close() }

    /// Closes a file being written and reports a failed close (its last buffers are written then).
    public func finishWriting() throws {
        try HDF5Library.locked {
            _ = try check(handle.close(), file: filePath, object: "", kind: .failure, "cannot close file")
        }
    }
}
