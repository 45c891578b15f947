import Essentials
import Foundation
import LinearAlgebra
import ModelFormat
import MovieLens

extension FMSampler {
    /// Ordered probit (`likelihood` ordinal; Albert & Chib 1993). Rating r's class c_r (its step
    /// on the scale, 0 for the lowest) is where a latent z_r ~ N(η_r, 1/(α w_r)) falls among
    /// cut-points κ₁ < … < κ_{C−1}: c_r = c ⇔ κ_c < z_r ≤ κ_{c+1} (κ₀ = −∞, κ_C = +∞), with η_r
    /// the FM (in the ratings' units, m + ŷ_r) and w_r the row's noise weight.
    ///
    /// The first and last cut-points are fixed half a step inside the scale's ends (1.5 and 4.5
    /// for whole stars): they fix the latent's location and scale, so w₀ and α are drawn as
    /// under Gaussian regression — only the inner cut-points are sampled. (Fixing α = 1 and
    /// every cut-point free instead, as myFM does, let the latent scale drift for hundreds of
    /// sweeps here.) The FM then fits z as Gaussian regression fits y.
    ///
    /// Each sweep, before the noise weights: the inner cut-points jointly by random-walk
    /// Metropolis–Hastings on their conditional given η with every z integrated out (Cowles
    /// 1996: p(κ | η) ∝ Π_r P(κ_{c_r} < z ≤ κ_{c_r+1})); then every z_r from its normal
    /// truncated to its class's interval, given the new κ. The walk's step follows a
    /// Robbins–Monro recursion towards an acceptance of ¼ with gains n^−0.6 that vanish
    /// (adaptive Metropolis with diminishing adaptation; Andrieu & Thoms 2008): the cut-points'
    /// posterior narrows with the data (ML-1M: about 0.002 wide), which no fixed step suits, and a
    /// step tuned during burn-in only, while η still moves, was ten times too wide after it.
    struct Ordinal {
        /// Each training row's class.
        let classes: [UInt16]
        let levels: Int
        /// κ₁ … κ_{C−1}, ascending; the first and the last fixed.
        var cuts: [Double]
        /// Each training row's latent value.
        var latent: [Double]
        /// log of the random walk's step: each inner cut-point moves by step × N(0, 1).
        var logWalk = Foundation.log(0.01)
        /// Proposals so far (the adaptation's clock).
        var steps = 0
        /// Proposals and acceptances after burn-in.
        var proposed = 0, accepted = 0

        /// Starts each latent value at its rating and each cut-point halfway between two ratings.
        init(ratings: [Float], scale: RatingScale) {
            let levels = scale.levels ?? 2, minimum = Double(scale.minimum), step = Double(scale.step)
            self.levels = levels
            classes = ratings.map { UInt16(clamping: max(0, min(levels - 1, Int(((Double($0) - minimum) / step).rounded())))) }
            cuts = (1..<levels).map { minimum + (Double($0) - 0.5) * step }
            latent = ratings.map(Double.init)
        }
    }

    /// Rows per chunk of the ordinal passes, each chunk with its own random stream: the same
    /// draws whatever the cores.
    static let ordinalChunk = 16_384

    /// The inner cut-points' Metropolis–Hastings step, then every row's latent value given them;
    /// each residual moves by its latent's change. `counted`: after burn-in (the acceptance the
    /// model file reports).
    mutating func sampleOrdinal(counted: Bool, rng: inout SeededGenerator) {
        guard var ordinal else { return }
        let rowCount = self.rowCount, alpha = self.alpha
        let chunks = (rowCount + Self.ordinalChunk - 1) / Self.ordinalChunk
        let (classes, levels) = (ordinal.classes, ordinal.levels)
        /// A row's class interval under cut-points `cuts`.
        @inline(__always) func interval(_ c: Int, _ cuts: UnsafeBufferPointer<Double>) -> (Double, Double) {
            (c == 0 ? -.infinity : cuts[c - 1], c == levels - 1 ? .infinity : cuts[c])
        }
        if ordinal.cuts.count > 2 {
            var proposal = ordinal.cuts
            let walk = Foundation.exp(ordinal.logWalk)
            for c in proposal.indices.dropFirst().dropLast() { proposal[c] += walk * rng.nextGaussian() }
            let threshold = Foundation.log(max(rng.nextUniform(), .leastNonzeroMagnitude))
            var acceptance = 0.0
            // An unordered proposal has probability 0: rejected without a pass.
            if zip(proposal, proposal.dropFirst()).allSatisfy({ $0 < $1 }) {
                var ratios = [Double](repeating: 0, count: chunks)
                residual.withUnsafeBufferPointer { residual in
                rowWeight.withUnsafeBufferPointer { weight in
                ordinal.latent.withUnsafeBufferPointer { latent in
                ordinal.cuts.withUnsafeBufferPointer { old in
                proposal.withUnsafeBufferPointer { new in
                ratios.withUnsafeMutableBufferPointer { ratios in
                    let out = UncheckedBuffer(ratios)
                    Parallel.forEach(chunks) { chunk in
                        var sum = 0.0
                        for r in (chunk * Self.ordinalChunk)..<min(rowCount, (chunk + 1) * Self.ordinalChunk) {
                            let c = Int(classes[r]), eta = latent[r] - residual[r], s = (alpha * weight[r]).squareRoot()
                            let (lowNew, highNew) = interval(c, new), (lowOld, highOld) = interval(c, old)
                            sum += StandardNormal.logInterval(s * (lowNew - eta), s * (highNew - eta))
                                - StandardNormal.logInterval(s * (lowOld - eta), s * (highOld - eta))
                        }
                        out[chunk] = sum
                    }
                }}}}}}
                // Chunks summed in order: the same bytes on any cores. Flat prior on ordered κ.
                let logRatio = ratios.reduce(0, +)
                acceptance = logRatio >= 0 ? 1 : Foundation.exp(logRatio)
                if threshold < logRatio {
                    ordinal.cuts = proposal
                    if counted { ordinal.accepted += 1 }
                }
            }
            if counted { ordinal.proposed += 1 }
            ordinal.steps += 1
            ordinal.logWalk += (acceptance - 0.25) * Foundation.pow(Double(ordinal.steps), -0.6)
        }
        // The latent values given the cut-points (ŷ does not move: η_r = z_r − e_r before and after).
        let streamSeed = rng.next()
        residual.withUnsafeMutableBufferPointer { residual in
        rowWeight.withUnsafeBufferPointer { weight in
        ordinal.cuts.withUnsafeBufferPointer { cuts in
        ordinal.latent.withUnsafeMutableBufferPointer { latent in
            let (residual, latent) = (UncheckedBuffer(residual), UncheckedBuffer(latent))
            Parallel.forEach(chunks) { chunk in
                var stream = SeededGenerator(seed: streamSeed).stream(chunk)
                for r in (chunk * Self.ordinalChunk)..<min(rowCount, (chunk + 1) * Self.ordinalChunk) {
                    let c = Int(classes[r]), eta = latent[r] - residual[r], s = (alpha * weight[r]).squareRoot()
                    let (low, high) = interval(c, cuts)
                    let z = eta + StandardNormal.truncated(s * (low - eta), s * (high - eta), uniform: stream.nextUniform()) / s
                    residual[r] += z - latent[r]
                    latent[r] = z
                }
            }
        }}}}
        self.ordinal = ordinal
    }
}
