import Models
import Testing

/// `ContentFeatures`: a hand-worked catalogue of three movies.
struct ContentFeaturesTests {
    @Test func featuresSharedByTwoMoviesBinaryAndNormalised() {
        let content = ContentFeatures(
            titles: ["Toy Story (1995)", "Toy Story 2 (1999)", "Heat (1995)"], years: [1995, 1999, 1995],
            genres: ["Animation|Comedy", "Animation|Comedy", "Action"], tags: ["pixar|funny", "pixar", "al pacino"])
        // Shared by two or more: genres Animation and Comedy, decade 1990, span 1995, year 1995, words toy and story, tag pixar.
        #expect(content.names == ["decade:1990", "genre:Animation", "genre:Comedy", "span:1995", "tag:pixar", "word:story", "word:toy", "year:1995"])
        func row(_ movie: Int) -> [String: Float] {
            Dictionary(uniqueKeysWithValues: content.rows.range(movie).map { (content.names[Int(content.rows.columns[$0])], content.rows.values[$0]) })
        }
        // Toy Story: decade, two genres, span, year, two words, pixar: 8 features of 1/√8.
        #expect(row(0) == Dictionary(uniqueKeysWithValues: content.names.map { ($0, 1 / Float(8).squareRoot()) }))
        // Toy Story 2 (1999: the five-year span 1995–1999, its year its own): decade, two genres, span, pixar, two words.
        #expect(Set(row(1).keys) == ["decade:1990", "genre:Animation", "genre:Comedy", "span:1995", "tag:pixar", "word:story", "word:toy"])
        #expect(row(1).values.allSatisfy { $0 == 1 / Float(7).squareRoot() })
        // Heat: decade, span and year only (Action, "heat" and "al pacino" are its alone).
        #expect(row(2) == ["decade:1990": 1 / Float(3).squareRoot(), "span:1995": 1 / Float(3).squareRoot(), "year:1995": 1 / Float(3).squareRoot()])
        // Without tags, no tag feature.
        #expect(!ContentFeatures(titles: ["A (1995)", "B (1995)"], years: [1995, 1995], genres: ["Drama", "Drama"]).names.contains { $0.hasPrefix("tag:") })
    }
}
