import _CHDF5

/// A Swift number type that maps one-to-one onto an HDF5 type.
///
/// In memory the native type is used; files are always written little-endian with the standard
/// type (`<f4`, `<i8`, …) so that h5py and numpy read them with the dtype the format tables name.
public protocol HDF5Element: Sendable {
    static var memoryType: hid_t { get }
    static var fileType: hid_t { get }
    /// The numpy spelling of the file type, used in messages and format tables.
    static var dtypeName: String { get }
    static var zero: Self { get }
}

extension Float: HDF5Element {
    public static var memoryType: hid_t { projector_H5T_NATIVE_FLOAT() }
    public static var fileType: hid_t { projector_H5T_IEEE_F32LE() }
    public static var dtypeName: String { "float32" }
}
extension Double: HDF5Element {
    public static var memoryType: hid_t { projector_H5T_NATIVE_DOUBLE() }
    public static var fileType: hid_t { projector_H5T_IEEE_F64LE() }
    public static var dtypeName: String { "float64" }
}
extension Int32: HDF5Element {
    public static var memoryType: hid_t { projector_H5T_NATIVE_INT32() }
    public static var fileType: hid_t { projector_H5T_STD_I32LE() }
    public static var dtypeName: String { "int32" }
}
extension Int64: HDF5Element {
    public static var memoryType: hid_t { projector_H5T_NATIVE_INT64() }
    public static var fileType: hid_t { projector_H5T_STD_I64LE() }
    public static var dtypeName: String { "int64" }
}
extension UInt8: HDF5Element {
    public static var memoryType: hid_t { projector_H5T_NATIVE_UINT8() }
    public static var fileType: hid_t { projector_H5T_STD_U8LE() }
    public static var dtypeName: String { "uint8" }
}

/// Describes an HDF5 datatype in numpy terms ("float32", "int64", "string", …) for messages.
func describeType(_ type: hid_t) -> String {
    let cls = H5Tget_class(type)
    let size = H5Tget_size(type)
    switch cls {
    case H5T_FLOAT: return "float\(size * 8)"
    case H5T_INTEGER:
        return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + "\(size * 8)"
    case H5T_STRING: return "string"
    default: return "HDF5 type class \(cls.rawValue)"
    }
}

/// True when `stored` holds exactly the values of `T` (same class, sign and size), so reading
/// it as `T` is lossless. Projector never converts silently between numeric types.
func matches<T: HDF5Element>(_ stored: hid_t, _: T.Type) -> Bool {
    let want = T.memoryType
    return H5Tget_class(stored) == H5Tget_class(want)
        && H5Tget_size(stored) == H5Tget_size(want)
        && (H5Tget_class(stored) != H5T_INTEGER || H5Tget_sign(stored) == H5Tget_sign(want))
}
