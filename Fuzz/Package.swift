// swift-tools-version: 6.1
// libFuzzer targets for Projector's input parsers and HDF5 readers. A package of its own so the
// main build never sees `LLVMFuzzerTestOneInput`; build and run them with Scripts/fuzz
// (`swift build --sanitize fuzzer --sanitize address`). Seed corpora live in corpus/<target>/,
// crashers found are kept in crashers/ and replayed by the main test suite.
import PackageDescription

let package = Package(
    name: "ProjectorFuzz",
    dependencies: [.package(name: "Projector", path: "..")],
    targets: [
        .executableTarget(name: "fuzz-ratings", dependencies: [.product(name: "InputReplay", package: "Projector")]),
        .executableTarget(name: "fuzz-movies", dependencies: [.product(name: "InputReplay", package: "Projector")]),
        .executableTarget(name: "fuzz-users", dependencies: [.product(name: "InputReplay", package: "Projector")]),
        .executableTarget(name: "fuzz-hdf5", dependencies: [.product(name: "InputReplay", package: "Projector")]),
        .executableTarget(name: "fuzz-hdf5-bytes", dependencies: [.product(name: "InputReplay", package: "Projector")]),
    ],
    swiftLanguageModes: [.v6]
)
