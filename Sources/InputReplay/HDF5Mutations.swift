import Foundation
import HDF5
import LinearAlgebra
import Models
import MovieLens

/// Structure-aware fuzzing of the HDF5 readers: the fuzzer's bytes become edits to the arrays
/// of a valid ratings, normalised or model file (set an element to any value — negative, huge,
/// NaN, infinite — or cut an array short), the library's own writers (which do not validate)
/// write the damaged file, then a count or scale attribute may be overwritten in place, and the
/// reader must refuse it cleanly or read it. The HDF5 container
/// stays well formed, so this exercises Projector's validation, not libhdf5's parser (the
/// `hdf5-bytes` target mutates raw bytes for that).
enum HDF5Mutations {
    /// Reads the fuzzer's bytes as a stream of small numbers and values.
    struct Bytes {
        var bytes: [UInt8]
        var position = 0
        var atEnd: Bool { position >= bytes.count }
        mutating func byte() -> UInt8 {
            defer { position += 1 }
            return position < bytes.count ? bytes[position] : 0
        }
        mutating func index(_ count: Int) -> Int { count == 0 ? 0 : Int(UInt16(byte()) << 8 | UInt16(byte())) % count }
        mutating func int64() -> Int64 {
            // Mostly small values near the edges (-1, 0, n, n+1), sometimes any 64-bit pattern.
            let mode = byte()
            if mode & 3 != 0 { return Int64(Int8(bitPattern: byte())) }
            var value: Int64 = 0
            for _ in 0..<8 { value = value << 8 | Int64(byte()) }
            return value
        }
        mutating func float() -> Float {
            switch byte() % 6 {
            case 0: .nan
            case 1: .infinity
            case 2: -.infinity
            case 3: Float(Int8(bitPattern: byte()))
            default: Float(bitPattern: UInt32(byte()) << 24 | UInt32(byte()) << 16 | UInt32(byte()) << 8 | UInt32(byte()))
            }
        }
    }

    /// One array of a file's value: apply an edit to it.
    struct Field<Root> {
        let name: String
        let edit: (inout Root, inout Bytes) -> Void
    }

    static func field<Root, T>(_ name: String, _ path: WritableKeyPath<Root, [T]>, _ make: @escaping (inout Bytes) -> T) -> Field<Root> {
        Field(name: name) { root, bytes in
            var values = root[keyPath: path]
            if bytes.byte() % 4 == 0 {
                values = Array(values.prefix(bytes.index(values.count + 1)))  // cut short
            } else if !values.isEmpty {
                values[bytes.index(values.count)] = make(&bytes)
            }
            root[keyPath: path] = values
        }
    }

    static func int32(_ b: inout Bytes) -> Int32 { Int32(truncatingIfNeeded: b.int64()) }
    static func int64(_ b: inout Bytes) -> Int64 { b.int64() }
    static func float(_ b: inout Bytes) -> Float { b.float() }

    static func apply<Root>(_ fields: [Field<Root>], to root: inout Root, _ bytes: inout Bytes) {
        var edits = 0
        while !bytes.atEnd && edits < 8 {
            fields[bytes.index(fields.count)].edit(&root, &bytes)
            edits += 1
        }
    }

    static var ratingFields: [Field<RatingsTable>] { [
        field("user", \.user, int32), field("movie", \.movie, int32), field("rating", \.rating, float),
        field("timestamp", \.timestamp, int64), field("is_test", \.isTest) { UInt8(truncatingIfNeeded: $0.int64()) },
        field("user ids", \.userIDs, int64), field("movie ids", \.movieIDs, int64), field("years", \.years, int32),
        field("titles", \.titles) { String(repeating: "x", count: Int($0.byte())) },
        field("user gender", \.userAttributes.gender, gender), field("user age", \.userAttributes.age, int32),
        field("user zip", \.userAttributes.zip) { String(repeating: "9", count: Int($0.byte())) },
        field("user occupation", \.userAttributes.occupation) { String(repeating: "o", count: Int($0.byte())) },
    ] }

    /// "M", "F", "" or something else.
    static func gender(_ b: inout Bytes) -> String { ["M", "F", "", "X", "male"][Int(b.byte()) % 5] }

    static var trainingFields: [Field<TrainingSet>] { [
        field("train user", \.trainUser, int32), field("train movie", \.trainMovie, int32), field("train rating", \.trainRating, float),
        field("train value", \.trainValue, float), field("test user", \.testUser, int32), field("test movie", \.testMovie, int32),
        field("test rating", \.testRating, float), field("user offset", \.terms.userOffset, float),
        field("movie offset", \.terms.movieOffset, float), field("user ids", \.metadata.userIDs, int64),
        field("movie ids", \.metadata.movieIDs, int64), field("genres", \.metadata.genres) { _ in "" },
        field("train timestamp", \.trainTimestamp, int64), field("test timestamp", \.testTimestamp, int64),
        field("user gender", \.userAttributes.gender, gender), field("user age", \.userAttributes.age, int32),
        field("user occupation", \.userAttributes.occupation) { String(repeating: "o", count: Int($0.byte())) },
        field("user zip", \.userAttributes.zip) { String(repeating: "9", count: Int($0.byte())) },
    ] }

