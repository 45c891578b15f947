import Foundation
import HDF5
import MovieLens
import Testing

/// The cold-start splits: the issue's hash rules (checked against values computed in Python),
/// three roles in the ratings file (0 training, 1 held out, 2 a new user's history), and a file
/// that claims histories under another split refused.
struct ProtocolSplitTests {
    /// Users 2, 8, 10 are test users under seed 42 (1, 3, 4 are not); user 2's rating of movie 2 is
    /// a target, of movies 1 and 3…14 history; movies 4, 12, 14, 17, 18 are cold (1, 2, 3 are not)
    /// — computed with Python's integers from the rules in SplitStrategy's documentation.
    @Test func rolesFollowTheHashRules() {
        let users = SplitStrategy.newUsers(seed: 42)
        #expect([2, 8, 10].allSatisfy { users.role(userID: $0, movieID: 5) != .training })
        #expect([1, 3, 4].allSatisfy { users.role(userID: $0, movieID: 5) == .training })
        #expect(users.role(userID: 2, movieID: 2) == .heldOut)
        #expect([1, 3, 4, 5, 14].allSatisfy { users.role(userID: 2, movieID: $0) == .history })
        let movies = SplitStrategy.newMovies(seed: 42)
        #expect([4, 12, 14, 17, 18].allSatisfy { movies.role(userID: 1, movieID: $0) == .heldOut })
        #expect([1, 2, 3].allSatisfy { movies.role(userID: 99, movieID: $0) == .training })
        #expect(SplitStrategy.hash(seed: 42, fraction: 0.1).role(userID: 1, movieID: 1) == nil)
        #expect(SplitStrategy.parse(name: "new-users", parametersJSON: #"{"seed":42}"#) == users)
        #expect(SplitStrategy.parse(name: "new-movies", parametersJSON: #"{"seed":7}"#) == .newMovies(seed: 7))
        #expect(SplitStrategy.parse(name: "new-users", parametersJSON: #"{"seed":42,"fraction":0.1}"#) == nil)
    }

    @Test func historiesRoundTripAndAreRefusedUnderOtherSplits() throws {
        let ratings = (1...12).flatMap { user in (1...14).map { "\(user)::\($0)::\(1 + (user + $0) % 5)::\(user * 100 + $0)\n" } }.joined()
        let fixture = ml1mFixture(ratings: ratings, movies: Array((1...14).map { "\($0)::Movie \($0) (1990)::Drama\n" }.joined().utf8))
        defer { withExtendedLifetime(fixture) {} }
        let table = try Ingest.load(IngestSource(input: fixture.path, split: .newUsers(seed: 42)))
        #expect(table.historyCount > 0 && table.testCount > 0 && table.trainCount + table.testCount + table.historyCount == table.count)
        // User 2's ratings: movie 2 a target, the others history; user 1 trains with all of theirs.
        let two = (0..<table.count).filter { table.userIDs[Int(table.user[$0])] == 2 }
        #expect(two.map { table.isTest[$0] } == [2, 1] + [UInt8](repeating: 2, count: 12))
        #expect((0..<table.count).filter { table.userIDs[Int(table.user[$0])] == 1 }.allSatisfy { table.isTest[$0] == 0 })
        let (train, test) = table.sides()
        #expect(train.rating.count == table.trainCount && test.rating.count == table.testCount && table.histories().rating.count == table.historyCount)
        let path = fixture.file("ratings.h5")
        try RatingsFile.write(table, sourcePath: fixture.path, to: path, createdBy: "test")
        let back = try RatingsFile.read(path)
        #expect(back.isTest == table.isTest && back.split == .newUsers(seed: 42))
        // The same roles under a split that makes no histories: refused, naming the dataset.
        let file = try HDF5File.open(path, writable: true)
        try file.setAttribute("split", "hash")
        try file.setAttribute("split_params", #"{"fraction":0.1,"seed":42}"#)
        file.close()
        let first = table.isTest.firstIndex(of: 2)!
        #expect(throws: HDF5Error(file: path, object: "/ratings/is_test", problem: "position \(first) holds 2, expected one of 0, 1")) {
            try RatingsFile.read(path)
        }
    }
}
