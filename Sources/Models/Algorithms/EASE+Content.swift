import Essentials
import LinearAlgebra
import ModelFormat

extension EASE {
    /// B completed for the movies without training ratings (`cold_movies content`), from what
    /// the release says of them (`ContentFeatures`: genres, year, title words). A movie's column
    /// of B (how each training movie predicts it) is a linear function of its content, fitted by
    /// ridge regression on the movies that have ratings, and likewise its row (how it predicts
    /// the others):
    ///
    ///     Z = (C_wᵀ C_w + λ I)⁻¹ C_cᵀ,   B[:, c] = B[:, w] C_w Z,   B[c, :] = Zᵀ C_wᵀ B[w, :]
    ///
    /// (w: movies with training ratings, c: without; C their content rows; λ `content_lambda`).
    /// A cold movie is then scored, explained and sparsified as any other: a person's score for
    /// it is a weighted sum of their scores for the movies whose content it shares, on EASE's own
    /// scale. ML-1M new-movies protocol: AUC 0.802, precision@10 0.204 (LightFM, genres and
    /// decades, WARP: 0.770, 0.172; docs/protocols.md).
    func completeFromContent(_ b: inout Matrix, data: TrainingSet) throws {
        let m = data.movieCount
        var counts = [Int](repeating: 0, count: m)
        for movie in data.trainMovie { counts[Int(movie)] += 1 }
        let cold = (0..<m).filter { counts[$0] == 0 }
        guard !cold.isEmpty, cold.count < m else { return }
        let content = ContentFeatures(data.metadata)
        let f = content.featureCount
        guard f > 0 else { return }
        let rows = content.rows
        // G = C_wᵀ C_w + λ I from the warm movies' sparse rows.
        var gram = Matrix(rows: f, columns: f)
        for movie in 0..<m where counts[movie] > 0 {
            let range = rows.range(movie)
            for a in range {
                let row = Int(rows.columns[a]) * f
                for c in range { gram.values[row + Int(rows.columns[c])] += rows.values[a] * rows.values[c] }
            }
        }
        for i in 0..<f { gram.values[i * f + i] += Float(parameters.contentLambda) }
        do { try LAPACK.invertPositiveDefinite(&gram) } catch {
            throw ModelsError.diverged("ease", iteration: 1, "the content Gram matrix CᵀC + λI is not positive definite: \(error)")
        }
        // Z = G⁻¹ C_cᵀ (f × cold).
        var coldContent = Matrix(rows: cold.count, columns: f)
        for (index, movie) in cold.enumerated() {
            for entry in rows.range(movie) { coldContent.values[index * f + Int(rows.columns[entry])] = rows.values[entry] }
        }
        let z = BLAS.multiply(gram, coldContent, transposeB: true)
        // Columns: B[:, w] C_w (m × f), then × Z.
        var projected = Matrix(rows: m, columns: f)
        let warmWithContent = (0..<m).filter { counts[$0] > 0 && !rows.range($0).isEmpty }
        projected.values.withUnsafeMutableBufferPointer { out in
            let out = UncheckedBuffer(out)
            b.values.withUnsafeBufferPointer { weights in
                let blocks = Parallel.ranges(m, parts: Parallel.workers * 4)
                Parallel.forEach(blocks.count) { block in
                    for r in blocks[block] {
                        for movie in warmWithContent {
                            let weight = weights[r * m + movie]
                            guard weight != 0 else { continue }
                            for entry in rows.range(movie) { out[r * f + Int(rows.columns[entry])] += weight * rows.values[entry] }
                        }
                    }
                }
            }
        }
        let columns = BLAS.multiply(projected, z)  // m × cold
        for (index, movie) in cold.enumerated() {
            for r in 0..<m where r != movie { b.values[r * m + movie] = columns.values[r * cold.count + index] }
        }
        // Rows: C_wᵀ B[w, :] (f × m), then Zᵀ ×.
        var featureRows = Matrix(rows: f, columns: m)
        for movie in warmWithContent {
            for entry in rows.range(movie) {
                let target = Int(rows.columns[entry]) * m, weight = rows.values[entry]
                for c in 0..<m { featureRows.values[target + c] += weight * b.values[movie * m + c] }
            }
        }
        let coldRows = BLAS.multiply(z, transposeA: true, featureRows)  // cold × m
        for (index, movie) in cold.enumerated() {
            for c in 0..<m { b.values[movie * m + c] = c == movie ? 0 : coldRows.values[index * m + c] }
        }
    }
}
