import Essentials
import Foundation
import LinearAlgebra

/// What `ingest` reads and how it splits.
public struct IngestSource: Sendable {
    /// A MovieLens folder, or a CSV file when `genericCSV` is set.
    public var input: String
    public var genericCSV: Bool
    public var split: SplitStrategy
    /// Overrides the kind's rating scale.
    public var scale: RatingScale?

    public init(input: String, genericCSV: Bool = false, split: SplitStrategy = .default, scale: RatingScale? = nil) {
        self.input = input
        self.genericCSV = genericCSV
        self.split = split
        self.scale = scale
    }
}

/// Reading a MovieLens release into a `RatingsTable`: detects the kind, parses ratings and
/// metadata, fingerprints the files read, drops duplicates and applies the split.
///
///     let table = try Ingest.load(IngestSource(input: "../shared/data/movielens/ml-1m"))
///     table.count        // 1000209
///     table.testCount    // 100493 (hash split, seed 42, 10 %)
public enum Ingest {
    /// What each of `load`'s two parallel jobs returns.
    enum Job {
        /// `RatingsTable.build`'s columns and id maps.
        case table((user: [Int32], movie: [Int32], rating: [Float], timestamp: [Int64],
                    userIDs: [Int64], movieIDs: [Int64], duplicates: Int))
        /// The source files' sha256, the movies' metadata and the users'.
        case files([String], [Int64: MovieInfo], [Int64: UserInfo], [Int64: String])
    }

