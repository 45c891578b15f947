@testable import Evaluation
import Foundation
import Testing

/// Every metric on tiny hand-worked cases.
struct MetricTests {
    @Test func ratingErrorByHand() {
        let e = RatingError.measure(predictions: [3.5, 4, 2], truth: [4, 4, 5])
        #expect(abs(e.rmse - ((0.25 + 0 + 9) / 3.0).squareRoot()) < 1e-12)
        #expect(abs(e.mae - (0.5 + 0 + 3) / 3) < 1e-12)
        #expect(e.count == 3)
    }

    @Test func rankingScoresByHand() {
        // L = [7, 3, 9, 1], R = {3, 1, 5}: hits at ranks 2 and 4.
        let s = RankingScores.measure(ranked: [7, 3, 9, 1], relevant: [3, 1, 5], k: 4)
        #expect(s.precision == 0.5)
        #expect(abs(s.recall - 2.0 / 3.0) < 1e-12)
        let dcg = 1 / log2(3.0) + 1 / log2(5.0), idcg = 1 + 1 / log2(3.0) + 1 / log2(4.0)
        #expect(abs(s.ndcg - dcg / idcg) < 1e-12)
        #expect(abs(s.averagePrecision - (0.5 + 0.5) / 3) < 1e-12)
        #expect(s.hit == 1)
        // k = 1: the first item misses.
        let one = RankingScores.measure(ranked: [7, 3, 9, 1], relevant: [3, 1, 5], k: 1)
        #expect(one.precision == 0 && one.recall == 0 && one.ndcg == 0 && one.averagePrecision == 0 && one.hit == 0)
        // Precision divides by k even when fewer items are relevant.
        let few = RankingScores.measure(ranked: [2, 8], relevant: [2], k: 2)
        #expect(few.precision == 0.5 && few.recall == 1 && few.ndcg == 1 && few.averagePrecision == 1)
    }

    @Test func accumulatorAveragesOverEvaluatedUsersAndCountsSkipped() {
        var acc = RankingMetrics.Accumulator(ks: [1, 2], movies: 5)
        acc.add(ranked: [0, 1], relevant: [1])       // p@1 0, p@2 0.5
        acc.add(ranked: [2, 3], relevant: [2, 3])    // p@1 1, p@2 1
        acc.add(ranked: [4, 0], relevant: [])        // skipped
        var other = RankingMetrics.Accumulator(ks: [1, 2], movies: 5)
        other.add(ranked: [1, 0], relevant: [4])     // p@1 0, p@2 0
        acc.merge(other)
        let r = acc.result
        #expect(r.usersEvaluated == 3 && r.usersSkipped == 1)
        #expect(abs(r.precision[0] - 1.0 / 3.0) < 1e-12 && abs(r.precision[1] - 1.5 / 3.0) < 1e-12)
        #expect(abs(r.hitRate[1] - 2.0 / 3.0) < 1e-12)
        // Coverage@1: top-1 items {0, 2, 1} of 5 movies; @2: {0, 1, 2, 3} (skipped users do not count).
        #expect(r.coverage == [0.6, 0.8])
    }

    @Test func qualityGateNamesBothNumbers() {
        let gate = QualityGate(maxRMSEIncrease: 0.005, maxPrecisionDrop: 0.01)
        let reference: [String: Double?] = ["rmse": 0.84, "precision@10": 0.20]
        #expect(gate.regressions(current: ["rmse": 0.844, "precision@10": 0.195], reference: reference).isEmpty)
        let found = gate.regressions(current: ["rmse": 0.85, "precision@10": 0.18], reference: reference)
        #expect(found.map(\.description) == [
            "rmse rose from 0.8400 to 0.8500 (allowed +0.005)",
            "precision@10 fell from 0.2000 to 0.1800 (allowed −0.01)",
        ])
        let ranking = gate.regressions(current: ["rmse": nil, "precision@10": 0.21], reference: reference)
        #expect(ranking.map(\.metric) == ["rmse"])
        #expect(gate.regressions(current: ["rmse": nil, "precision@10": 0.2], reference: ["rmse": nil, "precision@10": 0.2]).isEmpty)
    }
}

struct ReportFormattingTests {
    /// Axis ticks come from a model file's training curve, which a damaged file can fill with
    /// infinities: formatting must never trap.
    @Test func ticksAndRatingsFormatAnyValue() {
        #expect(HTMLReport.formatTick(3) == "3" && HTMLReport.formatTick(0.25) == "0.25" && HTMLReport.formatTick(0.7000000001) == "0.7")
        #expect(HTMLReport.formatTick(.infinity) == "inf" && HTMLReport.formatTick(.nan) == "nan")
        #expect(HTMLReport.formatRating(4) == "4" && HTMLReport.formatRating(3.5) == "3.5" && HTMLReport.formatRating(3e38) == "3e+38")
    }

    /// Axes at round ticks: multiples of 1, 2 or 5 × 10ⁿ inside the range (the report once put
    /// its ticks at 0.693, 0.754 and k = 5, 9, 13).
    @Test func axesTickAtRoundValues() {
        #expect(HTMLReport.niceTicks(0.693, 0.754) == [0.7, 0.72, 0.74])
        #expect(HTMLReport.niceTicks(5, 20, integers: true) == [5, 10, 15, 20])
        #expect(HTMLReport.niceTicks(1, 430, integers: true) == [100, 200, 300, 400])
        #expect(HTMLReport.niceTicks(0.8, 1.2).map(HTMLReport.formatTick) == ["0.8", "0.9", "1", "1.1", "1.2"])
        #expect(HTMLReport.niceTicks(3, 3).isEmpty == false && HTMLReport.niceTicks(.nan, 1).isEmpty)
    }
}
