import Foundation
import MovieLens
import Testing

/// New ratings arriving in `updates/`: read after the release as one data set, every old rating
/// on its side of the hash split, bad files refused with their name.
struct UpdatesTests {
    /// 60 users × 30 movies, every 3rd pair rated: enough ratings that both sides of the split
    /// hold many.
    func release() -> Fixture {
        var lines = ""
        for user in 1...60 { for movie in 1...30 where (user + movie) % 3 == 0 { lines += "\(user)::\(movie)::\((user * movie) % 5 + 1)::\(1000 + user)\n" } }
        return ml1mFixture(ratings: lines)
    }

    @Test func updatesAreReadAfterTheReleaseAndEveryOldRatingKeepsItsSide() throws {
        let fixture = release()
        defer { withExtendedLifetime(fixture) {} }
        let before = try Ingest.load(IngestSource(input: fixture.path))
        try FileManager.default.createDirectory(atPath: fixture.file("updates"), withIntermediateDirectories: true)
        // (1, 2) is in the release, re-rated on night 1 and again on night 2; night 1 brings a new
        // user 99 and a new movie 500, night 2 a new pair (3, 1).
        fixture.write("updates/2026-11-28.csv", "userId,movieId,rating,timestamp\n99,1,4,5000\n99,500,5,5001\n1,2,1,5002\n")
        fixture.write("updates/2026-11-29.csv", "userId,movieId,rating,timestamp\r\n1,2,5,6000\r\n3,1,2,6001\r\n")
        let after = try Ingest.load(IngestSource(input: fixture.path))
        #expect(after.sourceFiles == ["ratings.dat", "updates/2026-11-28.csv", "updates/2026-11-29.csv", "movies.dat", "users.dat"])
        #expect(after.fingerprint != before.fingerprint)
        #expect(after.count == before.count + 3)  // (99, 1), (99, 500), (3, 1); (1, 2) once, with night 2's rating
        #expect(after.duplicatesDropped == 2)
        func side(_ table: RatingsTable) -> [String: (Float, Bool)] {
            var result: [String: (Float, Bool)] = [:]
            for i in 0..<table.count {
                result["\(table.userIDs[Int(table.user[i])])/\(table.movieIDs[Int(table.movie[i])])"] = (table.rating[i], table.isTest[i] != 0)
            }
            return result
        }
        let old = side(before), new = side(after)
        #expect(old.values.contains { $0.1 } && old.values.contains { !$0.1 })
        for (pair, value) in old { #expect(new[pair]?.1 == value.1, "\(pair) changed sides") }
        #expect(new["1/2"]?.0 == 5 && new["99/500"]?.0 == 5 && new["3/1"]?.0 == 2)
        #expect(after.titles[after.movieIDs.firstIndex(of: 500)!] == "")  // no metadata line for movie 500

        // A day without ratings: a header-only file changes the fingerprint, not the ratings.
        fixture.write("updates/2026-11-30.csv", "userId,movieId,rating,timestamp\n")
        let quiet = try Ingest.load(IngestSource(input: fixture.path))
        #expect(quiet.count == after.count && quiet.rating == after.rating && quiet.fingerprint != after.fingerprint)
    }

    @Test(arguments: [
        ("updates/notes.txt", "hello", "notes.txt: is not a .csv file: updates/ holds only userId,movieId,rating,timestamp CSV files"),
        ("updates/a.csv", "userId,movieId,rating,timestamp\n1,2,9,10\n", "a.csv:2: rating 9 is outside the scale 1–5"),
        ("updates/b.csv", "userId,movieId,rating,timestamp\n1,2,3\n", "b.csv:2: expected 4 fields separated by ',', found 3"),
    ])
    func badUpdateFilesAreRefusedByName(name: String, text: String, message: String) throws {
        let fixture = release()
        defer { withExtendedLifetime(fixture) {} }
        try FileManager.default.createDirectory(atPath: fixture.file("updates"), withIntermediateDirectories: true)
        fixture.write(name, text)
        #expect {
            try Ingest.load(IngestSource(input: fixture.path))
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func anUpdatesFileInsteadOfAFolderIsRefused() throws {
        let fixture = release()
        defer { withExtendedLifetime(fixture) {} }
        fixture.write("updates", "1,2,3,4\n")
        #expect(throws: MovieLensError(file: fixture.file("updates"), "is a file: new ratings go in a folder of CSV files named updates/")) {
            try Ingest.load(IngestSource(input: fixture.path))
        }
    }
}
