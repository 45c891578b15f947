import ArtifactStore
import Foundation
import HDF5
import Models
import MovieLens
import Testing

/// Hostile and malformed input, fed to the real executables: every case exits 2 with a message
/// naming the file and what is wrong (for HDF5 files the dataset and first bad position), writes
/// nothing, and never crashes. Each row is one kind of bad input.
struct BadInputTests {
    /// Valid files to damage: ratings, normalised, an evaluated ALS model, an EASE model (dense
    /// and sparsified).
    struct Fixture {
        let dir: URL
        let ratings: String, train: String, model: String, ease: String, sparse: String
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
    }

    static func fixture() throws -> Fixture {
        let dir = scratchFolder()
        let (ratings, good, _) = try TrainingStageTests().goodAndBadModels(dir)
        let train = dir.appendingPathComponent("n.h5").path
        let ease = dir.appendingPathComponent("ease.h5").path
        #expect(try runStage("factorise", ["--input", train, "--output", ease, "--algorithm", "ease", "--lambda", "5"]).status == 0)
        let sparse = dir.appendingPathComponent("sparse.h5").path
        #expect(try runStage("factorise", ["--input", train, "--output", sparse, "--algorithm", "ease", "--lambda", "5", "--keep-entries", "3"]).status == 0)
        return Fixture(dir: dir, ratings: ratings, train: train, model: good, ease: ease, sparse: sparse)
    }

    /// A damaged copy of a file: written by the library's own writer from a mutated value, which
    /// the writers do not validate (the readers must).
    enum Damage: String, CaseIterable, CustomTestStringConvertible {
        case ratingsUserOutOfRange, ratingsNegativeMovie, ratingsNaN, ratingsOffTheScale, ratingsUnsorted, ratingsDuplicateIDs
        case trainMovieOutOfRange, trainValueInfinite, ratingsGenderUnknown, ratingsAgeOutOfRange, trainTimestampsShort
        case modelNaN, modelTrainingMovieOutOfRange, modelNeighbourOutOfRange, modelPointersDecreasing, easeNaN
        case truncatedModel, emptyFile, textFile
        case ratingsCountAttributeWrong, ratingsScaleImpossible, ratingsSplitUnknown, ratingsTrainCountWrong
        case modelKindUnknown, modelRankZero, modelNeighbourCountTooLarge, modelOfOtherMovies, formatAttributeArray
        case sparseColumnOutOfRange, sparseRowsUnsorted, neighboursFromMissingHead, inputWeightsShort
        case combineOtherMovies, combineOtherFingerprint, combineRankerAsRating
        case ordinalCutPointsUnordered, ordinalCutPointsShort, ordinalScaleZero, ordinalScaleNaN
        case foldInCovarianceAsymmetric, foldInImplicitUnsorted, foldInImplicitMovieOutOfRange, foldInImplicitOffsetAlone

        var testDescription: String { rawValue }
    }

