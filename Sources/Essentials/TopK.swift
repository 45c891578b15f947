/// The k best entries of a score row, best first, by partial selection (a bounded insertion
/// list, never a full sort): higher score first, ties broken by lower index. Entries with score
/// −∞ (excluded movies) are never selected.
///
///     topK([0.1, 0.9, 0.5, 0.9], k: 2)   // [1, 3]
@inline(__always)
public func topK(_ scores: UnsafeBufferPointer<Float>, k: Int, into result: inout [Int32]) {
    result.removeAll(keepingCapacity: true)
    guard k > 0 else { return }
    var best = [Float]()
    best.reserveCapacity(k)
    for index in 0..<scores.count {
        let value = scores[index]
        if value == -.infinity || value.isNaN { continue }
        // Indices arrive in increasing order, so an equal score never displaces an earlier one.
        if best.count == k && !(value > best[k - 1]) { continue }
        if best.count < k {
            best.append(value)
            result.append(Int32(index))
        } else {
            best[k - 1] = value
            result[k - 1] = Int32(index)
        }
        var slot = best.count - 1
        while slot > 0 && value > best[slot - 1] {
            best.swapAt(slot, slot - 1)
            result.swapAt(slot, slot - 1)
            slot -= 1
        }
    }
}

public func topK(_ scores: [Float], k: Int) -> [Int] {
    var result: [Int32] = []
    scores.withUnsafeBufferPointer { topK($0, k: k, into: &result) }
    return result.map(Int.init)
}
