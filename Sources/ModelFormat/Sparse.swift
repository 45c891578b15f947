/// Compressed sparse rows: for each row, the columns and values of its entries, sorted by column.
///
/// Training ratings are kept twice, by user (`TrainingSet.byUser`) and by movie
/// (`TrainingSet.byMovie`), so that both halves of an ALS sweep read contiguous memory.
public struct SparseRows: Sendable {
    /// Row r's entries are `pointers[r]..<pointers[r + 1]`.
    public var pointers: [Int]
    public var columns: [Int32]
    public var values: [Float]

    public var rowCount: Int { pointers.count - 1 }

    @inline(__always) public func range(_ row: Int) -> Range<Int> { pointers[row]..<pointers[row + 1] }

    /// How many entries each column has (for the training movies by user: each movie's
    /// popularity, the count the popularity baseline and cold-start answers rank by).
    public func columnCounts(_ columnCount: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: columnCount)
        for column in columns { counts[Int(column)] += 1 }
        return counts
    }

    /// Whether the rows are a CSR of `rows` rows over `columnCount` columns: pointers from 0, never
    /// decreasing, ending at the entries' count, every column in range (what a reader checks; an
    /// in-memory value may be anything).
    public func isWellFormed(rows: Int, columnCount: Int) -> Bool {
        guard pointers.count == rows + 1, pointers.first == 0, pointers.last == columns.count, values.count == columns.count else { return false }
        for index in 1..<pointers.count where pointers[index] < pointers[index - 1] { return false }
        return columns.allSatisfy { $0 >= 0 && Int($0) < columnCount }
    }

    /// The same entries with every value 1 (membership only).
    public func binary() -> SparseRows {
        var copy = self
        copy.values = [Float](repeating: 1, count: columns.count)
        return copy
    }

    /// Rows from their parts (pointers: rows + 1 ascending offsets into columns and values).
    public init(pointers: [Int], columns: [Int32], values: [Float]) {
        precondition(pointers.last == columns.count && columns.count == values.count, "SparseRows: inconsistent parts")
        self.pointers = pointers
        self.columns = columns
        self.values = values
    }

    /// Builds rows from (row, column, value) triplets (any order; stable within a row).
    public init(rows: Int, rowOf: [Int32], columnOf: [Int32], values source: [Float]) {
        let (pointers, order) = Self.rowOrder(rows: rows, rowOf: rowOf)
        self.pointers = pointers
        self.columns = order.map { columnOf[$0] }
        self.values = order.map { source[$0] }
    }

    /// A counting sort of triplets by row: the rows' pointers, and `order[slot]` the triplet at
    /// each slot (stable within a row). Integer positions, exact at any size.
    public static func rowOrder(rows: Int, rowOf: [Int32]) -> (pointers: [Int], order: [Int]) {
        var pointers = [Int](repeating: 0, count: rows + 1)
        for row in rowOf { pointers[Int(row) + 1] += 1 }
        for row in 0..<rows { pointers[row + 1] += pointers[row] }
        var cursor = pointers
        var order = [Int](repeating: 0, count: rowOf.count)
        for index in rowOf.indices {
            let row = Int(rowOf[index])
            order[cursor[row]] = index
            cursor[row] += 1
        }
        return (pointers, order)
    }
}
