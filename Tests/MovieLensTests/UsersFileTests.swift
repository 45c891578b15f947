import Foundation
import HDF5
import MovieLens
import Testing
import TestSupport

/// The users' files (ml-1m `users.dat`, ml-100k `u.user`): attributes carried per dense user,
/// exact errors for malformed lines, and the ratings file round trip.
struct UsersFileTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var users: String
        var line: Int
        var message: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "too few fields", users: "1::F::1::10::48067\n2::M::56::16\n", line: 2,
             message: "expected 5 fields separated by '::', found 4"),
        Case(name: "non-numeric id", users: "x::F::1::10::48067\n", line: 1, message: "user id 'x' is not a whole number"),
        Case(name: "listed twice", users: "1::F::1::10::48067\n\n1::M::18::3::1\n", line: 3, message: "user 1 is listed again (first on line 1)"),
        Case(name: "unknown gender", users: "1::X::1::10::48067\n", line: 1, message: "gender 'X' of user 1 is neither M nor F"),
        Case(name: "age not a number", users: "1::F::old::10::48067\n", line: 1, message: "age 'old' of user 1 is not a whole number in 0…200"),
        Case(name: "age out of range", users: "1::F::201::10::48067\n", line: 1, message: "age '201' of user 1 is not a whole number in 0…200"),
        Case(name: "negative age", users: "1::F::-1::10::48067\n", line: 1, message: "age '-1' of user 1 is not a whole number in 0…200"),
    ]

    @Test(arguments: cases)
    func malformedUsersFile(_ testCase: Case) throws {
        let fixture = ml1mFixture(ratings: "1::1::5::1\n")
        defer { withExtendedLifetime(fixture) {} }
        fixture.write("users.dat", testCase.users)
        #expect(throws: MovieLensError(file: fixture.file("users.dat"), line: testCase.line, testCase.message)) {
            try Ingest.load(IngestSource(input: fixture.path))
        }
    }

    @Test func ml1mAttributesFollowTheDenseUsers() throws {
        // User 9 has no line (unknown); user 4's line has no ratings (not kept); CRLF endings.
        let fixture = ml1mFixture(ratings: "7::1::5::1\n2::2::3::2\n9::1::4::3\n")
        defer { withExtendedLifetime(fixture) {} }
        fixture.write("users.dat", "2::M::56::16::70072\r\n4::F::25::1::1\r\n7::F::1::10::L9G 2B8\r\n")
        let table = try Ingest.load(IngestSource(input: fixture.path))
        #expect(table.userIDs == [2, 7, 9])
        #expect(table.userAttributes == UserAttributes(gender: ["M", "F", ""], age: [56, 1, 0], occupation: ["16", "10", ""], zip: ["70072", "L9G 2B8", ""]))
        #expect(table.sourceFiles.contains("users.dat"))
    }

    @Test func ml100kAttributesAndAMissingUUserFile() throws {
        let ratings = "1\t2\t3\t881250949\n3\t2\t4\t881250950\n"
        let fixture = Fixture(["u.data": ratings, "u.genre": "unknown|0\n", "u.item": "", "u.user": "1|24|M|technician|85711\n3|23|M|writer|32067\n"])
        defer { withExtendedLifetime(fixture) {} }
        let table = try Ingest.load(IngestSource(input: fixture.path))
        #expect(table.userAttributes == UserAttributes(gender: ["M", "M"], age: [24, 23], occupation: ["technician", "writer"], zip: ["85711", "32067"]))
        // ml-100k's order is id|age|gender: a file in ml-1m's order (gender second) is refused.
        fixture.write("u.user", "1|M|24|technician|85711\n")
        #expect(throws: MovieLensError(file: fixture.file("u.user"), line: 1, "gender '24' of user 1 is neither M nor F")) {
            try Ingest.load(IngestSource(input: fixture.path))
        }
        fixture.write("u.user", "1|24|M|technician\n")
        #expect(throws: MovieLensError(file: fixture.file("u.user"), line: 1, "expected 5 fields separated by '|', found 4")) {
            try Ingest.load(IngestSource(input: fixture.path))
        }
        // Without u.user every user is unknown (the file is optional for ml-100k).
        try FileManager.default.removeItem(atPath: fixture.file("u.user"))
        let bare = try Ingest.load(IngestSource(input: fixture.path))
        #expect(bare.userAttributes == .unknown(count: 2))
        #expect(!bare.sourceFiles.contains("u.user"))
    }

    @Test func ratingsFileCarriesThemAndVersionOneReadsAsUnknown() throws {
        let fixture = ml1mFixture(ratings: "1::1::5::1\n2::2::3::2\n")
        defer { withExtendedLifetime(fixture) {} }
        fixture.write("users.dat", "1::F::1::10::48067\n2::M::35::7::02460\n")
        let table = try Ingest.load(IngestSource(input: fixture.path))
        let path = fixture.file("ratings.h5")
        try RatingsFile.write(table, sourcePath: fixture.path, to: path, createdBy: "test")
        #expect(try RatingsFile.read(path).userAttributes == table.userAttributes)
        // A version-1 file (no attributes): its users read as unknown.
        let v1 = fixture.file("v1.h5")
        try olderVersion(of: path, at: v1, version: 1, dropping: ["users/gender", "users/age", "users/occupation", "users/zip"])
        let old = try RatingsFile.read(v1)
        #expect(old.userAttributes == .unknown(count: 2))
        #expect(old.rating == table.rating)
    }
}
