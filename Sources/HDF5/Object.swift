import _CHDF5

/// Anything in an HDF5 file that carries attributes: the file's root group, a group, a dataset.
///
/// Attributes are small metadata: scalars, short arrays and strings (stored as variable-length
/// UTF-8, which h5py returns as `str`).
///
///     try file.setAttribute("format", "projector.ratings")
///     try file.setAttribute("format_version", Int64(1))
///     let version: Int64 = try file.attribute("format_version")
public protocol HDF5Object: AnyObject {
    /// Path of the file the object lives in.
    var filePath: String { get }
    /// Path of the object inside the file (`/`, `/ratings`, `/ratings/user`).
    var objectPath: String { get }
    var handleID: hid_t { get }
}

/// What groups, files and datasets share: the file, the path inside it, the open handle.
public class HDF5Node: HDF5Object {
    public let filePath: String
    public let objectPath: String
    let handle: Handle
    public var handleID: hid_t { handle.id }

    init(filePath: String, objectPath: String, handle: Handle) {
        self.filePath = filePath
        self.objectPath = objectPath
        self.handle = handle
    }
}

extension HDF5Object {
    func attributeLabel(_ name: String) -> String { "attribute '\(name)' of \(objectPath)" }

    /// Names of the attributes on this object, in name order.
    public func attributeNames() throws -> [String] {
        try HDF5Library.locked {
            var info = H5O_info_t()
            try check(H5Oget_info2(handleID, &info, UInt32(H5O_INFO_NUM_ATTRS)), file: filePath,
                      object: objectPath, kind: .badInput, "cannot read object info")
            return try namesByIndex(min(Int(clamping: info.num_attrs), 1 << 16), what: "attributes") { index, buffer, size in
                H5Aget_name_by_idx(handleID, ".", H5_INDEX_NAME, H5_ITER_INC, hsize_t(index), buffer, size, projector_H5P_DEFAULT())
            }
        }
    }

