import ArgumentParser
import MovieLens

/// `ingest`'s split and scale options (a manifest's `ingest` section).
///
///     ingest --input ml-1m --output ratings.h5 --split hash --seed 42 --test-fraction 0.1
///     # manifest:  ingest: {split: hash, seed: 42, test_fraction: 0.1}
public struct IngestOptions: StageOptionSet {
    @Option(help: "Split strategy: hash, files (ml-100k's predefined splits), temporal, new-users (strong generalisation) or new-movies (item cold start).")
    public var split: SplitStrategy.Kind = .hash

    @Option(help: "hash, new-users and new-movies splits: seed.")
    public var seed: UInt64 = SplitStrategy.defaultSeed

    @Option(help: "hash split: fraction of ratings held out, in (0, 1).")
    public var testFraction: Double = SplitStrategy.defaultFraction

    @Option(help: "files split: which predefined ml-100k split (u1…u5, ua, ub).")
    public var splitName: String = SplitStrategy.defaultSplitName

    @Option(help: "temporal split: how many of each user's latest ratings are held out.")
    public var holdoutPerUser: Int = SplitStrategy.defaultPerUser

    @Option(help: "Override the rating scale's minimum (default: the release's).")
    public var ratingMin: Float?

    @Option(help: "Override the rating scale's maximum (default: the release's).")
    public var ratingMax: Float?

    @Option(help: "Override the rating scale's step (default: the release's).")
    public var ratingStep: Float?

    public init() {}

    public func validate() throws {
        guard testFraction > 0 && testFraction < 1 else { throw ValidationError("--test-fraction must be in (0, 1), not \(testFraction)") }
        guard holdoutPerUser > 0 else { throw ValidationError("--holdout-per-user must be at least 1") }
        guard SplitStrategy.predefinedSplits.contains(splitName) else {
            throw ValidationError("--split-name must be one of \(SplitStrategy.predefinedSplits.joined(separator: ", "))")
        }
        if ratingMin != nil || ratingMax != nil || ratingStep != nil {
            guard let ratingMin, let ratingMax, let ratingStep, ratingMin < ratingMax, ratingStep > 0,
                  abs(ratingMin) <= 1e6, abs(ratingMax) <= 1e6, ratingStep <= ratingMax - ratingMin else {
                throw ValidationError("--rating-min, --rating-max and --rating-step go together, with min < max, step > 0 and at most max − min, all within ±1e6")
            }
        }
    }

    /// The split these options describe.
    public var strategy: SplitStrategy {
        switch split {
        case .files: .files(name: splitName)
        case .temporal: .temporal(perUser: holdoutPerUser)
        case .hash: .hash(seed: seed, fraction: testFraction)
        case .newUsers: .newUsers(seed: seed)
        case .newMovies: .newMovies(seed: seed)
        }
    }

    /// The overriding scale, if one is given (`validate` makes the three go together).
    public var scale: RatingScale? {
        guard let ratingMin, let ratingMax, let ratingStep else { return nil }
        return RatingScale(minimum: ratingMin, maximum: ratingMax, step: ratingStep)
    }
}
