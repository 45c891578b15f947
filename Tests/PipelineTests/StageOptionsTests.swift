import ArgumentParser
import Models
import StageContract
import Testing

/// Each stage's options are declared once; the command line the runner builds from them parses
/// back to the same values, for every option set and for values other than the defaults.
struct StageOptionsTests {
    static let commandLines: [(any StageOptionSet.Type, [String])] = [
        (IngestOptions.self, ["--split=temporal", "--seed=7", "--test-fraction=0.25", "--split-name=u3", "--holdout-per-user=3",
                              "--rating-min=-10.0", "--rating-max=5.0", "--rating-step=0.5"]),
        (NormaliseOptions.self, ["--method=user-mean", "--lambda=2.5", "--iterations=3"]),
        (FactoriseOptions.self, ["--algorithm=spark-als", "--seed=9", "--neighbours=0", "--engine=spark", "--master=spark://h:7077",
                                 "--spark-conf=spark.a=1", "--spark-conf=spark.b=x=y", "--spark-deadline=30.0", "--spark-data=s3a://bucket/x"]),
        (CombineOptions.self, ["--neighbours-from=rating"]),
        (EvaluateOptions.self, ["--k=1", "--k=7", "--relevance=4.5", "--max-rmse-increase=0.1", "--max-precision-drop=0.2", "--gate-k=7"]),
        (PublishOptions.self, ["--gate", "--promote", "--floors=f.json", "--relevance=3.0",
                               "--max-rmse-increase=0.005", "--max-precision-drop=0.01", "--gate-k=10", "--keep=3"]),
        (GateOptions.self, ["--max-rmse-increase=0.5", "--max-precision-drop=0.25", "--gate-k=20"]),
    ]

    @Test func everyOptionSetRoundTripsThroughItsCommandLine() throws {
        for (type, arguments) in Self.commandLines {
            let parsed = try type.parse(arguments)
            #expect(parsed.arguments == arguments, "\(type)")
            #expect(try type.parse(type.defaults.arguments).arguments == type.defaults.arguments, "\(type) defaults")
            // Every option the parser declares (its help lists them) is in the command line: the
            // encoding misses none.
            let declared = Set(type.helpMessage().split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "-") })
                .filter { $0.hasPrefix("--") && $0 != "--help" }.map(String.init))
            #expect(declared == Set(arguments.map { String($0.prefix { $0 != "=" }) }), "\(type)")
        }
    }

    @Test func defaultsAreWrittenOnce() {
        #expect(EvaluateOptions.defaults.k == [5, 10, 20] && EvaluateOptions.defaults.relevance == 4)
        #expect(PublishOptions.defaults.relevance == EvaluateOptions.defaults.relevance)
        #expect(NormaliseOptions.defaults.lambda == NormalisationTerms.defaultLambda)
        #expect(IngestOptions.defaults.strategy == .default)
        #expect(FactoriseOptions.defaults.algorithm.name == Algorithms.defaultName)
    }

    @Test func namesFollowOneRule() {
        #expect(OptionName.kebab("runManifestSha256") == "run-manifest-sha256" && OptionName.snake("maxRmseIncrease") == "max_rmse_increase")
        #expect(IngestOptions.manifestKeys == ["split", "seed", "test_fraction", "split_name", "holdout_per_user", "rating_min", "rating_max", "rating_step"])
    }

    @Test func theOldCommaSeparatedCutoffsNameTheNewForm() {
        #expect(throws: (any Error).self) { try EvaluateOptions.parse(["--k", "5,10,20"]) }
        do { _ = try EvaluateOptions.parse(["--k", "5,10,20"]) } catch {
            #expect(EvaluateOptions.message(for: error) == "The value '5,10,20' is invalid for '--k <k>': give the cut-offs as separate values (--k 5 10 20), not comma-separated")
        }
    }
}
