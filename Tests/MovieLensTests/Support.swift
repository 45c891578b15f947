import Foundation
import MovieLens
import Testing

/// A scratch folder of fixture files, deleted at deinit.
final class Fixture {
    let url: URL
    var path: String { url.path }

    init(_ files: [String: String] = [:]) {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("projector-ml-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in files { write(name, text) }
    }

    func write(_ name: String, _ text: String) { write(name, bytes: Array(text.utf8)) }
    func write(_ name: String, bytes: [UInt8]) {
        try! Data(bytes).write(to: url.appendingPathComponent(name))
    }
    func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}


/// Minimal ML-1M-style folder: ratings.dat, users.dat and movies.dat (ISO-8859-1).
func ml1mFixture(ratings: String, movies: [UInt8]? = nil) -> Fixture {
    let fixture = Fixture(["ratings.dat": ratings, "users.dat": "1::F::1::10::48067\n"])
    let defaultMovies = Array("1::Toy Story (1995)::Animation|Children's|Comedy\n2::Jumanji (1995)::Adventure\n".utf8)
        + Array("73::Mis".utf8) + [0xE9] + Array("rables, Les (1995)::Drama|Musical\n".utf8)
    fixture.write("movies.dat", bytes: movies ?? defaultMovies)
    return fixture
}