    public static func load(_ options: IngestSource) throws -> RatingsTable {
        let kind: DatasetKind
        let folder: String
        let ratingsPath: String
        if options.genericCSV {
            kind = .genericCSV
            ratingsPath = options.input
            folder = URL(fileURLWithPath: options.input).deletingLastPathComponent().path
        } else {
            kind = try DatasetKind.detect(folder: options.input)
            folder = options.input
            ratingsPath = folder + "/" + kind.ratingsFileName
        }
        let scale = options.scale ?? kind.defaultScale
        if case .files(let name) = options.split {
            guard kind == .ml100k else {
                throw MovieLensError(file: options.input, "the 'files' split needs ml-100k's predefined u1…u5/ua/ub files; this is \(kind)")
            }
            guard SplitStrategy.predefinedSplits.contains(name) else {
                throw MovieLensError(file: options.input, "unknown predefined split '\(name)': expected one of \(SplitStrategy.predefinedSplits.joined(separator: ", "))")
            }
        }

        var files: [(name: String, file: TextFile)] = []
        let ratingsFile = try TextFile(path: ratingsPath)
        files.append((URL(fileURLWithPath: ratingsPath).lastPathComponent, ratingsFile))
        var raw = try RatingsParser.parse(ratingsFile, layout: .of(kind), scale: scale)
        if !options.genericCSV {
            for name in try Updates.files(in: folder) {
                let update = try TextFile(path: folder + "/" + name)
                files.append((name, update))
                raw.append(contentsOf: try RatingsParser.parse(update, layout: Updates.layout, scale: scale, allowEmpty: true))
            }
        }
        var genreFile: TextFile? = nil, moviesFile: TextFile? = nil
        if let moviesName = kind.moviesFileName {
            if kind == .ml100k {
                genreFile = try TextFile(path: folder + "/u.genre")
                files.append(("u.genre", genreFile!))
            }
            moviesFile = try TextFile(path: folder + "/" + moviesName)
            files.append((moviesName, moviesFile!))
        }
        var usersFile: TextFile? = nil
        if let usersName = kind.usersFileName, FileManager.default.fileExists(atPath: folder + "/" + usersName) {
            usersFile = try TextFile(path: folder + "/" + usersName)
            files.append((usersName, usersFile!))
        }
        var tagsFile: TextFile? = nil
        if let tagsName = kind.tagsFileName, FileManager.default.fileExists(atPath: folder + "/" + tagsName) {
            tagsFile = try TextFile(path: folder + "/" + tagsName)
            files.append((tagsName, tagsFile!))
        }
        var testKeys = Set<UInt64>()
        if case .files(let name) = options.split {
            let testFile = try TextFile(path: folder + "/\(name).test")
            files.append(("\(name).test", testFile))
            let test = try RatingsParser.parse(testFile, layout: .of(kind), scale: scale)
            for index in 0..<test.count {
                testKeys.insert(UInt64(bitPattern: test.userIDs[index]) << 32 | UInt64(bitPattern: test.movieIDs[index]))
            }
        }

        // Two independent jobs, one per core (neither starts a parallel loop): the table (index,
        // sort, drop duplicates), and the files' sha256 with the movies' and users' metadata.
        let readFiles = files, parsed = raw
        let jobs: [Job] = try Parallel.map(2) { job in
            if job == 0 { return .table(RatingsTable.build(raw: parsed)) }
            let hashes = readFiles.map { Digest.sha256($0.file.bytes) }
            var metadata: [Int64: MovieInfo] = [:]
            if let moviesFile {
                let genreNames = try genreFile.map { try MoviesParser.genreNames($0) } ?? []
                metadata = try MoviesParser.parse(moviesFile, kind: kind, genreNames: genreNames)
            }
            let users = try usersFile.map { try UsersParser.parse($0, kind: kind) } ?? [:]
            let tags = try tagsFile.map { try TagsParser.parse($0, kind: kind) } ?? [:]
            return .files(hashes, metadata, users, tags)
        }
        guard case .table(let built) = jobs[0], case .files(let hashes, let metadata, let users, let tags) = jobs[1] else {
            preconditionFailure("Ingest.load: the jobs came back out of order")
        }
        let (movieIDs, movie) = catalogue(rated: built.movieIDs, movie: built.movie, listed: metadata.keys)
        // Movies listed without ratings change the indexing, not the files: said in the fingerprint,
        // so a file ingested before the catalogue (the rated movies only) does not pass for this one.
        let catalogueLine = movieIDs.count > built.movieIDs.count ? ["catalogue \(movieIDs.count) movies\n"] : []
        let fingerprintText = (zip(files.map(\.name), hashes).map { "\($0) \($1)\n" } + catalogueLine).sorted().joined()
        var table = RatingsTable(
            kind: kind.description, scale: scale,
            user: built.user, movie: movie, rating: built.rating, timestamp: built.timestamp,
            isTest: [], userIDs: built.userIDs, movieIDs: movieIDs,
            titles: movieIDs.map { metadata[$0]?.title ?? "" },
            years: movieIDs.map { metadata[$0]?.year ?? 0 },
            genres: movieIDs.map { metadata[$0]?.genres ?? "" },
            tags: movieIDs.map { tags[$0] ?? "" },
            userAttributes: UserAttributes.of(built.userIDs, in: users),
            split: options.split, duplicatesDropped: built.duplicates,
            sourceFiles: files.map(\.name), sourceSHA256: hashes,
            fingerprint: Digest.sha256(fingerprintText))
        if case .files(let name) = options.split {
            let present = Set((0..<table.count).map {
                UInt64(bitPattern: table.userIDs[Int(table.user[$0])]) << 32
                    | UInt64(bitPattern: table.movieIDs[Int(table.movie[$0])])
            })
            if let missing = testKeys.first(where: { !present.contains($0) }) {
                throw MovieLensError(
                    file: folder + "/\(name).test",
                    "holds a rating of user \(missing >> 32), movie \(missing & 0xFFFF_FFFF) that u.data does not have: the split files do not belong to this u.data")
            }
        }
        table.assignSplit(options.split, testKeys: testKeys)
        return table
    }

    /// The whole catalogue: the rated movies and every movie the release lists without ratings
    /// (ML-1M: 3,883 movies, 3,706 rated), ids ascending; the ratings' movie indices moved to it
    /// (in order: the table stays sorted by user, then movie). A movie without ratings is in every
    /// file after ingest, so a model can recommend it from its content and predict its stars.
    ///
    ///     catalogue(rated: [10, 30], movie: [0, 1, 1], listed: [10, 20, 30])  // ([10, 20, 30], [0, 2, 2])
    static func catalogue(rated: [Int64], movie: [Int32], listed: some Collection<Int64>) -> (ids: [Int64], movie: [Int32]) {
        let known = Set(rated)
        let unrated = listed.filter { !known.contains($0) }
        guard !unrated.isEmpty else { return (rated, movie) }
        let ids = (rated + unrated).sorted()
        var position: [Int64: Int32] = [:]
        for (index, id) in ids.enumerated() { position[id] = Int32(index) }
        let moved = rated.map { position[$0]! }
        return (ids, movie.map { moved[Int($0)] })
    }

    /// Movies that have ratings but no metadata line (their title is "").
    public static func moviesWithoutTitles(_ table: RatingsTable) -> Int {
        table.titles.reduce(0) { $0 + ($1.isEmpty ? 1 : 0) }
    }
}