    static var modelFields: [Field<ModelFile>] { [
        field("training pointers", \.trainingMovies.pointers) { Int($0.int64()) },
        field("training movies", \.trainingMovies.columns, int32), field("neighbour index", \.neighbours.index, int32),
        field("neighbour score", \.neighbours.score, float), field("user ids", \.metadata.userIDs, int64),
        field("movie ids", \.metadata.movieIDs, int64),
        Field(name: "curve") { file, bytes in
            guard var head = file.rating, !head.curve.testRMSE.isEmpty else { return }
            head.curve.testRMSE[bytes.index(head.curve.testRMSE.count)] = Double(bytes.float())
            file.rating = head
        },
        Field(name: "learned values") { file, bytes in
            let useRanking = file.ranking != nil && (file.rating == nil || bytes.byte() % 2 == 1)
            guard var head = useRanking ? file.ranking : file.rating else { return }
            switch head.model {
            case .factors(var model):
                // An ordinal-factors head's link too: a cut-point or a scale set to anything, or cut short.
                switch bytes.byte() % (model.ordinal == nil ? 4 : 7) {
                case 0: model.userBias[bytes.index(model.userBias.count)] = bytes.float()
                case 1: model.movieBias[bytes.index(model.movieBias.count)] = bytes.float()
                case 2: model.userFactors.values[bytes.index(model.userFactors.values.count)] = bytes.float()
                case 3: model.movieFactors.values[bytes.index(model.movieFactors.values.count)] = bytes.float()
                case 4: field("cut points", \OrdinalLink.cutPoints, float).edit(&model.ordinal!, &bytes)
                case 5: field("user scales", \OrdinalLink.userScale, float).edit(&model.ordinal!, &bytes)
                default: field("movie scales", \OrdinalLink.movieScale, float).edit(&model.ordinal!, &bytes)
                }
                head.model = .factors(model)
            case .itemItem(var model):
                model.weights.values[bytes.index(model.weights.values.count)] = bytes.float()
                head.model = .itemItem(model)
            case .sparseItemItem(var model):
                guard !model.rows.columns.isEmpty else { return }
                switch bytes.byte() % 3 {
                case 0: model.rows.values[bytes.index(model.rows.values.count)] = bytes.float()
                case 1: model.rows.columns[bytes.index(model.rows.columns.count)] = Int32(truncatingIfNeeded: bytes.int64())
                default: model.rows.pointers[bytes.index(model.rows.pointers.count)] = Int(bytes.int64())
                }
                head.model = .sparseItemItem(model)
            }
            if useRanking { file.ranking = head } else { file.rating = head }
        },
    ] }

    /// Valid small files to start from, built once per process.
    struct Bases {
        var ratings: RatingsTable
        var training: TrainingSet
        var factorModel: ModelFile
        /// The factor model with an ordered probit link (an ordinal-factors head).
        var ordinalModel: ModelFile
        var itemModel: ModelFile
        /// Two heads: ALS rating, sparsified EASE ranking.
        var combinedModel: ModelFile
    }

    nonisolated(unsafe) static var cached: Bases?

