import LinearAlgebra
import Models
import Testing

struct NeighboursTests {
    @Test func equalBruteForceCosine() {
        var rng = SeededGenerator(seed: 21)
        var vectors = rng.gaussianMatrix(rows: 700, columns: 12)
        for c in 0..<12 { vectors[5, c] = 0 }  // a movie with no vector
        let near = Neighbours.compute(vectors: vectors, k: 10, blockRows: 64)
        func cosine(_ a: Int, _ b: Int) -> Double {
            var ab = 0.0, aa = 0.0, bb = 0.0
            for c in 0..<12 {
                ab += Double(vectors[a, c] * vectors[b, c]); aa += Double(vectors[a, c] * vectors[a, c]); bb += Double(vectors[b, c] * vectors[b, c])
            }
            return ab / (aa.squareRoot() * bb.squareRoot())
        }
        for movie in [0, 1, 5, 333, 699] {
            var candidates: [(Int, Double)] = []
            if movie != 5 {
                for other in 0..<700 where other != movie && other != 5 { candidates.append((other, cosine(movie, other))) }
            }
            candidates.sort { (a: (Int, Double), b: (Int, Double)) -> Bool in a.1 != b.1 ? a.1 > b.1 : a.0 < b.0 }
            let expected = Array(candidates.prefix(10))
            let got = near.of(movie)
            #expect(got.map(\.movie) == expected.map(\.0), "movie \(movie)")
            for (g, e) in zip(got, expected) { #expect(abs(Double(g.score) - e.1) < 1e-5) }
        }
        #expect(!near.index.contains(5))
    }

    @Test func handWorkedTriangle() {
        // Three 2-D vectors: 0 = (1, 0), 1 = (1, 1), 2 = (0, 1). cos(0,1) = cos(1,2) = 0.7071, cos(0,2) = 0.
        let vectors = Matrix(rows: 3, columns: 2, values: [1, 0, 1, 1, 0, 1])
        let near = Neighbours.compute(vectors: vectors, k: 5)
        #expect(near.k == 2)
        #expect(near.of(0).map(\.movie) == [1, 2])
        #expect(near.of(1).map(\.movie) == [0, 2])  // tie: lower index first
        #expect(abs(near.of(1)[0].score - 0.70710677) < 1e-6 && abs(near.of(0)[1].score) < 1e-6)
    }

    /// EASE's neighbours: row i's largest positive weights, itself excluded; the sparsified matrix
    /// that kept everything gives the same lists.
    @Test func easeNeighboursAreTheLargestPositiveWeightsOfTheRow() {
        let b = Matrix(rows: 4, columns: 4, values: [
            0, 0.5, -0.2, 0.5,
            0.1, 0, 0.3, -0.9,
            -0.4, -0.1, 0, -0.3,
            0.2, 0.6, 0.6, 0,
        ])
        let dense = ItemItemModel(weights: b)
        let near = Neighbours.strongestWeights(of: .itemItem(dense), k: 2)
        #expect(near.similarity == .easeWeight)
        #expect(near.index == [1, 3, 2, 0, -1, -1, 1, 2])  // ties to the lower index; row 2 has no positive weight
        #expect(near.score == [0.5, 0.5, 0.3, 0.1, 0, 0, 0.6, 0.6])
        #expect(Neighbours.strongestWeights(of: .sparseItemItem(dense.sparsified(keep: 4)), k: 2) == near)
    }
}
