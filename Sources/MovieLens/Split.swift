import Essentials
import Foundation

/// How ratings are divided into training and held-out (test) sets.
///
/// - `hash` (default: seed 42, fraction 0.1): the rating of (userId, movieId) is held out iff
///   `splitmix64(((userId << 32) | movieId) ^ seed) % 10000 < fraction * 10000`. Reproducible
///   in any language from the ids alone, and stable as the data grows: a rating never changes
///   side. On ML-1M it holds out exactly 100,493 of 1,000,209 ratings.
/// - `files`: ml-100k's predefined splits (`u1`…`u5`, `ua`, `ub`): the ratings in `NAME.test`
///   are held out; every one of them must be in `u.data`.
/// - `temporal`: each user's last `perUser` ratings by timestamp (ties broken by movie id) are
///   held out; a user with no more than `perUser` ratings keeps the earliest one in training.
/// - `new-users` (strong generalisation, Liang et al. 2018; Steck 2019): user u is a test user
///   iff `splitmix64(u ^ seed) % 10000 < 1000`; a test user's rating of movie i is a target
///   (held out, `is_test` 1) iff `splitmix64(((u << 32) | i) ^ (seed + 1)) % 10000 < 2000`, and
///   the rest of their ratings are their history (`is_test` 2: never trained on; `evaluate`
///   folds it in, then ranks every movie but the history). Every other user trains with all
///   their ratings. ML-1M, seed 42: see docs/protocols.md.
/// - `new-movies` (item cold start, the LightFM paper): movie i is cold iff
///   `splitmix64(i ^ (seed + 2)) % 10000 < 2000`; all its ratings are held out.
public enum SplitStrategy: Sendable, Equatable, CustomStringConvertible {
    case hash(seed: UInt64, fraction: Double)
    case files(name: String)
    case temporal(perUser: Int)
    case newUsers(seed: UInt64)
    case newMovies(seed: UInt64)

    /// The strategies by name (`ingest --split`).
    public enum Kind: String, CaseIterable, Sendable, Codable {
        case hash, files, temporal
        case newUsers = "new-users"
        case newMovies = "new-movies"
    }

    /// What a rating is in a split (`/ratings/is_test`'s values).
    public enum Role: UInt8, Sendable {
        case training = 0
        /// Held out: what evaluate measures.
        case heldOut = 1
        /// A new user's history (`new-users`): neither trained on nor measured; folded in.
        case history = 2
    }

    /// `new-users`: the share of users who are test users, and of a test user's ratings that are targets (per 10,000).
    public static let newUserShare: UInt64 = 1000, targetShare: UInt64 = 2000
    /// `new-movies`: the share of movies that are cold (per 10,000).
    public static let coldMovieShare: UInt64 = 2000

    /// The role of the rating of (`userID`, `movieID`) under `new-users` or `new-movies`
    /// (nil for the other strategies, which need more than the two ids).
    public func role(userID: Int64, movieID: Int64) -> Role? {
        switch self {
        case .newUsers(let seed):
            guard splitmix64(UInt64(bitPattern: userID) ^ seed) % 10_000 < Self.newUserShare else { return .training }
            let key = (UInt64(bitPattern: userID) << 32) | UInt64(bitPattern: movieID)
            return splitmix64(key ^ (seed &+ 1)) % 10_000 < Self.targetShare ? .heldOut : .history
        case .newMovies(let seed):
            return splitmix64(UInt64(bitPattern: movieID) ^ (seed &+ 2)) % 10_000 < Self.coldMovieShare ? .heldOut : .training
        case .hash, .files, .temporal:
            return nil
        }
    }

    /// The defaults of each strategy's parameters (`ingest`'s options take theirs from here).
    public static let defaultSeed: UInt64 = 42
    public static let defaultFraction = 0.1
    public static let defaultSplitName = "u1"
    public static let defaultPerUser = 5

    public static let `default` = SplitStrategy.hash(seed: defaultSeed, fraction: defaultFraction)

    /// The names `files` accepts.
    public static let predefinedSplits = ["u1", "u2", "u3", "u4", "u5", "ua", "ub"]

    public var kind: Kind {
        switch self {
        case .hash: .hash
        case .files: .files
        case .temporal: .temporal
        case .newUsers: .newUsers
        case .newMovies: .newMovies
        }
    }

    public var name: String { kind.rawValue }

    /// The parameters as stored in files next to `name` (`split_params`): canonical JSON with
    /// sorted keys, e.g. `{"fraction":0.1,"seed":42}`, `{"name":"u1"}`, `{"per_user":5}`.
    struct Parameters: Codable, Equatable {
        var seed: UInt64?
        var fraction: Double?
        var name: String?
        var perUser: Int?
        enum CodingKeys: String, CodingKey { case seed, fraction, name, perUser = "per_user" }
    }

    public var parametersJSON: String {
        switch self {
        case .hash(let seed, let fraction): JSON.line(Parameters(seed: seed, fraction: fraction))
        case .files(let name): JSON.line(Parameters(name: name))
        case .temporal(let perUser): JSON.line(Parameters(perUser: perUser))
        case .newUsers(let seed), .newMovies(let seed): JSON.line(Parameters(seed: seed))
        }
    }

    /// The strategy a file names (`split`, `split_params`); nil when they do not make one.
    public static func parse(name: String, parametersJSON json: String) -> SplitStrategy? {
        guard let p = try? JSONDecoder().decode(Parameters.self, from: Data(json.utf8)) else { return nil }
        switch (name, p.seed, p.fraction, p.name, p.perUser) {
        case ("hash", let seed?, let fraction?, nil, nil) where fraction > 0 && fraction < 1: return .hash(seed: seed, fraction: fraction)
        case ("files", nil, nil, let split?, nil) where predefinedSplits.contains(split): return .files(name: split)
        case ("temporal", nil, nil, nil, let perUser?) where perUser > 0: return .temporal(perUser: perUser)
        case ("new-users", let seed?, nil, nil, nil): return .newUsers(seed: seed)
        case ("new-movies", let seed?, nil, nil, nil): return .newMovies(seed: seed)
        default: return nil
        }
    }

    public var description: String { "\(name) \(parametersJSON)" }
}

/// The standard 64-bit SplitMix finaliser (Steele, Lea & Flood 2014): `splitmix64(0)` is
/// `0xE220A8397B1DCDAF`.
@inline(__always)
public func splitmix64(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// Whether the hash split holds out the rating of (`userID`, `movieID`).
@inline(__always)
public func hashSplitHoldsOut(userID: Int64, movieID: Int64, seed: UInt64, fraction: Double) -> Bool {
    let key = (UInt64(bitPattern: userID) << 32) | UInt64(bitPattern: movieID)
    return splitmix64(key ^ seed) % 10_000 < UInt64((fraction * 10_000).rounded())
}