    /// Reads `count` names through an HDF5 `*_get_name_by_idx` call: once for the length, once
    /// for the text.
    func namesByIndex(
        _ count: Int, what: String, _ call: (Int, UnsafeMutablePointer<CChar>?, Int) -> Int
    ) throws -> [String] {
        try (0..<count).map { index in
            let length = call(index, nil, 0)
            try check(length, file: filePath, object: objectPath, kind: .badInput, "cannot list \(what)")
            guard length <= 1 << 16 else {
                throw HDF5Error(file: filePath, object: objectPath, problem: "has a name of \(length) bytes among its \(what)")
            }
            var buffer = [CChar](repeating: 0, count: length + 1)
            _ = call(index, &buffer, buffer.count)
            return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    public func hasAttribute(_ name: String) -> Bool {
        HDF5Library.locked { H5Aexists(handleID, name) > 0 }
    }

    /// Writes (or replaces) a numeric attribute holding one value.
    public func setAttribute<T: HDF5Element>(_ name: String, _ value: T) throws {
        try writeAttribute(name, [value], scalar: true)
    }

    /// Writes (or replaces) a numeric attribute holding a 1-D array.
    public func setAttribute<T: HDF5Element>(_ name: String, _ values: [T]) throws {
        try writeAttribute(name, values, scalar: false)
    }

    /// Writes (or replaces) a string attribute (variable-length UTF-8).
    public func setAttribute(_ name: String, _ value: String) throws {
        try HDF5Library.locked {
            try deleteAttributeIfPresent(name)
            let type = ScopedID(try makeStringType(), H5Tclose)
            let space = ScopedID(H5Screate(H5S_SCALAR), H5Sclose)
            let attr = ScopedID(
                try check(H5Acreate2(handleID, name, type.id, space.id, projector_H5P_DEFAULT(),
                                     projector_H5P_DEFAULT()),
                          file: filePath, object: attributeLabel(name), kind: .failure, "cannot create attribute"),
                H5Aclose)
            try value.withCString { cString in
                var pointer: UnsafePointer<CChar>? = cString
                _ = try check(H5Awrite(attr.id, type.id, &pointer), file: filePath,
                              object: attributeLabel(name), kind: .failure, "cannot write attribute")
            }
        }
    }

    private func deleteAttributeIfPresent(_ name: String) throws {
        if H5Aexists(handleID, name) > 0 {
            _ = try check(H5Adelete(handleID, name), file: filePath, object: attributeLabel(name),
                          kind: .failure, "cannot replace attribute")
        }
    }

    private func writeAttribute<T: HDF5Element>(_ name: String, _ values: [T], scalar: Bool) throws {
        try HDF5Library.locked {
            try deleteAttributeIfPresent(name)
            var dims = [hsize_t(values.count)]
            let space = ScopedID(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dims, nil), H5Sclose)
            let attr = ScopedID(
                try check(H5Acreate2(handleID, name, T.fileType, space.id, projector_H5P_DEFAULT(),
                                     projector_H5P_DEFAULT()),
                          file: filePath, object: attributeLabel(name), kind: .failure, "cannot create attribute"),
                H5Aclose)
            if !values.isEmpty {
                _ = try values.withUnsafeBufferPointer {
                    try check(H5Awrite(attr.id, T.memoryType, $0.baseAddress), file: filePath,
                              object: attributeLabel(name), kind: .failure, "cannot write attribute")
                }
            }
        }
    }

    private func openAttribute(_ name: String) throws -> ScopedID {
        guard H5Aexists(handleID, name) > 0 else {
            throw HDF5Error(file: filePath, object: attributeLabel(name), problem: "attribute is missing")
        }
        return ScopedID(
            try check(H5Aopen(handleID, name, projector_H5P_DEFAULT()), file: filePath,
                      object: attributeLabel(name), kind: .badInput, "cannot open attribute"),
            H5Aclose)
    }

    /// Reads a numeric attribute as an array (a scalar attribute gives one element).
    public func attributeArray<T: HDF5Element>(_ name: String, as _: T.Type = T.self) throws -> [T] {
        try HDF5Library.locked {
            let attr = try openAttribute(name)
            let type = ScopedID(H5Aget_type(attr.id), H5Tclose)
            guard matches(type.id, T.self) else {
                throw HDF5Error(
                    file: filePath, object: attributeLabel(name),
                    problem: "holds \(describeType(type.id)), expected \(T.dtypeName)")
            }
            let count = try elementCount(attr.id, name, limit: 1 << 20)
            var values = [T](repeating: T.zero, count: count)
            if count > 0 {
                _ = try values.withUnsafeMutableBufferPointer {
                    try check(H5Aread(attr.id, T.memoryType, $0.baseAddress), file: filePath,
                              object: attributeLabel(name), kind: .badInput, "cannot read attribute")
                }
            }
            return values
        }
    }

    /// Reads a numeric attribute holding exactly one value.
    public func attribute<T: HDF5Element>(_ name: String, as _: T.Type = T.self) throws -> T {
        let values = try attributeArray(name, as: T.self)
        guard values.count == 1 else {
            throw HDF5Error(file: filePath, object: attributeLabel(name),
                            problem: "holds \(values.count) values, expected one")
        }
        return values[0]
    }

    /// Reads a string attribute, fixed- or variable-length.
    public func stringAttribute(_ name: String) throws -> String {
        try HDF5Library.locked {
            let attr = try openAttribute(name)
            let type = ScopedID(H5Aget_type(attr.id), H5Tclose)
            guard H5Tget_class(type.id) == H5T_STRING else {
                throw HDF5Error(file: filePath, object: attributeLabel(name),
                                problem: "holds \(describeType(type.id)), expected a string")
            }
            // Exactly one string of a sane size: libhdf5 writes every element the attribute holds
            // into the buffer it is given, so an array attribute must never reach H5Aread here.
            guard try elementCount(attr.id, name, limit: 1) == 1 else {
                throw HDF5Error(file: filePath, object: attributeLabel(name), problem: "holds no string, expected one")
            }
            if H5Tis_variable_str(type.id) > 0 {
                let memType = ScopedID(try makeStringType(), H5Tclose)
                var pointer: UnsafeMutablePointer<CChar>? = nil
                _ = try check(H5Aread(attr.id, memType.id, &pointer), file: filePath,
                              object: attributeLabel(name), kind: .badInput, "cannot read attribute")
                defer { if let pointer { H5free_memory(pointer) } }
                return pointer.map { String(cString: $0) } ?? ""
            } else {
                let size = H5Tget_size(type.id)
                guard size > 0, size <= 1 << 20 else {
                    throw HDF5Error(file: filePath, object: attributeLabel(name), problem: "is a string of \(size) bytes, expected at most 1 MiB")
                }
                var bytes = [UInt8](repeating: 0, count: size + 1)
                _ = try check(H5Aread(attr.id, type.id, &bytes), file: filePath,
                              object: attributeLabel(name), kind: .badInput, "cannot read attribute")
                let end = bytes.firstIndex(of: 0) ?? size
                return String(decoding: bytes[..<end], as: UTF8.self)
            }
        }
    }

    /// The number of elements an attribute holds, refused (bad input) when negative (an error)
    /// or above `limit`.
    private func elementCount(_ attribute: hid_t, _ name: String, limit: Int) throws -> Int {
        let space = ScopedID(H5Aget_space(attribute), H5Sclose)
        let count = Int(clamping: H5Sget_simple_extent_npoints(space.id))
        guard count >= 0, count <= limit else {
            throw HDF5Error(file: filePath, object: attributeLabel(name),
                            problem: count < 0 ? "cannot read its size" : "holds \(count) values, expected at most \(limit)")
        }
        return count
    }

    func makeStringType() throws -> hid_t {
        let type = H5Tcopy(projector_H5T_C_S1())
        _ = try check(type, file: filePath, object: objectPath, kind: .failure, "cannot create string type")
        H5Tset_size(type, projector_H5T_VARIABLE())
        H5Tset_cset(type, H5T_CSET_UTF8)
        return type
    }
}
