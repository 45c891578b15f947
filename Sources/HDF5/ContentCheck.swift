/// Checks a reader makes on what it read, before anything uses it: every index in range, values
/// finite, ids unique, CSR pointers monotone. A violation is bad input naming the file, the
/// dataset and the first bad position:
///
///     ratings.h5: /ratings/user: position 17 holds 6040, outside 0..<6040 (n_users)
///
///     let check = ContentCheck(file: path)
///     try check.indices(user, below: n, "/ratings/user", why: "n_users")
public struct ContentCheck: Sendable {
    public let file: String

    public init(file: String) { self.file = file }

    // The generic checks are `@inlinable` so each reader gets them specialised for its element
    // type: unspecialised, they went through value witnesses per element and were a fifth of
    // opening a 170 MB model (ML-10M size).

    public func fail(_ dataset: String, _ problem: String) -> HDF5Error {
        HDF5Error(file: file, object: dataset, problem: problem)
    }

    /// Every value in `0..<bound` (or −1, where `allowMinusOne`: "none").
    @inlinable
    public func indices<T: BinaryInteger>(_ values: [T], below bound: Int, _ dataset: String, why: String, allowMinusOne: Bool = false) throws {
        let low: T = allowMinusOne ? -1 : 0
        if let position = values.firstIndex(where: { $0 < low || $0 >= bound }) {
            throw fail(dataset, "position \(position) holds \(values[position]), outside \(allowMinusOne ? "-1" : "0")..<\(bound) (\(why))")
        }
    }

    /// Every value finite (no NaN or infinity).
    @inlinable
    public func finite<T: BinaryFloatingPoint>(_ values: [T], _ dataset: String) throws {
        if let position = values.firstIndex(where: { !$0.isFinite }) {
            throw fail(dataset, "position \(position) holds \(values[position]): values must be finite")
        }
    }

    /// Values strictly increasing (so also unique).
    @inlinable
    public func strictlyIncreasing<T: Comparable>(_ values: [T], _ dataset: String, what: String = "values") throws {
        if let position = values.indices.dropFirst().first(where: { !(values[$0 - 1] < values[$0]) }) {
            throw fail(dataset, "position \(position) holds \(values[position]) after \(values[position - 1]): \(what) must be unique and ascending")
        }
    }

    /// CSR row pointers: start at 0, never decrease, end at `count` (the entries' length).
    @inlinable
    public func pointers<T: BinaryInteger>(_ values: [T], rows: Int, count: Int, _ dataset: String) throws {
        guard values.count == rows + 1 else {
            throw fail(dataset, "holds \(values.count) pointers, expected \(rows + 1) (rows + 1)")
        }
        guard values.first == 0 else { throw fail(dataset, "position 0 holds \(values[0]), expected 0") }
        if let position = values.indices.dropFirst().first(where: { values[$0] < values[$0 - 1] }) {
            throw fail(dataset, "position \(position) holds \(values[position]), less than \(values[position - 1]) before it: pointers must not decrease")
        }
        guard values.last.map({ Int(truncatingIfNeeded: $0) }) == count else {
            throw fail(dataset, "ends at \(values.last!), expected \(count) (the number of entries)")
        }
    }

    /// Every value one of `allowed`.
    @inlinable
    public func oneOf<T: Equatable>(_ values: [T], _ allowed: [T], _ dataset: String) throws {
        if let position = values.firstIndex(where: { !allowed.contains($0) }) {
            throw fail(dataset, "position \(position) holds \(values[position]), expected one of \(allowed.map { "\($0)" }.joined(separator: ", "))")
        }
    }
}
