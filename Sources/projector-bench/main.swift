import Essentials
// projector-bench: in-process timings of the model code on one ingested ratings file, for
// figures a whole-stage timing hides (the neighbour search, each algorithm's fit).
// Run it from Scripts/bench, in release mode:
//
//     projector-bench RATINGS.h5 [REPEATS]
//     projector-bench --serve MODEL.h5 [REPEATS]     publish into a scratch store, open, recommend
//
// Prints a Markdown table: what, best wall time over REPEATS (default 3), held-out RMSE.
import ArtifactStore
import Evaluation
import Foundation
import LinearAlgebra
import Models
import MovieLens
import ProjectorClient
import Serving

let arguments = CommandLine.arguments
let usage = """
    USAGE: projector-bench RATINGS.h5 [REPEATS]
           projector-bench --serve MODEL.h5 [REPEATS]
           projector-bench --probe

    In-process timings of the model code (run it from Scripts/bench, release build).

    """
if arguments.count == 2 && ["--help", "-h"].contains(arguments[1]) {
    print(usage, terminator: "")
    exit(0)
}
guard arguments.count >= 2 else {
    StandardError.write(usage)
    exit(2)
}

if arguments.count == 2 && arguments[1] == "--probe" {
    // The machine's state, one line, for a bench's figures to be read against (two machines of one
    // kind have differed 2×): the load average, sgemm on every BLAS thread and on one (2,048³, best
    // of 3), and a 256 MB copy (best of 3; read + write bytes per second).
    func fastest(_ body: () -> Void) -> Double {
        (0..<3).map { _ in let start = Date(); body(); return Date().timeIntervalSince(start) }.min()!
    }
    let n = 2048
    var rng = SeededGenerator(seed: 1)
    let a = Matrix(rows: n, columns: n, values: (0..<(n * n)).map { _ in Float(rng.nextGaussian()) })
    var c = Matrix(rows: n, columns: n)
    let flops = 2 * Double(n * n * n)
    let all = fastest { BLAS.gemm(a, a, into: &c) }
    let one = Parallel.withBLASThreads(1) { fastest { BLAS.gemm(a, a, into: &c) } }
    let bytes = 256 << 20
    let source = [UInt8](repeating: 7, count: bytes)
    var target = [UInt8](repeating: 0, count: bytes)
    let copy = fastest { target.withUnsafeMutableBytes { out in source.withUnsafeBytes { out.copyMemory(from: $0) } } }
    let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    let core: String
    switch BLASCore.choice {
    case .kept(let name): core = "OpenBLAS core \(name)"
    case .setByEnvironment(let name): core = "OpenBLAS core \(name) (OPENBLAS_CORETYPE)"
    case .replaced(let from, let to): core = "OpenBLAS core \(to) (chosen by Projector; OpenBLAS fell back to \(from))"
    }
    print(String(format: "%@ · load average %@ · sgemm %.0f GFLOP/s on %d BLAS threads, %.0f on 1 · memory copy %.1f GB/s",
                 core, load, flops / all / 1e9, Parallel.workers, flops / one / 1e9, 2 * Double(bytes) / copy / 1e9) + " (checksum \(c.values[0] + Float(target[bytes - 1])))")
    exit(0)
}
// REPEATS follows RATINGS.h5, or --serve MODEL.h5.
let repeatsIndex = arguments.count > 1 && arguments[1] == "--serve" ? 3 : 2
let repeats = arguments.count > repeatsIndex ? max(1, Int(arguments[repeatsIndex]) ?? 3) : 3

func best<T>(_ body: () throws -> T) rethrows -> (seconds: Double, value: T) {
    var fastest = Double.infinity
    var last: T? = nil
    for _ in 0..<repeats {
        let start = Date()
        last = try body()
        fastest = min(fastest, Date().timeIntervalSince(start))
    }
    return (fastest, last!)
}

