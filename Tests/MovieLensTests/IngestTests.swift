import Foundation
import HDF5
import MovieLens
import Testing

struct IngestTests {
    @Test func ml1mLayoutWithLatin1TitlesYearsAndGenres() throws {
        let fixture = ml1mFixture(ratings: "2::73::5::978300760\n1::1::4::978302109\n1::73::3::978301968\n")
        defer { withExtendedLifetime(fixture) {} }
        let table = try Ingest.load(IngestSource(input: fixture.path))
        #expect(table.kind == "ml-1m")
        #expect(table.userIDs == [1, 2])
        // The whole catalogue: movie 2 (Jumanji) is listed without ratings.
        #expect(table.movieIDs == [1, 2, 73])
        // Sorted by (user, movie).
        #expect(table.user == [0, 0, 1])
        #expect(table.movie == [0, 2, 2])
        #expect(table.rating == [4, 3, 5])
        #expect(table.timestamp == [978302109, 978301968, 978300760])
        #expect(table.titles == ["Toy Story (1995)", "Jumanji (1995)", "Misérables, Les (1995)"])
        #expect(table.years == [1995, 1995, 1995])
        #expect(table.genres == ["Animation|Children's|Comedy", "Adventure", "Drama|Musical"])
        #expect(table.sourceFiles == ["ratings.dat", "movies.dat", "users.dat"])
    }

    @Test func crlfLineEndingsAndByteOrderMarkAreAccepted() throws {
        let plain = ml1mFixture(ratings: "1::1::4::10\n1::2::3::11\n")
        defer { withExtendedLifetime(plain) {} }
        let windows = Fixture(["users.dat": "1::F::1::10::48067\r\n"])
        defer { withExtendedLifetime(windows) {} }
        windows.write("ratings.dat", bytes: [0xEF, 0xBB, 0xBF] + Array("1::1::4::10\r\n1::2::3::11\r\n".utf8))
        windows.write("movies.dat", bytes: Array("1::Toy Story (1995)::Animation\r\n2::Jumanji (1995)::Adventure\r\n".utf8))
        let a = try Ingest.load(IngestSource(input: plain.path))
        let b = try Ingest.load(IngestSource(input: windows.path))
        #expect(a.rating == b.rating && a.user == b.user && a.movie == b.movie && a.timestamp == b.timestamp)
        #expect(b.titles == ["Toy Story (1995)", "Jumanji (1995)"])
    }

    @Test func aCompleteLastLineWithoutNewlineIsFine() throws {
        let fixture = ml1mFixture(ratings: "1::1::4::10\n1::2::3::11")
        defer { withExtendedLifetime(fixture) {} }
        #expect(try Ingest.load(IngestSource(input: fixture.path)).count == 2)
    }

    @Test func duplicatesKeepTheLatestTimestampAndAreCounted() throws {
        let fixture = ml1mFixture(ratings: "1::1::2::500\n1::2::3::10\n1::1::5::900\n1::1::4::700\n2::2::1::5\n2::2::2::5\n")
        defer { withExtendedLifetime(fixture) {} }
        let table = try Ingest.load(IngestSource(input: fixture.path))
        #expect(table.count == 3)
        #expect(table.duplicatesDropped == 3)
        #expect(table.rating == [5, 3, 2])  // (1,1) latest is 5 @900; (2,2) ties: the later line wins
        #expect(table.timestamp == [900, 10, 5])
    }

    /// Blank lines spread over the parser's pieces leave empty slots that are closed up; users
    /// out of order in the file come out sorted by (user, movie).
    @Test func blankLinesAcrossPiecesAndUnsortedUsers() throws {
        let fixture = ml1mFixture(ratings: "3::2::1::1\n\n\n1::2::2::2\r\n\r\n2::1::3::3\n\n1::1::4::4\n\n\n\n3::1::5::5")
        defer { withExtendedLifetime(fixture) {} }
        let table = try Ingest.load(IngestSource(input: fixture.path))
        #expect(table.user == [0, 0, 1, 2, 2])
        #expect(table.movie == [0, 1, 0, 0, 1])
        #expect(table.rating == [4, 2, 3, 5, 1])
        #expect(table.timestamp == [4, 2, 3, 5, 1])
    }

    @Test func ml100kLayoutReadsGenreFlagsAndLatin1() throws {
        var item = Array("1|Toy Story (1995)|01-Jan-1995||http://x|0|1|1\n".utf8)
        item += Array("2|Mis".utf8) + [0xE9] + Array("rables, Les (1995)|01-Jan-1995||http://y|0|0|1\n".utf8)
        item += Array("3|Untitled|01-Jan-1971||http://z|1|0|0\n".utf8)
        let fixture = Fixture(["u.data": "1\t1\t5\t881250949\n2\t2\t3\t881250950\n1\t3\t1\t1\n",
                               "u.genre": "unknown|0\nAnimation|1\nDrama|2\n\n"])
        defer { withExtendedLifetime(fixture) {} }
        fixture.write("u.item", bytes: item)
        let table = try Ingest.load(IngestSource(input: fixture.path))
        #expect(table.kind == "ml-100k")
        #expect(table.titles == ["Toy Story (1995)", "Misérables, Les (1995)", "Untitled"])
        #expect(table.genres == ["Animation|Drama", "Drama", "unknown"])
        #expect(table.years == [1995, 1995, 1971])
        #expect(table.scale == .wholeStars)
    }

