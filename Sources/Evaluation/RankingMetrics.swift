import Foundation

/// Top-k ranking quality with binary relevance, for one user; averaged over users by
/// `RankingMetrics.Accumulator`.
///
/// For a ranked list L (best first) and relevant set R:
/// - precision@k = |L[:k] ∩ R| / k — divided by k even when |R| < k (peers differ; LensKit and
///   implicit divide by k, some papers by min(k, |R|))
/// - recall@k = |L[:k] ∩ R| / |R|
/// - NDCG@k = Σ_{r ≤ k, L[r] ∈ R} 1/log₂(r + 1) ÷ Σ_{r ≤ min(k, |R|)} 1/log₂(r + 1)
/// - MAP@k (average precision) = Σ_{r ≤ k, L[r] ∈ R} precision@r ÷ min(k, |R|)
/// - hit rate@k = 1 if L[:k] ∩ R ≠ ∅
///
/// Hand-worked: L = [7, 3, 9, 1], R = {3, 1, 5}, k = 4 → hits at ranks 2 and 4: precision 2/4,
/// recall 2/3, DCG = 1/log₂3 + 1/log₂5, IDCG = 1 + 1/log₂3 + 1/log₂4, AP = (1/2 + 2/4) / 3.
public struct RankingScores: Sendable, Equatable {
    public var precision: Double
    public var recall: Double
    public var ndcg: Double
    public var averagePrecision: Double
    public var hit: Double

    public static func measure(ranked: ArraySlice<Int32>, relevant: Set<Int32>, k: Int) -> RankingScores {
        precondition(!relevant.isEmpty && k > 0)
        var hits = 0, dcg = 0.0, precisionSum = 0.0
        for (position, movie) in ranked.prefix(k).enumerated() where relevant.contains(movie) {
            hits += 1
            dcg += 1 / log2(Double(position + 2))
            precisionSum += Double(hits) / Double(position + 1)
        }
        let ideal = (0..<min(k, relevant.count)).reduce(0.0) { $0 + 1 / log2(Double($1 + 2)) }
        return RankingScores(
            precision: Double(hits) / Double(k), recall: Double(hits) / Double(relevant.count),
            ndcg: dcg / ideal, averagePrecision: precisionSum / Double(min(k, relevant.count)),
            hit: hits > 0 ? 1 : 0)
    }
}

/// Means of `RankingScores` over users, for each k, plus catalogue coverage of the top-k lists.
public struct RankingMetrics: Sendable, Equatable {
    public var ks: [Int]
    /// Per k, the mean over evaluated users.
    public var precision: [Double]
    public var recall: [Double]
    public var ndcg: [Double]
    public var map: [Double]
    public var hitRate: [Double]
    /// Per k, distinct movies in the top-k lists ÷ movies.
    public var coverage: [Double]
    public var usersEvaluated: Int
    /// Users with no relevant held-out rating, left out of the means.
    public var usersSkipped: Int

    public struct Accumulator: Sendable {
        var ks: [Int]
        var sums: [[Double]]  // per k: precision, recall, ndcg, map, hit
        var seen: [[Bool]]    // per k: movies in some top-k list
        var users = 0
        var skipped = 0

        public init(ks: [Int], movies: Int) {
            self.ks = ks
            sums = ks.map { _ in [0, 0, 0, 0, 0] }
            seen = ks.map { _ in [Bool](repeating: false, count: movies) }
        }

        /// Adds one user's ranked list (at least max(ks) long where possible).
        public mutating func add(ranked: [Int32], relevant: Set<Int32>) {
            guard !relevant.isEmpty else {
                skipped += 1
                return
            }
            users += 1
            for (index, k) in ks.enumerated() {
                let scores = RankingScores.measure(ranked: ranked[...], relevant: relevant, k: k)
                sums[index][0] += scores.precision
                sums[index][1] += scores.recall
                sums[index][2] += scores.ndcg
                sums[index][3] += scores.averagePrecision
                sums[index][4] += scores.hit
                for movie in ranked.prefix(k) { seen[index][Int(movie)] = true }
            }
        }

        public mutating func merge(_ other: Accumulator) {
            for index in ks.indices {
                for metric in 0..<5 { sums[index][metric] += other.sums[index][metric] }
                for movie in seen[index].indices where other.seen[index][movie] { seen[index][movie] = true }
            }
            users += other.users
            skipped += other.skipped
        }

        public var result: RankingMetrics {
            let n = Double(max(1, users))
            func mean(_ metric: Int) -> [Double] { sums.map { users == 0 ? .nan : $0[metric] / n } }
            return RankingMetrics(
                ks: ks, precision: mean(0), recall: mean(1), ndcg: mean(2), map: mean(3), hitRate: mean(4),
                coverage: seen.map { Double($0.filter { $0 }.count) / Double(max(1, $0.count)) },
                usersEvaluated: users, usersSkipped: skipped)
        }
    }

    /// The metrics as `name@k → value` pairs (`precision@10`, …).
    public var named: [(String, Double)] {
        var pairs: [(String, Double)] = []
        for (index, k) in ks.enumerated() {
            pairs += [("precision@\(k)", precision[index]), ("recall@\(k)", recall[index]), ("ndcg@\(k)", ndcg[index]),
                      ("map@\(k)", map[index]), ("hit_rate@\(k)", hitRate[index]), ("coverage@\(k)", coverage[index])]
        }
        return pairs
    }
}
