import Foundation
@testable import Models
import MovieLens
import Testing
import TestSupport

/// The normalised file carries the ratings' timestamps and the users' attributes (version 2),
/// and still reads version 1 files (every rating on day 0, every user unknown).
struct TrainingSetFileTests {
    @Test func timestampsAndUsersRoundTripAndVersionOneStillReads() throws {
        let data = try BayesianFMTests.data()
        let path = scratchPath("normalised.h5")
        try data.write(to: path, createdBy: "test")
        let back = try TrainingSet.read(path)
        #expect(back.trainTimestamp == data.trainTimestamp && back.testTimestamp == data.testTimestamp)
        #expect(back.userAttributes == data.userAttributes)
        #expect(back.trainValue == data.trainValue)

        let v1 = scratchPath("normalised-v1.h5")
        try olderVersion(of: path, at: v1, version: 1, dropping: ["train/timestamp", "test/timestamp", "users/gender", "users/age", "users/occupation", "users/zip"])
        let old = try TrainingSet.read(v1)
        #expect(old.trainTimestamp == [Int64](repeating: 0, count: data.trainUser.count))
        #expect(old.testTimestamp == [Int64](repeating: 0, count: data.testUser.count))
        #expect(old.userAttributes == .unknown(count: data.userCount))
        #expect(old.trainValue == data.trainValue)
        // The FM still fits on it, with every option (one day; no attribute features).
        let trained = try BayesianFM.make(["rank": 2, "samples": 3, "burn_in": 0, "keep": 1, "user_attributes": "all", "time": "day"]).fit(old)
        #expect(trained.extras["training_days"] == [1])
    }
}