    static func bases() throws -> Bases {
        if let cached { return cached }
        var rows: [(Int32, Int32, Float, UInt8)] = []
        for u in 0..<8 { for m in 0..<6 where (u + m) % 3 != 0 { rows.append((Int32(u), Int32(m), Float(1 + (u * m) % 5), (u * 7 + m) % 5 == 0 ? 1 : 0)) } }
        let table = RatingsTable(
            kind: "ml-1m", scale: .wholeStars, user: rows.map(\.0), movie: rows.map(\.1), rating: rows.map(\.2),
            timestamp: rows.map { Int64($0.0) * 100 }, isTest: rows.map(\.3), userIDs: (1...8).map(Int64.init),
            movieIDs: (1...6).map { Int64($0 * 10) }, titles: (1...6).map { "Movie \($0) (199\($0))" },
            years: (1...6).map { Int32(1990 + $0) }, genres: [String](repeating: "Drama", count: 6),
            userAttributes: UserAttributes(gender: (0..<8).map { ["M", "F", ""][$0 % 3] }, age: (0..<8).map { Int32($0 * 7) },
                                           occupation: (0..<8).map { "\($0 % 4)" }, zip: (0..<8).map { $0 == 3 ? "" : "5501\($0)" }),
            split: .default,
            duplicatesDropped: 0, sourceFiles: ["ratings.dat"], sourceSHA256: [String(repeating: "0", count: 64)], fingerprint: "fuzz")
        let training = try TrainingSet.normalise(table, method: .baseline)
        func model(_ algorithm: any Algorithm) throws -> ModelFile {
            let trained = try algorithm.fit(training)
            return ModelFile(algorithm: algorithm, trained: trained, data: training,
                             neighbours: Neighbours.compute(vectors: trained.model.movieVectors, k: 2), createdBy: "fuzz")
        }
        let factorModel = try model(ALS.make(["rank": 2, "iterations": 2]))
        let combined = try ModelFile.combine(rating: factorModel, ranking: try model(EASE.make(["lambda": 5, "keep_entries": 2])),
                                             neighboursFrom: .ranking, createdBy: "fuzz")
        var ordinalModel = factorModel
        if case .factors(var factors) = factorModel.rating?.model {
            factors.ordinal = OrdinalLink(cutPoints: [1.5, 2.4, 3.3, 4.5], userScale: [Float](repeating: 1, count: 8),
                                          movieScale: [Float](repeating: 1.3, count: 6), minimum: 1, step: 1)
            ordinalModel.rating?.model = .factors(factors)
        }
        let bases = Bases(ratings: table, training: training, factorModel: factorModel, ordinalModel: ordinalModel,
                          itemModel: try model(EASE.make(["lambda": 5])), combinedModel: combined)
        cached = bases
        return bases
    }

    /// Overwrites one of the attributes the readers size things by (counts, rank, k, the scale)
    /// with a value from the input: the arrays no longer match what the attributes promise.
    static func damageAttribute(_ path: String, _ bytes: inout Bytes) throws {
        guard bytes.byte() % 2 == 1 else { return }
        let counts = ["n_ratings", "n_users", "n_movies", "n_train", "n_test", "rank", "format_version", "iterations", "duplicates_dropped", "keep_entries"]
        let reals = ["rating_min", "rating_max", "rating_step", "global_mean"]
        let root = try HDF5File.open(path, writable: true)
        // Model heads keep rank, global_mean and keep_entries on their own group.
        let heads = ["rating", "ranking"].filter { root.contains($0) }
        let pick = bytes.byte()
        let file: HDF5Group = heads.isEmpty || pick % 3 == 0 ? root : try root.group(heads[Int(pick) % heads.count])
        let choice = bytes.index(counts.count + reals.count + 1)
        if choice < counts.count {
            if file.hasAttribute(counts[choice]) { try file.setAttribute(counts[choice], bytes.int64()) }
        } else if choice < counts.count + reals.count {
            let name = reals[choice - counts.count]
            if file.hasAttribute(name) { try file.setAttribute(name, Double(bytes.float())) }
        } else if root.contains("neighbours") {
            try root.group("neighbours").setAttribute("k", bytes.int64())
        }
        try root.finishWriting()
    }

    /// First byte: which file (ratings, normalised, factor model — with or without an ordinal
    /// link —, item-item or two-headed model); the rest: edits.
    static func run(_ input: [UInt8], scratch: String) throws -> String {
        let bases = try bases()
        // Byte 0: the file; bytes 1…11: an attribute damage (odd byte 1) with its value; the rest:
        // edits to the arrays.
        var bytes = Bytes(bytes: input.count > 12 ? [input[0]] + Array(input.dropFirst(12)) : Array(input.prefix(1)))
        var attribute = Bytes(bytes: Array(input.dropFirst().prefix(11)))
        let path = scratch + "/mutated.h5"
        switch bytes.byte() % 4 {
        case 0:
            var table = bases.ratings
            apply(ratingFields, to: &table, &bytes)
            try RatingsFile.write(table, sourcePath: "fuzz", to: path, createdBy: "fuzz")
            try damageAttribute(path, &attribute)
            return "\(try RatingsFile.read(path).count) ratings"
        case 1:
            var training = bases.training
            apply(trainingFields, to: &training, &bytes)
            try training.write(to: path, createdBy: "fuzz")
            try damageAttribute(path, &attribute)
            return "\(try TrainingSet.read(path).trainValue.count) training values"
        default:
            let selector = input.first ?? 2
            let pick = (selector / 4) % 2 == 0
            var file = selector % 4 == 2 ? (pick ? bases.factorModel : bases.ordinalModel) : pick ? bases.itemModel : bases.combinedModel
            apply(modelFields, to: &file, &bytes)
            try file.write(to: path)
            try damageAttribute(path, &attribute)
            return "model of \(try ModelFile.read(path).metadata.movieCount) movies"
        }
    }
}
