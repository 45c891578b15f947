import HDF5

/// (user, movie, rating) columns of one side of the split.
public struct RatingTriplets: Sendable, Equatable {
    public var user: [Int32] = []
    public var movie: [Int32] = []
    public var rating: [Float] = []

    public init() {}

    public init(user: [Int32], movie: [Int32], rating: [Float]) {
        self.user = user
        self.movie = movie
        self.rating = rating
    }

    public var count: Int { rating.count }

    mutating func append(_ user: Int32, _ movie: Int32, _ rating: Float) {
        self.user.append(user)
        self.movie.append(movie)
        self.rating.append(rating)
    }
}

extension RatingTriplets {
    /// Writes the columns as datasets `user`, `movie`, `rating` of `group`.
    public func write(to group: HDF5Group) throws {
        try group.write("user", user)
        try group.write("movie", movie)
        try group.write("rating", rating)
    }

    /// Reads `user`, `movie`, `rating` from `group` — `count` long, or as long as `user` when nil
    /// — and checks every index against `users` and `movies` and every rating is finite.
    public static func read(from group: HDF5Group, count: Int? = nil, why: String, users: Int, movies: Int) throws -> RatingTriplets {
        let n = try count ?? (group.dataset("user").shape.first ?? 0)
        let check = ContentCheck(file: group.filePath)
        let triplets = RatingTriplets(
            user: try group.read("user", shape: [n], why: why), movie: try group.read("movie", shape: [n], why: why),
            rating: try group.read("rating", shape: [n], why: why))
        try check.indices(triplets.user, below: users, group.objectPath + "/user", why: "n_users")
        try check.indices(triplets.movie, below: movies, group.objectPath + "/movie", why: "n_movies")
        try check.finite(triplets.rating, group.objectPath + "/rating")
        return triplets
    }
}
