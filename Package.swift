// swift-tools-version: 6.1
// Projector: a MovieLens recommendation training pipeline and model-artifact store.
//
// Layers, bottom to top (each a library target; tests mirror them):
//   _CLinearAlgebra, _CHDF5   C shims over OpenBLAS/LAPACKE and libhdf5 (system libraries)
//   _CKernels                 one C inner loop (BPMF's outer products) for AVX2 + FMA
//   BuildInfo                 the git commit and sources fingerprint, generated at build time
//   Essentials                the shared mechanisms, each written once, in Swift only: the error
//                             protocol and exit codes, sha256, file locks, atomic writes, JSON
//                             output, plain names, top-k selection
//   LinearAlgebra, HDF5       Swift wrappers: BLAS/LAPACK calls and parallel loops (which decide
//                             the BLAS thread count), HDF5 files without raw hid_t
//   MovieLens                 reading MovieLens folders, splits, the ratings file format
//   ModelFormat               the model file: learned models, neighbours, metadata, read/write/check
//   Models                    normalisation, algorithms (one file each) and their parameters
//   SparkEngine               the Spark heads' training: export, spark-submit, factors read back
//   Ranking                   the top-k lists evaluate measures and the client serves
//   Evaluation                metrics, baselines, metrics.json, the HTML report, the quality gate
//   ArtifactStore             the versioned model store; ProjectorClient serves from it;
//                             Serving: the HTTP application (routes declared once, API, page, router)
//   StageKit                  the stage runtime: parsing, exit codes, the JSON result, progress events
//   StageContract             each stage's options, declared once
//   Pipeline                  manifests and the runner
//   ingest, …, pipeline       one thin executable per stage or tool
import PackageDescription

