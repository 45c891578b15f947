import Foundation
import MovieLens
import Testing

/// Every malformed input gets the exact message, with file and line.
struct ParserErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var ratings: String
        var line: Int?
        var message: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "too few fields", ratings: "1::1::5::978300760\n1::2::5\n", line: 2,
             message: "expected 4 fields separated by '::', found 3"),
        Case(name: "too many fields", ratings: "1::1::5::978300760::9\n", line: 1,
             message: "expected 4 fields separated by '::', found 5"),
        Case(name: "wrong separator", ratings: "1,1,5,978300760\n", line: 1,
             message: "expected 4 fields separated by '::', found 1"),
        Case(name: "non-numeric user", ratings: "1::1::5::1\nabc::1::5::978300760\n", line: 2,
             message: "user id 'abc' is not a whole number"),
        Case(name: "negative movie", ratings: "1::-4::5::978300760\n", line: 1,
             message: "movie id '-4' is not a whole number"),
        Case(name: "rating not a number", ratings: "1::1::five::978300760\n", line: 1,
             message: "rating 'five' is not a number"),
        Case(name: "rating above scale", ratings: "1::1::6::978300760\n", line: 1,
             message: "rating 6 is outside the scale 1–5"),
        Case(name: "rating below scale", ratings: "1::1::0::978300760\n", line: 1,
             message: "rating 0 is outside the scale 1–5"),
        Case(name: "half star on a whole-star scale", ratings: "1::1::3.5::978300760\n", line: 1,
             message: "rating 3.5 is not a multiple of 1 on the scale 1–5"),
        Case(name: "bad timestamp", ratings: "1::1::5::97830x\n", line: 1,
             message: "timestamp '97830x' is not a whole number"),
        Case(name: "truncated last line", ratings: "1::1::5::978300760\n1::2::4:", line: 2,
             message: "expected 4 fields separated by '::', found 3 (the file ends in the middle of this line: is it truncated?)"),
        Case(name: "empty file", ratings: "", line: nil,
             message: "the file has no ratings (it is empty or holds only a header)"),
        Case(name: "only blank lines", ratings: "\n\r\n\n", line: nil,
             message: "the file has no ratings (it is empty or holds only a header)"),
    ]

    @Test(arguments: cases)
    func malformedRatingsFile(_ testCase: Case) throws {
        let fixture = ml1mFixture(ratings: testCase.ratings)
        defer { withExtendedLifetime(fixture) {} }
        let expected = MovieLensError(file: fixture.file("ratings.dat"), line: testCase.line, testCase.message)
        #expect(throws: expected) { try Ingest.load(IngestSource(input: fixture.path)) }
    }

    @Test func errorLineNumbersAreRightDeepInALargeFile() throws {
        // Large enough to be parsed in several parallel pieces: the line number must still be exact.
        var text = ""
        for index in 0..<50_000 { text += "\(index % 100 + 1)::\(index % 500 + 1)::\(index % 5 + 1)::\(index)\n" }
        text += "7::7::9::1\n"
        for index in 0..<1_000 { text += "1::\(index + 1)::3::\(index)\n" }
        let fixture = ml1mFixture(ratings: text)
        defer { withExtendedLifetime(fixture) {} }
        #expect(throws: MovieLensError(file: fixture.file("ratings.dat"), line: 50_001, "rating 9 is outside the scale 1–5")) {
            try Ingest.load(IngestSource(input: fixture.path))
        }
    }

    @Test func missingFolderAndUnknownLayout() throws {
        let fixture = Fixture(["notes.txt": "hello\n"])
        defer { withExtendedLifetime(fixture) {} }
        #expect(throws: MovieLensError(file: fixture.path, "unknown layout: no ratings file: expected u.data (ml-100k), ratings.dat (ml-1m, ml-10m) or ratings.csv (ml-latest, ml-20m, ml-25m, ml-32m)")) {
            try Ingest.load(IngestSource(input: fixture.path))
        }
        let missing = fixture.path + "/nope"
        #expect(throws: MovieLensError(file: missing, "folder does not exist (set MOVIELENS_DIR, or run Scripts/fetch-movielens)")) {
            try Ingest.load(IngestSource(input: missing))
        }
    }

    @Test func missingMetadataFile() throws {
        let fixture = Fixture(["ratings.dat": "1::1::5::1\n", "users.dat": "1::F::1::10::48067\n"])
        defer { withExtendedLifetime(fixture) {} }
        #expect(throws: MovieLensError(file: fixture.file("movies.dat"), "cannot read: file does not exist")) {
            try Ingest.load(IngestSource(input: fixture.path))
        }
    }

    @Test func ml100kTabSeparatedErrors() throws {
        let fixture = Fixture(["u.data": "1\t2\t3\t881250949\n1\t2\t3\n", "u.genre": "unknown|0\n", "u.item": ""])
        defer { withExtendedLifetime(fixture) {} }
        #expect(throws: MovieLensError(file: fixture.file("u.data"), line: 2, "expected 4 fields separated by tab, found 3")) {
            try Ingest.load(IngestSource(input: fixture.path))
        }
    }

    @Test func csvErrorsCountTheHeaderLine() throws {
        let folder = Fixture(["ratings.csv": "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,5.5,964981247\n",
                              "movies.csv": "movieId,title,genres\n1,Toy Story (1995),Animation\n"])
        defer { withExtendedLifetime(folder) {} }
        #expect(throws: MovieLensError(file: folder.file("ratings.csv"), line: 3, "rating 5.5 is outside the scale 0.5–5")) {
            try Ingest.load(IngestSource(input: folder.path))
        }
        let header = Fixture(["ratings.csv": "userId,movieId,rating,timestamp\n", "movies.csv": "movieId,title,genres\n"])
        defer { withExtendedLifetime(header) {} }
        #expect(throws: MovieLensError(file: header.file("ratings.csv"), "the file has no ratings (it is empty or holds only a header)")) {
            try Ingest.load(IngestSource(input: header.path))
        }
    }

    @Test func unterminatedQuoteInMoviesCSV() throws {
        let folder = Fixture(["ratings.csv": "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n",
                              "movies.csv": "movieId,title,genres\n1,\"Toy Story (1995),Animation\n"])
        defer { withExtendedLifetime(folder) {} }
        #expect(throws: MovieLensError(file: folder.file("movies.csv"), line: 2, "unterminated quoted field")) {
            try Ingest.load(IngestSource(input: folder.path))
        }
    }

    @Test func filesSplitNeedsML100K() throws {
        let fixture = ml1mFixture(ratings: "1::1::5::1\n")
        defer { withExtendedLifetime(fixture) {} }
        #expect(throws: MovieLensError(file: fixture.path, "the 'files' split needs ml-100k's predefined u1…u5/ua/ub files; this is ml-1m")) {
            try Ingest.load(IngestSource(input: fixture.path, split: .files(name: "u1")))
        }
    }
}
