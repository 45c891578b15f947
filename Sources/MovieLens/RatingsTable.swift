import Essentials

/// Ingested ratings: dense indices, columns, id maps, metadata and the split.
///
/// Users and movies get dense indices `0..<userCount` and `0..<movieCount` in ascending order of
/// their original ids; only movies that have at least one rating are indexed. Ratings are
/// sorted by (user, movie), so each user's ratings are one contiguous run.
public struct RatingsTable: Sendable {
    public var kind: String
    public var scale: RatingScale
    /// Dense user index of each rating.
    public var user: [Int32]
    /// Dense movie index of each rating.
    public var movie: [Int32]
    public var rating: [Float]
    /// Seconds since 1970 (0 when the source has none).
    public var timestamp: [Int64]
    /// 1 for a held-out (test) rating, 0 for training, 2 for a new user's history (`SplitStrategy.Role`).
    public var isTest: [UInt8]
    /// Original id of each dense user index, ascending.
    public var userIDs: [Int64]
    /// Original id of each dense movie index, ascending.
    public var movieIDs: [Int64]
    public var titles: [String]
    public var years: [Int32]
    public var genres: [String]
    /// Per movie: the tags people gave it, normalised, distinct, sorted, joined with `|` ("" when
    /// none, or the release has no tags file; `TagsParser`).
    public var tags: [String]
    /// Per user: gender, age, occupation, zip (unknown when the release has no users file).
    public var userAttributes: UserAttributes
    public var split: SplitStrategy
    /// Ratings dropped because a later rating of the same (user, movie) replaced them.
    public var duplicatesDropped: Int
    /// Source files read (names relative to the source folder) and their sha256, hex.
    public var sourceFiles: [String]
    public var sourceSHA256: [String]
    /// sha256 over the sorted "name sha256" lines of the source files.
    public var fingerprint: String

    public init(
        kind: String, scale: RatingScale, user: [Int32], movie: [Int32], rating: [Float], timestamp: [Int64],
        isTest: [UInt8], userIDs: [Int64], movieIDs: [Int64], titles: [String], years: [Int32], genres: [String],
        tags: [String]? = nil, userAttributes: UserAttributes? = nil, split: SplitStrategy, duplicatesDropped: Int, sourceFiles: [String], sourceSHA256: [String], fingerprint: String
    ) {
        self.kind = kind
        self.scale = scale
        self.user = user
        self.movie = movie
        self.rating = rating
        self.timestamp = timestamp
        self.isTest = isTest
        self.userIDs = userIDs
        self.movieIDs = movieIDs
        self.titles = titles
        self.years = years
        self.genres = genres
        self.tags = tags ?? [String](repeating: "", count: movieIDs.count)
        precondition(self.tags.count == movieIDs.count, "RatingsTable: one tags entry per movie")
        self.userAttributes = userAttributes ?? .unknown(count: userIDs.count)
        precondition(self.userAttributes.fits(users: userIDs.count), "RatingsTable: one user attribute entry per user")
        self.split = split
        self.duplicatesDropped = duplicatesDropped
        self.sourceFiles = sourceFiles
        self.sourceSHA256 = sourceSHA256
        self.fingerprint = fingerprint
    }

    public var count: Int { rating.count }
    public var userCount: Int { userIDs.count }
    public var movieCount: Int { movieIDs.count }
    public var testCount: Int { isTest.reduce(0) { $0 + ($1 == SplitStrategy.Role.heldOut.rawValue ? 1 : 0) } }
    /// New users' histories (`new-users` split): neither trained on nor held out.
    public var historyCount: Int { isTest.reduce(0) { $0 + ($1 == SplitStrategy.Role.history.rawValue ? 1 : 0) } }
    public var trainCount: Int { isTest.reduce(0) { $0 + ($1 == SplitStrategy.Role.training.rawValue ? 1 : 0) } }
    public var meanRating: Double { rating.reduce(0.0) { $0 + Double($1) } / Double(max(1, count)) }
}

extension RatingsTable {
    /// The timestamps of the training and of the held-out ratings, in `sides()`'s order.
    public func sideTimestamps() -> (train: [Int64], test: [Int64]) {
        var train: [Int64] = [], test: [Int64] = []
        train.reserveCapacity(trainCount)
        for index in 0..<count {
            switch isTest[index] {
            case SplitStrategy.Role.training.rawValue: train.append(timestamp[index])
            case SplitStrategy.Role.heldOut.rawValue: test.append(timestamp[index])
            default: break
            }
        }
        return (train, test)
    }

    /// The ratings split into training and held-out sides, in table order (new users'
    /// histories in neither: `histories()`).
    public func sides() -> (train: RatingTriplets, test: RatingTriplets) {
        var train = RatingTriplets(), test = RatingTriplets()
        let kept = trainCount
        train.user.reserveCapacity(kept); train.movie.reserveCapacity(kept); train.rating.reserveCapacity(kept)
        for index in 0..<count {
            switch isTest[index] {
            case SplitStrategy.Role.training.rawValue: train.append(user[index], movie[index], rating[index])
            case SplitStrategy.Role.heldOut.rawValue: test.append(user[index], movie[index], rating[index])
            default: break
            }
        }
        return (train, test)
    }

    /// New users' histories (`is_test` 2), in table order: by user, then movie.
    public func histories() -> RatingTriplets {
        var result = RatingTriplets()
        for index in 0..<count where isTest[index] == SplitStrategy.Role.history.rawValue {
            result.append(user[index], movie[index], rating[index])
        }
        return result
    }
}

