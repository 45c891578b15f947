/// The k best entries of a score row, best first, by partial selection (a bounded insertion
/// list, never a full sort): higher score first, ties broken by lower index. Entries with score
/// −∞ (excluded movies) are never selected.
///
///     topK([0.1, 0.9, 0.5, 0.9], k: 2)   // [1, 3]
@inline(__always)
public func topK(_ scores: UnsafeBufferPointer<Float>, k: Int, into result: inout [Int32]) {
    result.removeAll(keepingCapacity: true)
    guard k > 0 else { return }
    // The k-th best score once k are held; the scores of the held entries are read back from
    // `scores`, so selection allocates nothing.
    var threshold = -Float.infinity
    for index in 0..<scores.count {
        let value = scores[index]
        // NaN fails both tests; −∞ is never held. An equal score never displaces an earlier one.
        if result.count == k ? !(value > threshold) : !(value > -.infinity) { continue }
        if result.count < k { result.append(Int32(index)) } else { result[k - 1] = Int32(index) }
        var slot = result.count - 1
        while slot > 0 && value > scores[Int(result[slot - 1])] {
            result.swapAt(slot, slot - 1)
            slot -= 1
        }
        if result.count == k { threshold = scores[Int(result[k - 1])] }
    }
}

public func topK(_ scores: [Float], k: Int) -> [Int] {
    var result: [Int32] = []
    scores.withUnsafeBufferPointer { topK($0, k: k, into: &result) }
    return result.map(Int.init)
}