    static func damage(_ damage: Damage, _ f: Fixture) throws -> (file: String, stage: String, arguments: [String], message: String) {
        let out = f.path("out.h5")
        func ratings(_ change: (inout RatingsTable) -> Void) throws -> String {
            var table = try RatingsFile.read(f.ratings)
            change(&table)
            let path = f.path("bad-ratings.h5")
            try RatingsFile.write(table, sourcePath: "x", to: path, createdBy: "test")
            return path
        }
        func model(_ source: String, _ change: (inout ModelFile) -> Void) throws -> String {
            var file = try ModelFile.read(source)
            change(&file)
            let path = f.path("bad-model.h5")
            try file.write(to: path)
            return path
        }
        /// A copy of `source` with attributes changed in place (the datasets stay valid).
        func attributes(_ source: String, _ change: (HDF5File) throws -> Void) throws -> String {
            let path = f.path("bad-attributes.h5")
            try? FileManager.default.removeItem(atPath: path)
            try FileManager.default.copyItem(atPath: source, toPath: path)
            let file = try HDF5File.open(path, writable: true)
            try change(file)
            try file.finishWriting()
            return path
        }
        let n = try RatingsFile.read(f.ratings).count
        switch damage {
        case .ratingsCountAttributeWrong:
            let file = try attributes(f.ratings) { try $0.setAttribute("n_ratings", Int64(n + 1)) }
            return (file, "normalise", ["--input", file, "--output", out], "\(file): /ratings/user: has shape [\(n)], expected [\(n + 1)] (n_ratings)")
        case .ratingsScaleImpossible:
            let file = try attributes(f.ratings) { try $0.setAttribute("rating_min", 9.0) }
            return (file, "normalise", ["--input", file, "--output", out], "do not make a rating scale")
        case .ratingsSplitUnknown:
            let file = try attributes(f.ratings) { try $0.setAttribute("split_params", "{}") }
            return (file, "normalise", ["--input", file, "--output", out], "\(file): unknown split 'hash' with parameters {}")
        case .ratingsTrainCountWrong:
            let file = try attributes(f.ratings) { try $0.setAttribute("n_train", Int64(1)) }
            return (file, "normalise", ["--input", file, "--output", out], "\(file): attribute 'n_train' says 1, /ratings/is_test holds")
        case .modelKindUnknown:
            let file = try attributes(f.model) { try $0.group("rating").setAttribute("model_kind", "knn") }
            return (file, "evaluate", ["--model", file, "--data", f.ratings, "--output", f.path("m.json")], "\(file): /rating: unknown model_kind 'knn'")
        case .modelRankZero:
            let file = try attributes(f.model) { try $0.group("rating").setAttribute("rank", Int64(0)) }
            return (file, "publish", ["--input", file, "--name", "ml", "--store", f.path("store")], "\(file): /rating attribute 'rank': is 0, outside 1…100000")
        case .modelNeighbourCountTooLarge:
            let file = try attributes(f.model) { try $0.group("neighbours").setAttribute("k", Int64(1000)) }
            return (file, "publish", ["--input", file, "--name", "ml", "--store", f.path("store")], "\(file): /neighbours attribute 'k': is 1000, outside 0…8")
        case .modelOfOtherMovies:
            let file = try model(f.model) { $0.metadata.movieIDs = $0.metadata.movieIDs.map { $0 + 100 } }
            return (file, "evaluate", ["--model", file, "--data", f.ratings, "--output", f.path("m.json")], "are not the ratings file's (12 × 9), though the fingerprints agree")
        case .sparseColumnOutOfRange:
            let file = try model(f.sparse) { file in
                guard case .sparseItemItem(var sparse) = file.ranking?.model else { return }
                sparse.rows.columns[4] = 9
                file.ranking?.model = .sparseItemItem(sparse)
            }
            return (file, "evaluate", ["--model", file, "--data", f.ratings, "--output", f.path("m.json")],
                    "\(file): /ranking/column: position 4 holds 9, outside 0..<9 (n_movies)")
        case .sparseRowsUnsorted:
            guard case .sparseItemItem(let original) = try ModelFile.read(f.sparse).ranking?.model,
                  let row = (0..<original.movieCount).first(where: { original.rows.range($0).count >= 2 }) else {
                throw HDF5Error(file: f.sparse, problem: "the fixture has no sparse row of two entries")
            }
            let first = original.rows.pointers[row]
            let file = try model(f.sparse) { file in
                guard case .sparseItemItem(var sparse) = file.ranking?.model else { return }
                sparse.rows.columns.swapAt(first, first + 1)
                file.ranking?.model = .sparseItemItem(sparse)
            }
            return (file, "publish", ["--input", file, "--name", "ml", "--store", f.path("store")],
                    "\(file): /ranking/column: position \(first + 1): row \(row)'s columns must be ascending without repeats")
        case .inputWeightsShort:
            let file = try model(f.sparse) { $0.ranking?.inputWeights = [1, 1.5] }
            return (file, "evaluate", ["--model", file, "--data", f.ratings, "--output", f.path("m.json")],
                    "/ranking/input_weight: has 2 values; it must have one per training movie (\(try ModelFile.read(f.sparse).trainingMovies.columns.count), /train/movie's length)")
        case .neighboursFromMissingHead:
            let file = try attributes(f.sparse) { try $0.setAttribute("neighbours_from", "rating") }
            return (file, "publish", ["--input", file, "--name", "ml", "--store", f.path("store")],
                    "\(file): attribute 'neighbours_from' is 'rating': it must name a head the file has (ranking)")
        case .combineOtherMovies:
            let file = try model(f.ease) { $0.metadata.movieIDs = $0.metadata.movieIDs.map { $0 + 100 } }
            return (file, "combine", ["--rating", f.model, "--ranking", file, "--output", out],
                    "combine: error: --rating \(f.model) and --ranking \(file) were not trained on the same data: movies (9 each, with other ids); train both from one ingest")
        case .combineOtherFingerprint:
            let file = try attributes(f.ease) { try $0.setAttribute("data_fingerprint", "0123456789abcdef") }
            return (file, "combine", ["--rating", f.model, "--ranking", file, "--output", out],
                    "were not trained on the same data: data fingerprint")
        case .combineRankerAsRating:
            return (f.ease, "combine", ["--rating", f.ease, "--ranking", f.model, "--output", out],
                    "combine: error: --rating \(f.ease) is ease, which predicts no ratings: the rating head must be a factor model")
        case .foldInCovarianceAsymmetric, .foldInImplicitUnsorted, .foldInImplicitMovieOutOfRange:
            // The rating head's fold-in prior, changed in memory and written as it is.
            let file = try model(f.model) { file in
                guard case .factors(var prior)? = file.rating?.foldIn else { return }
                switch damage {
                case .foldInCovarianceAsymmetric: prior.covariance[1] += 0.5
                case .foldInImplicitUnsorted: prior.implicit?.movies.swapAt(0, 1)
                default:
                    let last = (prior.implicit?.movies.count ?? 1) - 1
                    prior.implicit?.movies[last] = 9
                }
                file.rating?.foldIn = .factors(prior)
            }
            let message = switch damage {
            case .foldInCovarianceAsymmetric: "\(file): /rating/fold_in/prior_covariance: entries (1, 0) and (0, 1) differ: a covariance is symmetric"
            case .foldInImplicitUnsorted: "\(file): /rating/fold_in/implicit_movie: position 1"
            default: "\(file): /rating/fold_in/implicit_movie: position \(try implicitCount(f.model) - 1) holds 9: a movie index is from 0 to 8"
            }
            return (file, "publish", ["--input", file, "--name", "ml", "--store", f.path("store")], message)
        case .foldInImplicitOffsetAlone:
            // Written without implicit offsets, then given implicit_offset alone.
            let bare = try model(f.model) { file in
                guard case .factors(var prior)? = file.rating?.foldIn else { return }
                prior.implicit = nil
                file.rating?.foldIn = .factors(prior)
            }
            let file = try attributes(bare) { try $0.group("rating/fold_in").write("implicit_offset", [Float](repeating: 0, count: 4)) }
            return (file, "evaluate", ["--model", file, "--data", f.ratings, "--output", f.path("m.json")],
                    "\(file): /rating/fold_in: holds implicit_offset without implicit_movie")
        case .formatAttributeArray:
            // An array where a string is expected: libhdf5 would write every element into a buffer
            // sized for one. Made with h5py, as a hostile user would.
            let file = f.path("format-array.h5")
            let python = Process()
            python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            python.arguments = ["python3", "-c", "import h5py, sys; f = h5py.File(sys.argv[1], 'w'); f.attrs['format'] = ['projector.ratings'] * 64; f.close()", file]
            try python.run()
            python.waitUntilExit()
            try #require(python.terminationStatus == 0, "python3 with h5py is needed (Scripts/setup installs it)")
            return (file, "normalise", ["--input", file, "--output", out], "\(file): attribute 'format' of /: holds 64 values, expected at most 1")
        case .ratingsUserOutOfRange:
            let file = try ratings { $0.user[$0.user.count - 1] = Int32($0.userCount) }
            return (file, "normalise", ["--input", file, "--output", out], "\(file): /ratings/user: position \(try RatingsFile.read(f.ratings).count - 1) holds 12, outside 0..<12 (n_users)")
        case .ratingsNegativeMovie:
            let file = try ratings { $0.movie[0] = -1 }
            return (file, "normalise", ["--input", file, "--output", out], "\(file): /ratings/movie: position 0 holds -1, outside 0..<9 (n_movies)")
        case .ratingsNaN:
            let file = try ratings { $0.rating[2] = .nan }
            return (file, "normalise", ["--input", file, "--output", out], "\(file): /ratings/rating: position 2 holds nan: values must be finite")
        case .ratingsOffTheScale:
            let file = try ratings { $0.rating[1] = 7 }
            return (file, "normalise", ["--input", file, "--output", out], "\(file): /ratings/rating: position 1: rating 7 is outside the scale 1–5")
        case .ratingsUnsorted:
            let file = try ratings { $0.movie.swapAt(0, 1) }
            return (file, "normalise", ["--input", file, "--output", out], "\(file): /ratings/user: position 1: ratings must be sorted by (user, movie) without repeats")
        case .ratingsDuplicateIDs:
            let file = try ratings { $0.movieIDs[1] = $0.movieIDs[0] }
            return (file, "normalise", ["--input", file, "--output", out], "\(file): /movies/id: position 1 holds 1 after 1: ids must be unique and ascending")
        case .trainMovieOutOfRange:
            var set = try TrainingSet.read(f.train)
            set.trainMovie[3] = 9
            let file = f.path("bad-train.h5")
            try set.write(to: file, createdBy: "test")
            return (file, "factorise", ["--input", file, "--output", out], "\(file): /train/movie: position 3 holds 9, outside 0..<9 (n_movies)")
        case .ratingsGenderUnknown:
            let file = try ratings { $0.userAttributes.gender[2] = "X" }
            return (file, "normalise", ["--input", file, "--output", out], "\(file): /users/gender: position 2 holds 'X': a gender is M, F or \"\" (unknown)")
        case .ratingsAgeOutOfRange:
            let file = try ratings { $0.userAttributes.age[1] = 300 }
            return (file, "normalise", ["--input", file, "--output", out], "\(file): /users/age: position 1: age 300 is outside 0…200")
        case .trainTimestampsShort:
            var set = try TrainingSet.read(f.train)
            set.trainTimestamp.removeLast()
            let file = f.path("bad-train.h5")
            try set.write(to: file, createdBy: "test")
            return (file, "factorise", ["--input", file, "--output", out],
                    "\(file): /train/timestamp: has shape [\(set.trainUser.count - 1)], expected [\(set.trainUser.count)] (/train/user's length)")
        case .trainValueInfinite:
            var set = try TrainingSet.read(f.train)
            set.trainValue[0] = .infinity
            let file = f.path("bad-train.h5")
            try set.write(to: file, createdBy: "test")
            return (file, "factorise", ["--input", file, "--output", out], "\(file): /train/value: position 0 holds inf: values must be finite")
        case .ordinalCutPointsUnordered, .ordinalCutPointsShort, .ordinalScaleZero, .ordinalScaleNaN:
            // The ALS model given an ordered probit link (an ordinal-factors head), then damaged.
            let good = try ModelFile.read(f.model)
            let (n, m) = (good.metadata.userCount, good.metadata.movieCount)
            var link = OrdinalLink(cutPoints: [1.5, 2.4, 3.3, 4.5], userScale: [Float](repeating: 1, count: n),
                                   movieScale: [Float](repeating: 1.2, count: m), minimum: 1, step: 1)
            let (dataset, problem): (String, String)
            switch damage {
            case .ordinalCutPointsUnordered:
                link.cutPoints = [1.5, 3.3, 3.3, 4.5]
                (dataset, problem) = ("cut_points", "position 2 holds 3.3 after 3.3: cut-points must be unique and ascending")
            case .ordinalCutPointsShort:
                link.cutPoints = [1.5, 4.5]
                (dataset, problem) = ("cut_points", "has shape [2], expected [4] (the scale's ratings − 1)")
            case .ordinalScaleZero:
                link.userScale[n - 1] = 0
                (dataset, problem) = ("user_scale", "position \(n - 1): 0.0 is not above 0")
            default:
                link.movieScale[3] = .nan
                (dataset, problem) = ("movie_scale", "position 3 holds nan: values must be finite")
            }
            let file = try model(f.model) { file in
                guard case .factors(var factors) = file.rating?.model else { return }
                factors.ordinal = link
                file.rating?.model = .factors(factors)
            }
            return (file, "evaluate", ["--model", file, "--data", f.ratings, "--output", f.path("m.json")], "\(file): /rating/\(dataset): \(problem)")
        case .modelNaN:
            let file = try model(f.model) { file in
                guard case .factors(var factors) = file.rating?.model else { return }
                factors.userFactors.values = factors.userFactors.values.map { _ in .nan }
                file.rating?.model = .factors(factors)
            }
            return (file, "evaluate", ["--model", file, "--data", f.ratings, "--output", f.path("m.json")],
                    "\(file): /rating/user_factors: position 0 holds nan: values must be finite")
        case .modelTrainingMovieOutOfRange:
            let file = try model(f.model) { $0.trainingMovies.columns[$0.trainingMovies.columns.count - 1] = 9 }
            return (file, "publish", ["--input", file, "--name", "ml", "--store", f.path("store")],
                    "\(file): /train/movie: position \(try ModelFile.read(f.model).trainingMovies.columns.count - 1) holds 9, outside 0..<9 (n_movies)")
        case .modelNeighbourOutOfRange:
            let file = try model(f.model) { $0.neighbours.index[0] = 99 }
            return (file, "publish", ["--input", file, "--name", "ml", "--store", f.path("store")],
                    "\(file): /neighbours/index: position 0 holds 99, outside -1..<9 (n_movies; -1 for none)")
        case .modelPointersDecreasing:
            let file = try model(f.model) { $0.trainingMovies.pointers[1] = 0; $0.trainingMovies.pointers[2] = 100 }
            return (file, "publish", ["--input", file, "--name", "ml", "--store", f.path("store")],
                    "\(file): /train/user_ptr: position 3 holds")
        case .easeNaN:
            let file = try model(f.ease) { file in
                guard case .itemItem(var item) = file.ranking?.model else { return }
                item.weights.values[5] = .nan
                file.ranking?.model = .itemItem(item)
            }
            return (file, "evaluate", ["--model", file, "--data", f.ratings, "--output", f.path("m.json")],
                    "\(file): /ranking/weights: position 5 holds nan: values must be finite")
        case .truncatedModel:
            let bytes = try Data(contentsOf: URL(fileURLWithPath: f.model))
            let file = f.path("truncated.h5")
            try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: file))
            return (file, "evaluate", ["--model", file, "--data", f.ratings, "--output", f.path("m.json")], "\(file): cannot open file")
        case .emptyFile:
            let file = f.path("empty.h5")
            _ = FileManager.default.createFile(atPath: file, contents: Data())
            return (file, "factorise", ["--input", file, "--output", out], "\(file): not an HDF5 file")
        case .textFile:
            let file = f.path("text.h5")
            try "user,movie\n".write(toFile: file, atomically: true, encoding: .utf8)
            return (file, "publish", ["--input", file, "--name", "ml", "--store", f.path("store")], "\(file): not an HDF5 file")
        }
    }

    static func implicitCount(_ path: String) throws -> Int {
        guard case .factors(let prior)? = try ModelFile.read(path).rating?.foldIn, let implicit = prior.implicit else {
            throw HDF5Error(file: path, problem: "the fixture's rating head has no implicit offsets")
        }
        return implicit.movies.count
    }

    @Test(arguments: Damage.allCases)
    func damagedFilesExitTwoNamingDatasetAndPosition(_ kind: Damage) throws {
        let f = try Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let (_, stage, arguments, message) = try Self.damage(kind, f)
        let before = Set(try FileManager.default.subpathsOfDirectory(atPath: f.dir.path))
        let run = try runStage(stage, arguments)
        #expect(run.status == 2, "\(stage) exited \(run.status): \(run.stderr)")
        #expect(run.stderr.contains(message), "\(run.stderr)")
        // Nothing half-written: no new file (the evaluate output, a store version, a temporary).
        let after = Set(try FileManager.default.subpathsOfDirectory(atPath: f.dir.path))
        #expect(after.subtracting(before).filter { !$0.hasSuffix(".lock") && !$0.hasSuffix("aliases") && $0 != "store" && $0 != "store/ml" }.isEmpty,
                "new files: \(after.subtracting(before).sorted())")
    }

    /// publish's gate and lineage options: each misuse exits 2 with its message and publishes nothing.
    @Test(arguments: [
        (["--data", "RATINGS"], "--data, --gate-report and --protocol-metrics go with --gate"),
        (["--floors", "MODEL"], "--floors goes with --gate (floors are part of the gate)"),
        (["--gate", "--data", "MISSING"], "--data MISSING does not exist"),
        (["--gate", "--floors", "MISSING"], "--floors MISSING does not exist"),
        (["--gate", "--gate-report", "NOFOLDER/gate.json"], "--gate-report NOFOLDER/gate.json: folder NOFOLDER does not exist"),
        (["--gate", "--data", "RATINGS", "--relevance", "nan"], "--relevance must be a finite number"),
        (["--run-id", "tiny/2026"], "--run-id and --run-manifest-sha256 go together"),
        (["--run-id", "../x", "--run-manifest-sha256", String(repeating: "a", count: 64)], "--run-id '../x' must be <pipeline>/<run folder>"),
        (["--run-id", "a/b", "--run-manifest-sha256", "xyz"], "--run-manifest-sha256 must be 64 hexadecimal digits"),
        (["--gate", "--data", "MODEL"], "MODEL: is a 'projector.model' file, expected 'projector.ratings'"),
        (["--gate", "--data", "OTHER"], "was not trained from --data"),
    ])
    func publishGateOptionsAreChecked(_ options: [String], _ message: String) throws {
        let f = try Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        // Another ratings file: the same data split otherwise.
        let other = f.path("other.h5")
        #expect(try runStage("ingest", ["--input", f.dir.path, "--output", other, "--test-fraction", "0.3"]).status == 0)
        let names = ["RATINGS": f.ratings, "MODEL": f.model, "OTHER": other, "MISSING": f.path("missing.h5"), "NOFOLDER": f.path("nofolder")]
        let resolved = options.map { option in names.reduce(option) { $0.replacingOccurrences(of: $1.key, with: $1.value) } }
        let run = try runStage("publish", ["--input", f.model, "--name", "ml", "--store", f.path("store")] + resolved)
        let expected = names.reduce(message) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
        #expect(run.status == 2, "\(options): \(run.stderr)")
        #expect(run.stderr.contains(expected), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: f.path("store/ml/1")))
    }

    /// Text inputs that hold no rating at all: an empty line, a byte, a header alone, a BOM alone.
    @Test(arguments: ["\n", "x", "\n\n\n", "userId,movieId,rating,timestamp\n", "\u{FEFF}", " "])
    func ratingsFilesWithNoRatingExitTwo(_ content: String) throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("ratings.csv").path
        try content.write(toFile: csv, atomically: true, encoding: .utf8)
        let run = try runStage("ingest", ["--input", csv, "--format", "csv", "--output", dir.appendingPathComponent("r.h5").path])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains(csv), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("r.h5").path))
    }

    /// Names and references that could reach outside the store: refused with exit 2 before any
    /// file is touched (no lock file appears beside the store).
    @Test(arguments: [
        ["recommend", "--model", "", "user", "1"], ["recommend", "--model", "@", "user", "1"],
        ["recommend", "--model", "ml@@1", "user", "1"], ["recommend", "--model", "ml@ 1", "user", "1"],
        ["store", "gc", "..", "--keep", "1"], ["store", "promote", "..@1"], ["store", "rollback", ".."],
        ["store", "promote", "ml@1", "--alias", "../x"], ["store", "show", "../ml"],
    ])
    func namesThatCouldEscapeExitTwo(_ command: [String]) throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("store").path
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
        let run = try runStage(command[0], Array(command.dropFirst()) + ["--store", store])
        #expect(run.status == 2, "\(command): \(run.stderr)")
        #expect(run.stderr.contains("not a plain name") || run.stderr.contains("model reference"), "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["store"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: store).isEmpty)
    }
}