extension RatingsTable {
    /// Dense indices for ids, ascending: a direct lookup table when the ids are small
    /// (MovieLens ids are), a dictionary otherwise.
    struct IndexMap {
        var ids: [Int64]
        private var table: [Int32]
        private var dictionary: [Int64: Int32]

        init(_ values: [Int64]) {
            let maxID = values.max() ?? 0
            let minID = values.min() ?? 0
            if minID >= 0 && maxID < 64_000_000 {
                var table = [Int32](repeating: -1, count: Int(maxID) + 1)
                for value in values { table[Int(value)] = 0 }
                var ids: [Int64] = []
                for id in table.indices where table[id] == 0 {
                    table[id] = Int32(ids.count)
                    ids.append(Int64(id))
                }
                self.ids = ids
                self.table = table
                self.dictionary = [:]
            } else {
                let ids = Array(Set(values)).sorted()
                self.ids = ids
                self.table = []
                self.dictionary = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, Int32($0)) })
            }
        }

        @inline(__always) func index(_ id: Int64) -> Int32 {
            table.isEmpty ? dictionary[id]! : table[Int(id)]
        }
    }

    /// Builds the table from ratings in file order: indexes users and movies, sorts by
    /// (user, movie) and drops duplicates, keeping for each (user, movie) the rating with the
    /// latest timestamp (the later line when timestamps tie).
    ///
    /// Two stable counting sorts (by movie, then by user) put the ratings in (user, movie) order
    /// with file order kept within a pair, in four passes over the indices; one thread (ingest
    /// hashes the source files on the other core meanwhile).
    static func build(raw: RawRatings) -> (
        user: [Int32], movie: [Int32], rating: [Float], timestamp: [Int64],
        userIDs: [Int64], movieIDs: [Int64], duplicates: Int
    ) {
        let users = IndexMap(raw.userIDs)
        let movies = IndexMap(raw.movieIDs)
        let n = raw.count
        let denseUser = raw.userIDs.map { users.index($0) }
        let denseMovie = raw.movieIDs.map { movies.index($0) }
        let byMovie = countingOrder(keys: denseMovie, keyCount: movies.ids.count, of: nil)
        let order = countingOrder(keys: denseUser, keyCount: users.ids.count, of: byMovie)
        var user: [Int32] = [], movie: [Int32] = [], rating: [Float] = [], timestamp: [Int64] = []
        user.reserveCapacity(n); movie.reserveCapacity(n); rating.reserveCapacity(n); timestamp.reserveCapacity(n)
        var index = 0
        while index < n {
            let first = Int(order[index])
            var best = first
            var next = index + 1
            while next < n, case let candidate = Int(order[next]),
                  denseUser[candidate] == denseUser[first], denseMovie[candidate] == denseMovie[first] {
                if raw.timestamps[candidate] >= raw.timestamps[best] { best = candidate }
                next += 1
            }
            user.append(denseUser[best])
            movie.append(denseMovie[best])
            rating.append(raw.ratings[best])
            timestamp.append(raw.timestamps[best])
            index = next
        }
        return (
            user: user, movie: movie, rating: rating, timestamp: timestamp,
            userIDs: users.ids, movieIDs: movies.ids, duplicates: n - user.count
        )
    }

    /// The positions `0..<keys.count` (or those of `positions`, in their order) stably sorted by
    /// `keys[position]`, each key in `0..<keyCount`.
    static func countingOrder(keys: [Int32], keyCount: Int, of positions: [Int32]?) -> [Int32] {
        var starts = [Int](repeating: 0, count: keyCount + 1)
        for key in keys { starts[Int(key) + 1] += 1 }
        for key in 0..<keyCount { starts[key + 1] += starts[key] }
        var order = [Int32](repeating: 0, count: keys.count)
        if let positions {
            for position in positions {
                let key = Int(keys[Int(position)])
                order[starts[key]] = position
                starts[key] += 1
            }
        } else {
            for position in keys.indices {
                let key = Int(keys[position])
                order[starts[key]] = Int32(position)
                starts[key] += 1
            }
        }
        return order
    }

    /// Marks held-out ratings by `strategy`. `testKeys` (original (user, movie) ids packed as
    /// `user << 32 | movie`) is what the `files` strategy holds out.
    mutating func assignSplit(_ strategy: SplitStrategy, testKeys: Set<UInt64> = []) {
        split = strategy
        isTest = [UInt8](repeating: 0, count: count)
        switch strategy {
        case .hash(let seed, let fraction):
            for index in 0..<count {
                let hold = hashSplitHoldsOut(
                    userID: userIDs[Int(user[index])], movieID: movieIDs[Int(movie[index])],
                    seed: seed, fraction: fraction)
                isTest[index] = hold ? 1 : 0
            }
        case .files:
            for index in 0..<count {
                let key = UInt64(bitPattern: userIDs[Int(user[index])]) << 32
                    | UInt64(bitPattern: movieIDs[Int(movie[index])])
                isTest[index] = testKeys.contains(key) ? 1 : 0
            }
        case .newUsers, .newMovies:
            for index in 0..<count {
                isTest[index] = strategy.role(userID: userIDs[Int(user[index])], movieID: movieIDs[Int(movie[index])])!.rawValue
            }
        case .temporal(let perUser):
            var start = 0
            while start < count {
                var end = start
                while end < count && user[end] == user[start] { end += 1 }
                let run = Array(start..<end).sorted {
                    (timestamp[$0], movieIDs[Int(movie[$0])]) < (timestamp[$1], movieIDs[Int(movie[$1])])
                }
                for position in run.suffix(min(perUser, run.count - 1)) { isTest[position] = 1 }
                start = end
            }
        }
    }
}
