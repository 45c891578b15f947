import _CHDF5

/// A dataset in an HDF5 file: its shape, its element type, whole or partial reads.
///
///     let column = try file.dataset("ratings/rating")
///     column.shape                              // [1000209]
///     let first: [Float] = try column.read(rows: 0..<1000)   // a hyperslab, not the whole column
public final class HDF5Dataset: HDF5Node {
    /// Dimensions, outermost first.
    public var shape: [Int] {
        HDF5Library.locked {
            let space = ScopedID(H5Dget_space(handleID), H5Sclose)
            let rank = Int(H5Sget_simple_extent_ndims(space.id))
            guard rank > 0 else { return [] }
            var dims = [hsize_t](repeating: 0, count: rank)
            H5Sget_simple_extent_dims(space.id, &dims, nil)
            return dims.map { Int(clamping: $0) }
        }
    }

    /// The element type in numpy terms ("float32", "int64", "string").
    public var dtypeName: String {
        HDF5Library.locked {
            let type = ScopedID(H5Dget_type(handleID), H5Tclose)
            return describeType(type.id)
        }
    }

    /// Whether the dataset is chunked and compressed with deflate.
    public var isCompressed: Bool {
        HDF5Library.locked {
            let plist = ScopedID(H5Dget_create_plist(handleID), H5Pclose)
            for index in 0..<max(0, H5Pget_nfilters(plist.id)) {
                var flags: UInt32 = 0
                var count = 0
                var config: UInt32 = 0
                if H5Pget_filter2(plist.id, UInt32(index), &flags, &count, nil, 0, nil, &config) == H5Z_FILTER_DEFLATE {
                    return true
                }
            }
            return false
        }
    }

    /// Throws bad input unless the dataset has exactly `shape` (`why`: where that shape comes
    /// from, for the message).
    public func expect(shape expected: [Int], why: String) throws {
        let actual = shape
        guard actual == expected else {
            throw HDF5Error(file: filePath, object: objectPath,
                            problem: "has shape \(actual), expected \(expected) (\(why))")
        }
    }

    /// The number of elements of `dims`, saturating at `Int.max` (a damaged file can claim any shape).
    static func product(_ dims: [Int]) -> Int {
        var total = 1
        for dim in dims {
            let (next, overflow) = total.multipliedReportingOverflow(by: dim)
            if overflow || dim < 0 { return Int.max }
            total = next
        }
        return total
    }

