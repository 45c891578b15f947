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
    let count = scores.count
    var index = -1
    while true {
        index += 1
        if result.count == k {
            // Once k are held, most scores are not above the k-th: skipped in a tight loop.
            while index < count && !(scores[index] > threshold) { index += 1 }
        }
        guard index < count else { break }
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

/// The k-th largest of `values` (1 ≤ k ≤ values.count) by quickselect (Hoare partition, median
/// of three; linear on average), reordering `values`. For thresholds where k is large (keeping the
/// 1,000 largest of 59,000 weights), where `topK`'s insertion list would be quadratic.
///
///     var values: [Float] = [3, 9, 1, 7]
///     kthLargest(&values, k: 2)   // 7
public func kthLargest(_ values: inout [Float], k: Int) -> Float {
    precondition(k >= 1 && k <= values.count, "k must be within 1…count")
    return values.withUnsafeMutableBufferPointer { v in
        var low = 0, high = v.count - 1
        let target = k - 1  // the index it would have sorted descending
        while low < high {
            let a = v[low], b = v[low + (high - low) / 2], c = v[high]
            let pivot = max(min(a, b), min(max(a, b), c))
            var i = low, j = high
            while i <= j {
                while v[i] > pivot { i += 1 }
                while v[j] < pivot { j -= 1 }
                if i <= j {
                    v.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            // v[low...j] ≥ pivot ≥ v[i...high]; anything between equals the pivot.
            if target <= j { high = j } else if target >= i { low = i } else { return pivot }
        }
        return v[low]
    }
}
