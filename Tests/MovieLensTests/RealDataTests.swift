import Foundation
import MovieLens
import Testing
import TestSupport

/// The published figures of the real releases (read from MOVIELENS_DIR; a failure on CI when absent).
struct RealDataTests {
    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR")) func ml100k() throws {
        guard let folder = realDataset("ml-100k") else { return }
        let table = try Ingest.load(IngestSource(input: folder))
        #expect(table.kind == "ml-100k")
        #expect(table.count == 100_000 && table.userCount == 943 && table.movieCount == 1_682)
        #expect(abs(table.meanRating - 3.52986) < 5e-7)
        var histogram = [Int](repeating: 0, count: 6)
        for rating in table.rating { histogram[Int(rating)] += 1 }
        #expect(Array(histogram[1...]) == [6110, 11370, 27145, 34174, 21201])
        #expect(table.duplicatesDropped == 0)
        #expect(table.titles.contains("Misérables, Les (1995)"))
        #expect(table.titles[0] == "Toy Story (1995)" && table.genres[0] == "Animation|Children's|Comedy")
    }

    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR"), arguments: [("u1", 20_000), ("u5", 20_000), ("ua", 9_430), ("ub", 9_430)])
    func ml100kPredefinedSplits(name: String, testCount: Int) throws {
        guard let folder = realDataset("ml-100k") else { return }
        let table = try Ingest.load(IngestSource(input: folder, split: .files(name: name)))
        #expect(table.testCount == testCount)
        #expect(table.trainCount == 100_000 - testCount)
    }

    @Test(.enabled(if: realDataRuns("ml-1m"), "needs MovieLens ml-1m under MOVIELENS_DIR")) func ml1m() throws {
        guard let folder = realDataset("ml-1m") else { return }
        let table = try Ingest.load(IngestSource(input: folder))
        #expect(table.kind == "ml-1m")
        // The whole catalogue: movies.dat's 3,883 movies, 3,706 of them rated.
        #expect(table.count == 1_000_209 && table.userCount == 6_040 && table.movieCount == 3_883)
        let rated = Set(table.movie)
        #expect(rated.count == 3_706)
        let unrated = (0..<table.movieCount).filter { !rated.contains(Int32($0)) }
        #expect(unrated.allSatisfy { !table.titles[$0].isEmpty && !table.genres[$0].isEmpty })
        #expect(table.movieIDs == table.movieIDs.sorted() && unrated.contains { table.movieIDs[$0] == 51 })  // "Guardian Angel (1994)", never rated
        #expect(abs(table.meanRating - 3.581564) < 5e-7)
        #expect(table.testCount == 100_493 && table.trainCount == 899_716)
        #expect(table.titles.contains("Misérables, Les (1995)"))
        #expect(Ingest.moviesWithoutTitles(table) == 0)
        #expect(table.sourceSHA256[0] == "506d64ca44484487c11dc2d9a28de5c54948213e6b96285e298afe28d6ea4e0f")
    }

    @Test(.enabled(if: realDataRuns("ml-latest-small"), "needs MovieLens ml-latest-small under MOVIELENS_DIR")) func mlLatestSmall() throws {
        guard let folder = realDataset("ml-latest-small") else { return }
        let table = try Ingest.load(IngestSource(input: folder))
        #expect(table.kind == "ml-latest-small")
        #expect(table.count == 100_836 && table.userCount == 610 && table.movieCount == 9_742 && Set(table.movie).count == 9_724)
        // tags.csv: 3,683 tags on 1,572 movies.
        #expect(table.tags.filter { !$0.isEmpty }.count == 1_572 && table.sourceFiles.contains("tags.csv"))
        #expect(table.tags[table.movieIDs.firstIndex(of: 1)!].split(separator: "|").contains("pixar"))
        #expect(abs(table.meanRating - 3.50156) < 5e-6)
        #expect(table.scale == .halfStars)
        #expect(table.titles.contains("American President, The (1995)"))
    }

    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR")) func temporalSplitOnML100K() throws {
        guard let folder = realDataset("ml-100k") else { return }
        let table = try Ingest.load(IngestSource(input: folder, split: .temporal(perUser: 10)))
        #expect(table.testCount == 9_430)  // every ml-100k user has at least 20 ratings
    }
}