    /// Refuses to read a dataset whose size its storage cannot explain: deflate compresses at most
    /// about 1,032:1, so a dataset claiming more than 1,100 × its stored bytes (plus 1 MiB of fill
    /// values) is damaged or hostile, and reading it would only exhaust memory.
    private func checkPlausibleSize(elements: Int, elementSize: Int) throws {
        let storage = Int(clamping: H5Dget_storage_size(handleID))
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: elementSize)
        let (explained, tooMuch) = storage.multipliedReportingOverflow(by: 1_100)
        guard !overflow, tooMuch || bytes <= explained + (1 << 20) else {
            throw HDF5Error(file: filePath, object: objectPath,
                            problem: "claims \(elements) elements but stores only \(storage) bytes: the file is damaged")
        }
    }

    private func checkType<T: HDF5Element>(_: T.Type) throws {
        let type = ScopedID(H5Dget_type(handleID), H5Tclose)
        guard matches(type.id, T.self) else {
            throw HDF5Error(file: filePath, object: objectPath,
                            problem: "holds \(describeType(type.id)), expected \(T.dtypeName)")
        }
    }

    /// Reads the whole dataset, flattened in row-major order.
    public func read<T: HDF5Element>(as _: T.Type = T.self) throws -> [T] {
        try HDF5Library.locked {
            try checkType(T.self)
            let count = Self.product(shape)
            try checkPlausibleSize(elements: count, elementSize: MemoryLayout<T>.stride)
            var values = [T](repeating: T.zero, count: count)
            if count > 0 {
                _ = try values.withUnsafeMutableBufferPointer {
                    try check(H5Dread(handleID, T.memoryType, projector_H5S_ALL(), projector_H5S_ALL(),
                                      projector_H5P_DEFAULT(), $0.baseAddress),
                              file: filePath, object: objectPath, kind: .badInput, "cannot read dataset")
                }
            }
            return values
        }
    }

    /// Reads rows `rows` of the first dimension (all of the others): a hyperslab, so only those
    /// rows' chunks are touched.
    public func read<T: HDF5Element>(rows: Range<Int>, as _: T.Type = T.self) throws -> [T] {
        try HDF5Library.locked {
            try checkType(T.self)
            let dims = shape
            guard let first = dims.first, rows.lowerBound >= 0, rows.upperBound <= first else {
                throw HDF5Error(file: filePath, object: objectPath,
                                problem: "rows \(rows) are outside the dataset's shape \(dims)")
            }
            let rowSize = Self.product(Array(dims.dropFirst()))
            try checkPlausibleSize(elements: Self.product(dims), elementSize: MemoryLayout<T>.stride)
            var values = [T](repeating: T.zero, count: rows.count * rowSize)
            guard !values.isEmpty else { return values }
            let fileSpace = ScopedID(H5Dget_space(handleID), H5Sclose)
            var start = [hsize_t](repeating: 0, count: dims.count)
            start[0] = hsize_t(rows.lowerBound)
            var count = dims.map { hsize_t($0) }
            count[0] = hsize_t(rows.count)
            _ = try check(H5Sselect_hyperslab(fileSpace.id, H5S_SELECT_SET, &start, nil, &count, nil),
                          file: filePath, object: objectPath, kind: .badInput, "cannot select rows \(rows)")
            let memSpace = ScopedID(H5Screate_simple(Int32(count.count), &count, nil), H5Sclose)
            _ = try values.withUnsafeMutableBufferPointer {
                try check(H5Dread(handleID, T.memoryType, memSpace.id, fileSpace.id, projector_H5P_DEFAULT(),
                                  $0.baseAddress),
                          file: filePath, object: objectPath, kind: .badInput, "cannot read rows \(rows)")
            }
            return values
        }
    }

    /// Reads a 1-D dataset of strings (variable- or fixed-length).
    public func readStrings() throws -> [String] {
        try HDF5Library.locked {
            let type = ScopedID(H5Dget_type(handleID), H5Tclose)
            guard H5Tget_class(type.id) == H5T_STRING else {
                throw HDF5Error(file: filePath, object: objectPath,
                                problem: "holds \(describeType(type.id)), expected strings")
            }
            let count = Self.product(shape)
            guard count > 0 else { return [] }
            try checkPlausibleSize(elements: count, elementSize: H5Tis_variable_str(type.id) > 0 ? 16 : max(1, H5Tget_size(type.id)))
            if H5Tis_variable_str(type.id) > 0 {
                let memType = ScopedID(try makeStringType(), H5Tclose)
                var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
                _ = try check(H5Dread(handleID, memType.id, projector_H5S_ALL(), projector_H5S_ALL(),
                                      projector_H5P_DEFAULT(), &pointers),
                              file: filePath, object: objectPath, kind: .badInput, "cannot read dataset")
                let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
                let space = ScopedID(H5Dget_space(handleID), H5Sclose)
                H5Dvlen_reclaim(memType.id, space.id, projector_H5P_DEFAULT(), &pointers)
                return strings
            } else {
                let size = H5Tget_size(type.id)
                var bytes = [UInt8](repeating: 0, count: size * count)
                _ = try check(H5Dread(handleID, type.id, projector_H5S_ALL(), projector_H5S_ALL(),
                                      projector_H5P_DEFAULT(), &bytes),
                              file: filePath, object: objectPath, kind: .badInput, "cannot read dataset")
                return (0..<count).map { index in
                    let slice = bytes[(index * size)..<((index + 1) * size)]
                    let end = slice.firstIndex(of: 0) ?? slice.endIndex
                    return String(decoding: slice[slice.startIndex..<end], as: UTF8.self)
                }
            }
        }
    }
}