    /// Tags (tags.csv): normalised, distinct, sorted per movie; part of the fingerprint; in every file after ingest.
    @Test func tagsOfACSVRelease() throws {
        let fixture = Fixture([
            "ratings.csv": "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,2,3.5,964981247\n",
            "movies.csv": "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n2,Jumanji (1995),Adventure\n3,Heat (1995),Action\n",
            "tags.csv": "userId,movieId,tag,timestamp\n2,1,Pixar,1\n3,1,  pixar ,2\n3,1,\"fun, for kids\",3\n4,3,Al  Pacino,4\n4,3,a|b,5\n9,99,not listed,6\n",
        ])
        defer { withExtendedLifetime(fixture) {} }
        let table = try Ingest.load(IngestSource(input: fixture.path))
        #expect(table.movieIDs == [1, 2, 3])
        #expect(table.tags == ["fun, for kids|pixar", "", "a b|al pacino"])
        #expect(table.sourceFiles.contains("tags.csv"))
        let path = fixture.file("r.h5")
        try RatingsFile.write(table, sourcePath: fixture.path, to: path, createdBy: "test")
        #expect(try RatingsFile.read(path).tags == table.tags)

        let bad = Fixture(["ratings.csv": "userId,movieId,rating,timestamp\n1,1,4.0,1\n", "movies.csv": "movieId,title,genres\n1,Toy Story (1995),Adventure\n",
                           "tags.csv": "userId,movieId,tag,timestamp\n1,1,ok,1\n1,x,bad,2\n1,1,\n"])
        defer { withExtendedLifetime(bad) {} }
        #expect(throws: MovieLensError(file: bad.file("tags.csv"), line: 3, "movie id 'x' is not a whole number")) {
            try Ingest.load(IngestSource(input: bad.path))
        }
    }

    @Test func csvReleaseWithQuotedTitlesAndHalfStars() throws {
        let fixture = Fixture([
            "ratings.csv": "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,2,3.5,964981247\n5,2,0.5,1\n",
            "movies.csv": "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n2,\"American President, The (1995)\",Comedy|Drama|Romance\n3,\"Quote \"\"Inside\"\" (2001)\",(no genres listed)\n",
        ])
        defer { withExtendedLifetime(fixture) {} }
        let table = try Ingest.load(IngestSource(input: fixture.path))
        #expect(table.kind == "ml-csv")
        #expect(table.rating == [4.0, 3.5, 0.5])
        #expect(table.titles == ["Toy Story (1995)", "American President, The (1995)", #"Quote "Inside" (2001)"#])
        #expect(table.genres == ["Adventure|Animation", "Comedy|Drama|Romance", ""])
        #expect(table.scale == .halfStars)
    }

    @Test func genericCSVWithAndWithoutHeaderAndTimestamps() throws {
        let fixture = Fixture(["a.csv": "user,item,rating\n10,20,4.5\n11,20,1\n", "b.csv": "10,20,4.5,7\n11,20,1,8\n"])
        defer { withExtendedLifetime(fixture) {} }
        let a = try Ingest.load(IngestSource(input: fixture.file("a.csv"), genericCSV: true))
        let b = try Ingest.load(IngestSource(input: fixture.file("b.csv"), genericCSV: true))
        #expect(a.kind == "csv" && a.rating == [4.5, 1] && a.timestamp == [0, 0] && a.titles == [""])
        #expect(b.userIDs == [10, 11] && b.movieIDs == [20] && b.timestamp == [7, 8])
        let scaled = try Ingest.load(IngestSource(input: fixture.file("b.csv"), genericCSV: true,
                                                   scale: RatingScale(minimum: 1, maximum: 10, step: 0.5)))
        #expect(scaled.scale.maximum == 10)
    }

    @Test func splitmix64MatchesTheReferenceValue() {
        #expect(splitmix64(0) == 0xE220_A839_7B1D_CDAF)
        // The next outputs of the reference generator seeded with 0 (state advances by the golden gamma).
        #expect(splitmix64(0x9E37_79B9_7F4A_7C15) == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test func hashSplitIsStableAsDataGrows() throws {
        let small = ml1mFixture(ratings: (1...40).map { "1::\($0)::3::\($0)\n" }.joined())
        defer { withExtendedLifetime(small) {} }
        let large = ml1mFixture(ratings: (1...40).map { "1::\($0)::3::\($0)\n" }.joined()
                                + (1...40).map { "2::\($0)::3::\($0)\n" }.joined())
        defer { withExtendedLifetime(large) {} }
        let a = try Ingest.load(IngestSource(input: small.path, split: .hash(seed: 7, fraction: 0.3)))
        let b = try Ingest.load(IngestSource(input: large.path, split: .hash(seed: 7, fraction: 0.3)))
        #expect(Array(b.isTest.prefix(40)) == a.isTest)
        for index in 0..<40 {
            #expect((a.isTest[index] == 1) == hashSplitHoldsOut(userID: 1, movieID: Int64(index + 1), seed: 7, fraction: 0.3))
        }
        #expect(a.testCount > 0 && a.testCount < 40)
    }

    @Test func temporalSplitHoldsOutEachUsersLatestRatings() throws {
        // User 1: five ratings, timestamps tie at 9 for movies 4 and 3 (tie broken by movie id).
        let fixture = ml1mFixture(ratings: "1::1::3::1\n1::2::3::5\n1::3::3::9\n1::4::3::9\n1::5::3::2\n2::1::4::1\n2::2::4::2\n")
        defer { withExtendedLifetime(fixture) {} }
        let table = try Ingest.load(IngestSource(input: fixture.path, split: .temporal(perUser: 2)))
        // Sorted by (user, movie): user 1 holds out movies 3 and 4 (ts 9, 9); user 2 keeps one in training.
        #expect(table.isTest == [0, 0, 1, 1, 0, 0, 1])
    }

    @Test func ratingsFileRoundTripsAndRefusesUnknownVersions() throws {
        let fixture = ml1mFixture(ratings: "2::73::5::978300760\n1::1::4::978302109\n1::73::3::978301968\n")
        defer { withExtendedLifetime(fixture) {} }
        let table = try Ingest.load(IngestSource(input: fixture.path))
        let path = fixture.file("ratings.h5")
        try RatingsFile.write(table, sourcePath: fixture.path, to: path, createdBy: "test")
        let back = try RatingsFile.read(path)
        #expect(back.user == table.user && back.movie == table.movie && back.rating == table.rating)
        #expect(back.timestamp == table.timestamp && back.isTest == table.isTest)
        #expect(back.titles == table.titles && back.genres == table.genres && back.years == table.years)
        #expect(back.userIDs == table.userIDs && back.movieIDs == table.movieIDs)
        #expect(back.split == table.split && back.fingerprint == table.fingerprint && back.scale == table.scale)

        let file = try HDF5File.open(path, writable: true)
        try file.setAttribute("format_version", Int64(99))
        file.close()
        #expect(throws: HDF5Error(file: path, problem: "projector.ratings format_version 99 is not supported by this program (it reads 1, 2, 3): upgrade Projector or re-run the stage that wrote it")) {
            try RatingsFile.read(path)
        }
        let other = fixture.file("other.h5")
        try writeHDF5Atomically(to: other) { try $0.setAttribute("format", "projector.model") }
        #expect(throws: HDF5Error(file: other, problem: "is a 'projector.model' file, expected 'projector.ratings'")) {
            try RatingsFile.read(other)
        }
    }

    @Test func fingerprintChangesWithTheData() throws {
        let fixtures = [ml1mFixture(ratings: "1::1::4::1\n"), ml1mFixture(ratings: "1::1::5::1\n"),
                        ml1mFixture(ratings: "1::1::4::1\n")]
        defer { withExtendedLifetime(fixtures) {} }
        let a = try Ingest.load(IngestSource(input: fixtures[0].path))
        let b = try Ingest.load(IngestSource(input: fixtures[1].path))
        let c = try Ingest.load(IngestSource(input: fixtures[2].path))
        #expect(a.fingerprint != b.fingerprint)
        #expect(a.fingerprint == c.fingerprint)
        #expect(a.fingerprint.count == 64)
    }
}

struct DetectionTests {
    @Test func ml10mIsRatingsDatWithoutUsersDatAndHalfStars() throws {
        let fixture = Fixture(["ratings.dat": "1::1::4.5::838985046\n2::3::0.5::838983392\n", "movies.dat": "1::Toy Story (1995)::Animation\n3::Heat (1995)::Action\n"])
        defer { withExtendedLifetime(fixture) {} }
        let table = try Ingest.load(IngestSource(input: fixture.path))
        #expect(table.kind == "ml-10m" && table.scale == .halfStars && table.rating == [4.5, 0.5])
    }

    @Test func csvReleaseNamesComeFromTheFolder() throws {
        let parent = Fixture()
        defer { withExtendedLifetime(parent) {} }
        let folder = parent.url.appendingPathComponent("ml-25m")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "userId,movieId,rating,timestamp\n1,1,4.0,1\n".write(to: folder.appendingPathComponent("ratings.csv"), atomically: true, encoding: .utf8)
        try "movieId,title,genres\n1,Toy Story (1995),Animation\n".write(to: folder.appendingPathComponent("movies.csv"), atomically: true, encoding: .utf8)
        #expect(try DatasetKind.detect(folder: folder.path) == .mlCSV("ml-25m"))
    }
}