if arguments[1] == "--serve" {
    do {
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("projector-bench-store-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: store) }
        let modelStore = ModelStore(root: store)
        let publish = try best { try modelStore.publish(model: arguments[2], name: "bench", promote: true, codeVersion: "bench") }
        let open = try best { try StoredModel.open(store: store, reference: "bench@production") }
        let model = open.value
        let users = model.file.metadata.userIDs
        let start = Date()
        var served = 0
        for (index, user) in users.enumerated() where index % 6 == 0 {
            served += model.recommend(userID: user, k: 10).items.count
        }
        let perCall = Date().timeIntervalSince(start) / Double((users.count + 5) / 6)
        let answers = users.enumerated().filter { $0.offset % 6 == 0 }.map { model.recommend(userID: $0.element, k: 10) }
        let encodeStart = Date()
        var bytes = 0
        for answer in answers { bytes += JSON.data(answer).count }
        let perEncode = Date().timeIntervalSince(encodeStart) / Double(answers.count)
        // Fold-in (`POST …/recommendations` with a history): every sixth user's first 20
        // training ratings as a new person's, mean over them; then its JSON.
        var histories: [[StoredModel.GivenRating]] = []
        if let ratings = model.file.trainingRatings {
            let training = model.file.trainingMovies, ids = model.file.metadata.movieIDs
            for user in stride(from: 0, to: users.count, by: 6) where training.range(user).count >= 20 {
                histories.append(training.range(user).prefix(20).map { .init(movieID: ids[Int(training.columns[$0])], rating: ratings[$0]) })
            }
        }
        var foldIn: (read: Double, call: Double, encode: Double, bytes: Int)? = nil
        if !histories.isEmpty, (try? model.recommend(userID: nil, ratings: histories[0], k: 10, candidates: nil)) != nil {
            var fastest = Double.infinity, answers: [StoredModel.Recommendations] = []
            for _ in 0..<repeats {
                let start = Date()
                answers = try histories.map { try model.recommend(userID: nil, ratings: $0, k: 10, candidates: nil) }
                fastest = min(fastest, Date().timeIntervalSince(start) / Double(histories.count))
            }
            let encodeStart = Date()
            let total = answers.reduce(0) { $0 + model.encoded($1).count }  // what serve sends
            let encode = Date().timeIntervalSince(encodeStart) / Double(answers.count)
            // The request bodies as a client sends them: `{"ratings": [{"movie_id": 1, "rating": 5.0}, …], "k": 10}`.
            let bodies = histories.map { history in
                Data(("{\"ratings\": [" + history.map { "{\"movie_id\": \($0.movieID), \"rating\": \($0.rating)}" }.joined(separator: ", ") + "], \"k\": 10}").utf8)
            }
            var read = Double.infinity
            for _ in 0..<repeats {
                let start = Date()
                for body in bodies { _ = try PersonRequest.read(body, for: .recommendations) }
                read = min(read, Date().timeIntervalSince(start) / Double(bodies.count))
            }
            foldIn = (read, fastest, encode, total / answers.count)
        }
        print("| step | wall, best of \(repeats) |")
        print("|---|---|")
        print("| publish (\(publish.value.manifest.size / 1_000_000) MB: copy, fsync, sha256, rename) | \(String(format: "%.3f", publish.seconds)) s |")
        print("| open production (sha256 check + HDF5 read) | \(String(format: "%.3f", open.seconds)) s |")
        print("| recommend(user, k: 10), mean over \((users.count + 5) / 6) users | \(String(format: "%.3f", perCall * 1000)) ms |")
        print("| its JSON (\(bytes / answers.count) bytes), mean | \(String(format: "%.3f", perEncode * 1000)) ms |")
        if let foldIn {
            print("| fold-in: read its request body (20 ratings), mean | \(String(format: "%.3f", foldIn.read * 1000)) ms |")
            print("| fold-in recommend(ratings: 20, k: 10), mean over \(histories.count) histories | \(String(format: "%.3f", foldIn.call * 1000)) ms |")
            print("| its JSON (\(foldIn.bytes) bytes), mean | \(String(format: "%.3f", foldIn.encode * 1000)) ms |")
        }
        _ = served
    } catch {
        StandardError.write("projector-bench: \(error)\n")
        exit(1)
    }
    exit(0)
}

do {
    let table = try RatingsFile.read(arguments[1])
    print("| step | wall (s), best of \(repeats) | held-out RMSE |")
    print("|---|---|---|")
    let raw = try TrainingSet.normalise(table, method: .none)
    let centred = try TrainingSet.normalise(table, method: .itemMean)
    let baseline = try best { try TrainingSet.normalise(table, method: .baseline) }
    print("| normalise baseline | \(String(format: "%.3f", baseline.seconds)) | — |")
    let fits: [(String, TrainingSet, any Algorithm)] = [
        ("als rank 64, 15 it. (none)", raw, try ALS.make()),
        ("svd rank 50 (item-mean)", centred, try SVD.make()),
        ("pca rank 50 (item-mean)", centred, try PCA.make()),
    ]
    var alsModel: FactorModel? = nil
    for (label, data, algorithm) in fits {
        let fit = try best { try algorithm.fit(data) }
        if algorithm.name == "als" { alsModel = fit.value.model.factors }
        print("| fit \(label) | \(String(format: "%.3f", fit.seconds)) | \(String(format: "%.4f", fit.value.storedTestRMSE)) |")
    }
    let zeros = { (rows: Int) in Matrix(rows: rows, columns: 1) }
    let terms = baseline.value.factorModel(userFactors: zeros(table.userCount), movieFactors: zeros(table.movieCount))
    print("| baseline only (μ + b_u + b_i, λ 10) | — | \(String(format: "%.4f", baseline.value.curvePoint(terms).test)) |")
    let near = best { Neighbours.compute(vectors: alsModel!.movieFactors, k: 50) }
    print("| top-50 cosine neighbours, \(table.movieCount) movies | \(String(format: "%.3f", near.seconds)) | — |")
} catch {
    StandardError.write("projector-bench: \(error)\n")
    exit(1)
}
