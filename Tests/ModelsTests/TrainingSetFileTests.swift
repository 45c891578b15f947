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
        // The FM still fits on it (no attribute features); the day feature needs timestamps and says so.
        _ = try BayesianFM.make(["rank": 2, "samples": 3, "burn_in": 0, "keep": 1, "user_attributes": "all"]).fit(old)
        #expect(throws: ModelsError.badParameter("bayesian-fm: time 'day' needs ratings on more than one day, but every training rating is on one (a source without timestamps, or a version-1 normalised file: re-run normalise)")) {
            try BayesianFM.make(["rank": 2, "samples": 3, "burn_in": 0, "keep": 1, "time": "day"]).fit(old)
        }
    }

    /// The own-day extra is on the ratings' scale whatever the normalisation: with every held-out
    /// rating on a day not in training, it is exactly what is served (the curve).
    @Test(arguments: [NormalisationMethod.none, .baseline, .itemMean])
    func ownDayExtraIsOnTheRatingScale(method: NormalisationMethod) throws {
        var train: [(Int, Int, Float)] = [], test: [(Int, Int, Float)] = []
        for u in 0..<10 {
            for m in 0..<8 where (u + 2 * m) % 3 != 0 {
                if (u * m) % 5 == 1 { test.append((u, m, Float(1 + (u + m) % 5))) } else { train.append((u, m, Float(1 + (u + m) % 5))) }
            }
        }
        var data = try trainingSet(users: 10, movies: 8, train: train, test: test, method: method, scale: .wholeStars)
        data.testTimestamp = data.testTimestamp.map { _ in 10_000 * 86_400 }
        let trained = try BayesianFM.make(["rank": 2, "samples": 12, "burn_in": 2, "keep": 4, "time": "day"]).fit(data)
        let own = try #require(trained.extras["test_rmse_own_day"]?.first)
        #expect(abs(own - trained.curve.testRMSE.last!) < 1e-5, "\(method): own day \(own), served \(trained.curve.testRMSE.last!)")
        #expect(trained.extras["held_out_on_training_days"] == [0])
    }
}
