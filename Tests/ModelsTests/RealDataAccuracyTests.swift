import Models
import Testing
import TestSupport

/// Accuracy on ML-100K's canonical u1.base/u1.test split. The bounds sit just above what the
/// defaults measure (see the README), so a regression fails the test.
struct RealDataAccuracyTests {
    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR")) func alsOnU1() throws {
        guard let data = try ml100kU1(.none) else { return }
        let trained = try ALS.make().fit(data)
        let rmse = trained.curve.testRMSE.last!
        #expect(rmse <= 0.93, "ALS u1 held-out RMSE \(rmse)")
    }

    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR")) func bpmfOnU1() throws {
        guard let data = try ml100kU1(.none) else { return }
        let rmse = try BPMF.make().fit(data).curve.testRMSE.last!
        // Seeds 1–7 and 42 give 0.9051–0.9079 (mean 0.9063; the sampler before the speed work: mean
        // 0.9060, 0.9046 at seed 42): the bound sits above the spread of the chain, not one seed.
        #expect(rmse <= 0.908, "BPMF u1 held-out RMSE \(rmse) (published: GC-MC 0.910, IGMC 0.905)")
    }

    /// Rank 8 (ML-100K's 80,000 ratings carry fewer factors than ML-1M's default 32, which gives
    /// 0.8933 here), the default chain (400 samples averaged, noise scales per user and movie),
    /// 5–7 s. The curve's last point (the exact average) over seeds 1–5: without side information
    /// 0.8860–0.8867 (one noise variance, before the scales: 0.8900–0.8906); with the movies'
    /// genres and years (u.item) and the users' gender, age, occupation and zip (u.user):
    /// 0.8839–0.8851 (before: 0.8863–0.8875). With the day feature, the literature's protocol
    /// (each held-out rating with its own day's terms, the extra `test_rmse_own_day`):
    /// 0.8815–0.8825; what is served (each user's average day) 0.8848–0.8857. The bounds sit
    /// above the chain's spread and below the Gaussian-noise chain's (myFM timeSVD++ flipped,
    /// ordinal: 0.8878; BPMF 0.9046).
    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR"),
          arguments: [("none", "none", "none", 0.888), ("both", "all", "none", 0.887), ("both", "all", "day", 0.8845)])
    func bayesianFMOnU1(movieAttributes: String, userAttributes: String, time: String, bound: Double) throws {
        guard let data = try ml100kU1(.none) else { return }
        let trained = try BayesianFM.make(["rank": 8, "movie_attributes": .text(movieAttributes), "user_attributes": .text(userAttributes),
                                           "time": .text(time)]).fit(data)
        let rmse = time == "day" ? try #require(trained.extras["test_rmse_own_day"]?.first) : trained.curve.testRMSE.last!
        #expect(rmse <= bound, "Bayesian FM u1 held-out RMSE \(rmse), movie attributes \(movieAttributes), user attributes \(userAttributes), time \(time)")
        if time == "day" {
            // Served: the users' average days, on the curve (what evaluate measures); above the own-day figure.
            #expect(trained.curve.testRMSE.last! <= 0.8875 && trained.curve.testRMSE.last! > rmse)
        }
    }

    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR")) func svdOnU1() throws {
        guard let data = try ml100kU1(.itemMean) else { return }
        let rmse = try SVD.make(["rank": 20]).fit(data).curve.testRMSE.last!
        #expect(rmse <= 1.0, "SVD u1 held-out RMSE \(rmse)")
    }

    @Test(.enabled(if: realDataRuns("ml-100k"), "needs MovieLens ml-100k under MOVIELENS_DIR")) func baselineOnlyOnU1() throws {
        guard let data = try ml100kU1(.baseline) else { return }
        // The terms alone: a factor model with no factors.
        let rmse = try SVD.make(["rank": 1]).fit(data).curve.testRMSE.last!
        #expect(rmse <= 0.97)
    }
}