let package = Package(
    name: "Projector",
    // Linux only (Debian/Ubuntu): the native libraries come from apt through pkg-config, and the
    // executables use glibc's flock/fsync. SwiftPM has no platform entry for Linux, so none is declared.
    products: [
        .executable(name: "ingest", targets: ["ingest"]),
        .executable(name: "normalise", targets: ["normalise"]),
        .executable(name: "factorise", targets: ["factorise"]),
        .executable(name: "combine", targets: ["combine"]),
        .executable(name: "evaluate", targets: ["evaluate"]),
        .executable(name: "publish", targets: ["publish"]),
        .executable(name: "store", targets: ["store"]),
        .executable(name: "recommend", targets: ["recommend"]),
        .executable(name: "pipeline", targets: ["pipeline"]),
        .executable(name: "serve", targets: ["serve"]),
        .library(name: "ProjectorClient", targets: ["ProjectorClient"]),
        .library(name: "MovieLens", targets: ["MovieLens"]),
        .library(name: "HDF5", targets: ["HDF5"]),
        // What the fuzz targets in Fuzz/ drive (and the test suite replays their crashers through).
        .library(name: "InputReplay", targets: ["InputReplay"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // serve: the HTTP server, graceful shutdown, Prometheus metrics.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    ],
    targets: [
        // C shims: system libraries found through pkg-config, with static inline wrappers for macros.
        .systemLibrary(
            name: "_CLinearAlgebra", pkgConfig: "openblas lapacke",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
        .systemLibrary(
            name: "_CHDF5", pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"])]),

        // The bottom module: shared mechanisms, in Swift only (no C library).
        .target(name: "Essentials", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),

        // Which code a binary is: the git commit, the dirty flag and the sources' sha256, generated
        // by the BuildInfoPlugin (Scripts/build-info) whenever a source file or the commit changes.
        .target(name: "BuildInfo", plugins: ["BuildInfoPlugin"]),
        .plugin(name: "BuildInfoPlugin", capability: .buildTool(), path: "Sources/BuildInfoPlugin"),

        // One C inner loop compiled for AVX2 + FMA, chosen at run time (see its header for why).
        .target(name: "_CKernels", path: "Sources/_CKernels"),

        // Wrappers.
        .target(name: "LinearAlgebra", dependencies: ["_CLinearAlgebra", "_CKernels", "Essentials"]),
        .target(name: "HDF5", dependencies: ["_CHDF5", "Essentials"]),

        // Data.
        .target(name: "MovieLens", dependencies: ["HDF5", "LinearAlgebra", "Essentials"]),

        // The model file (projector.model): what a trained model is (factors, item-item), its
        // neighbours and metadata, reading, writing and checking it; no algorithm.
        .target(name: "ModelFormat", dependencies: ["LinearAlgebra", "HDF5", "MovieLens", "Essentials"]),

        // Models: normalisation, the algorithms (one file each) and their parameters.
        .target(name: "Models", dependencies: ["ModelFormat", "LinearAlgebra", "HDF5", "MovieLens", "Essentials"]),

        // SparkEngine: factor heads trained on Apache Spark (MLlib ALS): the PySpark job (embedded,
        // so an installed factorise carries it), spark-submit, the factors read back.
        .target(name: "SparkEngine", dependencies: ["Models", "ModelFormat", "HDF5", "LinearAlgebra", "Essentials"],
                resources: [.embedInCode("projector_spark_als.py")]),

        // Ranking: the lists evaluate measures and the client serves (top k, training movies excluded),
        // and fold-in (a new person's ratings in, the same answers out).
        .target(name: "Ranking", dependencies: ["ModelFormat", "LinearAlgebra", "Essentials"]),

        // Evaluation.
        .target(name: "Evaluation", dependencies: ["ArtifactStore", "Ranking", "Models", "MovieLens", "LinearAlgebra", "Essentials"]),

        // The artifact store: versions, aliases, checksums; it reads no model file and takes the
        // gate as a value (PublishGate), so it imports no model or evaluation code.
        .target(name: "ArtifactStore", dependencies: ["Essentials"]),
        .target(name: "ProjectorClient", dependencies: ["ArtifactStore", "ModelFormat", "Ranking", "MovieLens", "LinearAlgebra", "Essentials"]),
        // serve's whole application: the model registry (hot swaps), the routes declared once
        // (HTTPAPI, with openapi.yaml generated from them), the JSON API, the page, the router.
        .target(
            name: "Serving",
            dependencies: [
                "ProjectorClient", "ArtifactStore", "ModelFormat", "Essentials",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]),

        // The stage runtime every executable shares: parsing and exit codes by error type, the
        // one JSON result on stdout and the progress events on stderr (the runner's typed boundary).
        .target(
            name: "StageKit",
            dependencies: [
                "Essentials", "LinearAlgebra", "BuildInfo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // Each stage's options, declared once: the executables' options, the manifest's sections
        // and the runner's command lines all come from these structs.
        .target(
            name: "StageContract",
            dependencies: [
                "Models", "MovieLens", "Evaluation", "ArtifactStore", "SparkEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Pipelines: manifests (sections decoded into the stages' option structs) and the runner.
        .target(
            name: "Pipeline",
            dependencies: [
                "StageContract", "StageKit", "ArtifactStore", "Models", "SparkEngine", "Essentials", "BuildInfo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ]),

        // Executables: one thin command per stage.
        .executableTarget(
            name: "ingest",
            dependencies: [
                "MovieLens", "StageKit", "StageContract", "Essentials",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        .executableTarget(
            name: "normalise",
            dependencies: [
                "Models", "MovieLens", "StageKit", "StageContract", "Essentials",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "factorise",
            dependencies: [
                "Models", "SparkEngine", "StageKit", "StageContract", "Essentials",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "combine",
            dependencies: [
                "Models", "StageKit", "StageContract", "Essentials",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        .executableTarget(
            name: "evaluate",
            dependencies: [
                "Evaluation", "Models", "MovieLens", "StageKit", "StageContract", "Essentials",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        .executableTarget(
            name: "publish",
            dependencies: ["ArtifactStore", "Evaluation", "MovieLens", "StageKit", "StageContract", "Essentials", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "store",
            dependencies: ["ArtifactStore", "StageKit", "StageContract", "Essentials", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "recommend",
            dependencies: ["ProjectorClient", "ArtifactStore", "StageKit", "StageContract", "Essentials", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        .executableTarget(
            name: "serve",
            dependencies: [
                "Serving", "StageKit", "StageContract", "Essentials",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["openapi.yaml"]),
        .executableTarget(
            name: "pipeline",
            dependencies: ["Pipeline", "ArtifactStore", "StageKit", "StageContract", "Essentials", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // Feeding bytes to every reader of outside input: for the fuzz targets and the crasher replay.
        .target(name: "InputReplay", dependencies: ["MovieLens", "Models", "LinearAlgebra"]),

        // Benchmarks (release builds only; see Scripts/bench).
        .executableTarget(name: "projector-bench", dependencies: ["Models", "MovieLens", "LinearAlgebra", "ArtifactStore", "Evaluation", "ProjectorClient", "Essentials", "Serving"]),

        // Tests mirror the library targets; TestSupport holds the helpers they share.
        .target(name: "TestSupport", dependencies: ["MovieLens", "Models", "ArtifactStore", "Evaluation", "LinearAlgebra"], path: "Tests/TestSupport"),
        .testTarget(name: "EssentialsTests", dependencies: ["TestSupport", "Essentials", "LinearAlgebra"]),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["TestSupport", "LinearAlgebra"]),
        .testTarget(name: "HDF5Tests", dependencies: ["TestSupport", "HDF5"]),
        .testTarget(name: "MovieLensTests", dependencies: ["TestSupport", "MovieLens", "HDF5", "InputReplay"]),
        .testTarget(name: "ModelsTests", dependencies: ["TestSupport", "Models", "MovieLens", "LinearAlgebra", "HDF5"]),
        .testTarget(name: "EvaluationTests", dependencies: ["TestSupport", "Evaluation", "Ranking", "Models", "MovieLens", "LinearAlgebra"]),
        .testTarget(name: "ArtifactStoreTests", dependencies: ["TestSupport", "ArtifactStore", "ProjectorClient", "Evaluation", "Models", "MovieLens", "LinearAlgebra"]),
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport", "StageKit", "StageContract", "LinearAlgebra", "MovieLens", "Models", "ArtifactStore", "Essentials", "Evaluation", "ProjectorClient", "Serving", "SparkEngine", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "SparkEngineTests", dependencies: ["TestSupport", "SparkEngine", "Models"]),
        .testTarget(name: "PipelineTests", dependencies: ["TestSupport", "Pipeline", "StageContract", "StageKit", "Models"]),
        .testTarget(name: "ProjectorClientTests", dependencies: ["TestSupport", "ProjectorClient", "ArtifactStore", "Evaluation", "Essentials", "Ranking", "Models", "MovieLens", "LinearAlgebra"]),
        .testTarget(
            name: "ServingTests",
            dependencies: [
                "TestSupport", "Serving", "ProjectorClient", "ArtifactStore", "Essentials", "LinearAlgebra",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
