import Essentials
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import Testing
import Yams

/// `serve` as a real process on loopback, with a real store: every route checked against the
/// OpenAPI file, every error status, hot swaps on publish/promote, a corrupt version refused,
/// and SIGTERM draining a request in flight.
struct ServeTests {
    /// A running `serve`; its stderr collected as it arrives.
    /// Text appended from a pipe's handler while the test reads it.
    final class Collected: Sendable {
        let text = Mutex("")
        func append(_ data: Data) { text.withLock { $0 += String(decoding: data, as: UTF8.self) } }
        func withLock<T>(_ body: (inout String) -> T) -> T { text.withLock { body(&$0) } }
    }

    final class Server: @unchecked Sendable {
        let process: Process
        let port: Int
        let log = Collected()

        init(store: String, reloadInterval: String = "0.2") throws {
            process = Process()
            process.executableURL = productsFolder().appendingPathComponent("serve")
            process.arguments = ["--store", store, "--port", "0", "--reload-interval", reloadInterval]
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            let log = self.log
            err.fileHandleForReading.readabilityHandler = { handle in
                let data = handle.availableData
                if data.isEmpty { handle.readabilityHandler = nil } else { log.append(data) }  // EOF: stop
            }
            try process.run()
            var found: Int? = nil
            // Up to 60 s: a loaded 2-core CI machine may take a while to start a process.
            for _ in 0..<3000 where found == nil && process.isRunning {
                Thread.sleep(forTimeInterval: 0.02)
                let text = log.withLock { $0 }
                if let range = text.range(of: "listening on http://127.0.0.1:"),
                   let line = text[range.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).dropLast().first {
                    found = Int(line.prefix { $0.isNumber })  // a whole line only, never a port cut short
                }
            }
            guard let found else {
                process.terminate()
                throw ServeTestError("serve did not start: \(log.withLock { $0 })")
            }
            port = found
        }

        func get(_ path: String) async throws -> (status: Int, body: Data, type: String) {
            let url = URL(string: "http://127.0.0.1:\(port)\(path)")!
            let (data, response) = try await URLSession.shared.data(from: url)
            let http = response as! HTTPURLResponse
            return (http.statusCode, data, http.value(forHTTPHeaderField: "Content-Type") ?? "")
        }

        func post(_ path: String, body: Data) async throws -> (status: Int, body: Data, type: String) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            request.httpMethod = "POST"
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = response as! HTTPURLResponse
            return (http.statusCode, data, http.value(forHTTPHeaderField: "Content-Type") ?? "")
        }

        func json(_ path: String, status: Int = 200) async throws -> [String: Any] {
            let (code, body, type) = try await get(path)
            #expect(code == status, "GET \(path): \(code) \(String(decoding: body, as: UTF8.self))")
            #expect(type.hasPrefix("application/json"), "GET \(path): \(type)")
            return try JSONSerialization.jsonObject(with: body) as? [String: Any] ?? [:]
        }

        /// Polls `path` until `condition` holds; the seconds it took.
        func waitFor(_ path: String, seconds: Double = 10, _ condition: ([String: Any]) -> Bool) async throws -> Double {
            let start = Date()
            while Date().timeIntervalSince(start) < seconds {
                if let answer = try? JSONSerialization.jsonObject(with: try await get(path).body) as? [String: Any], condition(answer) {
                    return Date().timeIntervalSince(start)
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            throw ServeTestError("GET \(path) never met the condition in \(seconds) s")
        }

        func stop() {
            if process.isRunning { process.terminate() }
            for _ in 0..<500 where process.isRunning { Thread.sleep(forTimeInterval: 0.02) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    struct ServeTestError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// A store holding a two-headed model (ALS rating head, sparse EASE ranking head) as ml@1.
    static func store(_ dir: URL) throws -> (store: String, good: String, served: String) {
        let (ratings, good, _) = try TrainingStageTests().goodAndBadModels(dir)
        let train = dir.appendingPathComponent("n.h5").path
        let ease = dir.appendingPathComponent("ease.h5").path, served = dir.appendingPathComponent("served.h5").path
        #expect(try runStage("factorise", ["--input", train, "--output", ease, "--algorithm", "ease", "--lambda", "5", "--keep-entries", "4"]).status == 0)
        #expect(try runStage("combine", ["--rating", good, "--ranking", ease, "--output", served]).status == 0)
        #expect(try runStage("evaluate", ["--model", served, "--data", ratings, "--output", served + ".json", "--k", "1", "2", "10"]).status == 0)
        let store = dir.appendingPathComponent("store").path
        #expect(try runStage("publish", ["--input", served, "--name", "ml", "--store", store, "--promote"]).status == 0)
        return (store, good, served)
    }

    // MARK: OpenAPI

    /// The OpenAPI document, and a check of one JSON value against one of its schemas.
    struct Spec {
        let document: [String: Any]

        init() throws {
            let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Sources/serve/openapi.yaml").path
            document = try Yams.load(yaml: try String(contentsOfFile: path, encoding: .utf8)) as! [String: Any]
        }

        var paths: [String: Any] { document["paths"] as! [String: Any] }

        func resolve(_ schema: [String: Any]) -> [String: Any] {
            guard let ref = schema["$ref"] as? String else { return schema }
            var node: Any = document
            for part in ref.dropFirst(2).split(separator: "/") { node = (node as! [String: Any])[String(part)]! }
            return resolve(node as! [String: Any])
        }

        /// The schema of `path`'s `status` JSON answer, or nil when the spec does not declare it.
        func schema(path: String, status: Int, method: String = "get") -> [String: Any]? {
            guard let operation = (paths[path] as? [String: Any])?[method] as? [String: Any],
                  let response = (operation["responses"] as? [String: Any])?[String(status)] as? [String: Any] else { return nil }
            let content = resolve(response)["content"] as? [String: Any]
            return ((content?["application/json"] as? [String: Any])?["schema"] as? [String: Any]).map(resolve)
        }

        /// Problems of `value` against `schema`: undeclared keys, missing required keys, wrong types.
        func problems(_ value: JSONValue, _ raw: [String: Any], at where: String = "$") -> [String] {
            let schema = resolve(raw)
            if case .null = value { return schema["nullable"] as? Bool == true ? [] : ["\(`where`): null where the schema has no nullable"] }
            switch schema["type"] as? String {
            case "object"?:
                guard case .object(let object) = value else { return ["\(`where`): expected an object"] }
                var found = ((schema["required"] as? [String]) ?? []).filter { object[$0] == nil }.map { "\(`where`): missing required '\($0)'" }
                let properties = schema["properties"] as? [String: Any] ?? [:]
                for (key, item) in object {
                    if let property = properties[key] as? [String: Any] {
                        found += problems(item, property, at: "\(`where`).\(key)")
                    } else if let additional = schema["additionalProperties"] as? [String: Any] {
                        found += problems(item, additional, at: "\(`where`).\(key)")
                    } else if schema["additionalProperties"] as? Bool != true {
                        found.append("\(`where`): key '\(key)' is not in the OpenAPI schema")
                    }
                }
                return found
            case "array"?:
                guard case .array(let array) = value else { return ["\(`where`): expected an array"] }
                return array.enumerated().flatMap { problems($1, schema["items"] as? [String: Any] ?? [:], at: "\(`where`)[\($0)]") }
            case "string"?: if case .string = value { return [] }; return ["\(`where`): expected a string, got \(value)"]
            case "boolean"?: if case .bool = value { return [] }; return ["\(`where`): expected a boolean, got \(value)"]
            case "integer"?:
                switch value { case .int, .unsigned: return []; default: return ["\(`where`): expected an integer, got \(value)"] }
            case "number"?:
                switch value { case .int, .unsigned, .double: return []; default: return ["\(`where`): expected a number, got \(value)"] }
            default: return []
            }
        }
    }

    @Test func everyRouteAndErrorAnswersAsTheOpenAPIFileSays() async throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, _, _) = try Self.store(dir)
        let server = try Server(store: store)
        defer { server.stop() }
        _ = try await server.waitFor("/readyz") { $0["ready"] as? Bool == true }
        let spec = try Spec()

        // (spec path, request, status): every route, every error status.
        let cases: [(String, String, Int)] = [
            ("/healthz", "/healthz", 200),
            ("/readyz", "/readyz", 200),
            ("/v1/models", "/v1/models", 200),
            ("/v1/models/{ref}", "/v1/models/ml", 200),
            ("/v1/models/{ref}", "/v1/models/ml@1", 200),
            ("/v1/models/{ref}", "/v1/models/ml@production", 200),
            ("/v1/models/{ref}", "/v1/models/ml%40latest", 200),
            ("/v1/models/{ref}", "/v1/models/ghost", 404),
            ("/v1/models/{ref}", "/v1/models/ml@7", 404),
            ("/v1/models/{ref}", "/v1/models/ml@staging", 404),
            ("/v1/models/{ref}", "/v1/models/..%2Fetc", 400),
            ("/v1/models/{ref}/users/{userId}/recommendations", "/v1/models/ml/users/1/recommendations?k=3", 200),
            ("/v1/models/{ref}/users/{userId}/recommendations", "/v1/models/ml/users/999/recommendations", 200),
            ("/v1/models/{ref}/users/{userId}/recommendations", "/v1/models/ml/users/1/recommendations?k=0", 400),
            ("/v1/models/{ref}/users/{userId}/recommendations", "/v1/models/ml/users/1/recommendations?k=1001", 400),
            ("/v1/models/{ref}/users/{userId}/recommendations", "/v1/models/ml/users/1/recommendations?k=ten", 400),
            ("/v1/models/{ref}/users/{userId}/recommendations", "/v1/models/ml/users/abc/recommendations", 400),
            ("/v1/models/{ref}/users/{userId}/recommendations", "/v1/models/nope/users/1/recommendations", 404),
            ("/v1/models/{ref}/movies/{movieId}/similar", "/v1/models/ml/movies/1/similar?k=2", 200),
            ("/v1/models/{ref}/movies/{movieId}/similar", "/v1/models/ml/movies/424242/similar", 404),
            ("/v1/models/{ref}/movies/{movieId}/similar", "/v1/models/ml/movies/x1/similar", 400),
            ("/v1/models/{ref}/users/{userId}/movies/{movieId}/prediction", "/v1/models/ml/users/1/movies/2/prediction", 200),
            ("/v1/models/{ref}/users/{userId}/movies/{movieId}/prediction", "/v1/models/ml/users/999/movies/2/prediction", 200),
            ("/v1/models/{ref}/users/{userId}/movies/{movieId}/prediction", "/v1/models/ml/users/1/movies/424242/prediction", 404),
            ("/v1/models/{ref}/movies", "/v1/models/ml/movies?q=movie+1", 200),
            ("/v1/models/{ref}/movies", "/v1/models/ml/movies", 400),
            ("/v1/models/{ref}/movies", "/v1/models/ml/movies?q=movie&limit=-1", 400),
        ]
        var covered: Set<String> = []
        for (path, request, status) in cases {
            let (code, body, type) = try await server.get(request)
            #expect(code == status && type.hasPrefix("application/json"), "GET \(request): \(code) \(type) \(String(decoding: body, as: UTF8.self))")
            let answer = try JSONDecoder().decode(JSONValue.self, from: body)
            let schema = try #require(spec.schema(path: path, status: status), "openapi.yaml declares no \(status) JSON answer for \(path)")
            let problems = spec.problems(answer, schema)
            #expect(problems.isEmpty, "GET \(request) → \(status): \(problems)")
            covered.insert(path)
        }
        // The fold-in routes (POST, a JSON body): answers and errors as declared.
        let posts: [(String, String, String, Int)] = [
            ("/v1/models/{ref}/recommendations", "/v1/models/ml/recommendations", #"{"ratings": [{"movie_id": 1, "rating": 5}, {"movie_id": 2, "rating": 2}], "k": 3}"#, 200),
            ("/v1/models/{ref}/recommendations", "/v1/models/ml/recommendations", #"{"user_id": 1, "ratings": [{"movie_id": 3, "rating": 4}], "candidates": [1, 2, 3, 4, 5, 999]}"#, 200),
            ("/v1/models/{ref}/recommendations", "/v1/models/ml/recommendations", #"{"ratings": [{"movie_id": 1, "rating": 9}]}"#, 400),
            ("/v1/models/{ref}/recommendations", "/v1/models/nope/recommendations", #"{"user_id": 1}"#, 404),
            ("/v1/models/{ref}/recommendations", "/v1/models/ml/recommendations", "[" + String(repeating: " ", count: 5 << 20) + "]", 413),
            ("/v1/models/{ref}/predictions", "/v1/models/ml/predictions", #"{"ratings": [{"movie_id": 1, "rating": 5}], "movie_ids": [2, 3, 999]}"#, 200),
            ("/v1/models/{ref}/predictions", "/v1/models/ml/predictions", #"{"ratings": [{"movie_id": 1, "rating": 5}]}"#, 400),
        ]
        for (path, request, body, status) in posts {
            let (code, answerBody, type) = try await server.post(request, body: Data(body.utf8))
            #expect(code == status && type.hasPrefix("application/json"), "POST \(request) \(body.prefix(60)): \(code) \(String(decoding: answerBody, as: UTF8.self).prefix(300))")
            let answer = try JSONDecoder().decode(JSONValue.self, from: answerBody)
            let schema = try #require(spec.schema(path: path, status: status, method: "post"), "openapi.yaml declares no \(status) JSON answer for POST \(path)")
            let problems = spec.problems(answer, schema)
            #expect(problems.isEmpty, "POST \(request) → \(status): \(problems)")
            covered.insert(path)
        }

        // The remaining routes: the metrics text and the page; an unknown route is JSON 404.
        let metrics = try await server.get("/metrics")
        let text = String(decoding: metrics.body, as: UTF8.self)
        #expect(metrics.status == 200 && metrics.type.hasPrefix("text/plain"))
        #expect(text.contains(#"projector_served_version{model="ml",alias="production"} 1"#), "\(text.prefix(400))")
        #expect(text.contains(#"http_server_request_duration_bucket{http_route="/v1/models/{ref}/users/{userId}/recommendations",http_request_method="GET",http_response_status_code="400""#))
        #expect(text.contains(#"hb_requests{http_route="/v1/models/{ref}/users/{userId}/recommendations",http_request_method="GET",http_response_status_code="200"}"#))
        let missing = try await server.json("/v2/nothing", status: 404)
        #expect(missing["error"] as? String == "not_found" && missing["detail"] as? String == "no route GET /v2/nothing")
        covered.formUnion(["/metrics", "/"])
        #expect(covered == Set(spec.paths.keys), "routes the test does not exercise, or the spec lacks: \(Set(spec.paths.keys).symmetricDifference(covered))")

        // Answers agree with the library's: recommendations exclude training movies, cold start flagged.
        let warm = try await server.json("/v1/models/ml@1/users/1/recommendations?k=9")
        #expect(warm["cold_start"] as? Bool == false && warm["version"] as? Int == 1 && warm["model"] as? String == "ml")
        let cold = try await server.json("/v1/models/ml/users/999/recommendations?k=2")
        #expect(cold["cold_start"] as? Bool == true && (cold["items"] as? [Any])?.count == 2)

        // The page: a user's top 10 beside their highest-rated training movies; a title search; similar.
        for (query, expected) in [("/?user=1", "Rated highest in training"), ("/?q=movie+3", "Titles containing"),
                                  ("/?movie=3", "Movies like Movie 3 (1993)"), ("/", "<form")] {
            let page = try await server.get(query)
            let html = String(decoding: page.body, as: UTF8.self)
            #expect(page.status == 200 && page.type.hasPrefix("text/html") && html.contains(expected), "\(query): \(html.suffix(600))")
            #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("http://") && !html.contains("https://"), "\(query): external assets or scripts")
        }
        let bad = try await server.get("/?user=abc")
        #expect(bad.status == 400 && String(decoding: bad.body, as: UTF8.self).contains("user must be a whole number"))
    }

    /// A synthetic catalogue large enough (3,000 movies: a 36 MB dense EASE file) that opening a
    /// version takes a while: the request that opens it is certainly in flight at SIGTERM.
    static func slowModel(_ dir: URL) throws -> String {
        let folder = dir.appendingPathComponent("big")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var ratings = ""
        for user in 1...60 { for movie in stride(from: 1 + user % 7, through: 3000, by: 7) {
            ratings += "\(user)::\(movie)::\(1 + (user + movie) % 5)::\(user * 10_000 + movie)\n"
        } }
        try ratings.write(to: folder.appendingPathComponent("ratings.dat"), atomically: true, encoding: .utf8)
        try "1::F::1::10::1\n".write(to: folder.appendingPathComponent("users.dat"), atomically: true, encoding: .utf8)
        try (1...3000).map { "\($0)::Movie \($0) (1990)::Drama\n" }.joined()
            .write(to: folder.appendingPathComponent("movies.dat"), atomically: true, encoding: .utf8)
        let ingested = folder.appendingPathComponent("r.h5").path, train = folder.appendingPathComponent("t.h5").path
        let model = folder.appendingPathComponent("m.h5").path
        #expect(try runStage("ingest", ["--input", folder.path, "--output", ingested, "-q"]).status == 0)
        #expect(try runStage("normalise", ["--input", ingested, "--output", train, "--method", "none", "-q"]).status == 0)
        let fit = try runStage("factorise", ["--input", train, "--output", model, "--algorithm", "ease", "--lambda", "50", "--neighbours", "5", "-q"])
        #expect(fit.status == 0, "\(fit.stderr)")
        return model
    }

    @Test func aliasesMoveWithoutARestartCorruptVersionsAreRefusedAndSIGTERMDrains() async throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, good, _) = try Self.store(dir)
        let slow = try Self.slowModel(dir)
        let server = try Server(store: store)
        defer { server.stop() }
        _ = try await server.waitFor("/readyz") { $0["ready"] as? Bool == true }

        // Hot swap: publish and promote version 2 while the server runs and requests keep coming.
        // Stopped by a flag, not by cancelling: Foundation's URLSession on Linux may never return a cancelled request.
        let stop = Collected()
        let load = Task {
            var statuses: [Int: Int] = [:], versions: Set<Int> = []
            while stop.withLock({ $0.isEmpty }) {
                guard let (code, body, _) = try? await server.get("/v1/models/ml/users/1/recommendations") else {
                    statuses[-1, default: 0] += 1
                    continue
                }
                statuses[code, default: 0] += 1
                if let answer = try? JSONSerialization.jsonObject(with: body) as? [String: Any], let version = answer["version"] as? Int { versions.insert(version) }
            }
            return (statuses, versions)
        }
        #expect(try runStage("publish", ["--input", good, "--name", "ml", "--store", store, "--promote"]).status == 0)
        let swap = try await server.waitFor("/v1/models/ml") { $0["version"] as? Int == 2 }
        #expect(swap < 5, "the served version changed after \(swap) s")
        try await Task.sleep(for: .milliseconds(200))
        stop.append(Data("stop".utf8))
        let (statuses, versions) = await load.value
        #expect(statuses.keys.sorted() == [200] && versions == [1, 2], "during the swap: statuses \(statuses), versions \(versions)")
        let answer = try await server.json("/v1/models/ml/users/1/recommendations")
        #expect(answer["version"] as? Int == 2)

        // A corrupt version is refused; production keeps serving the old one and /readyz says so.
        let v1 = store + "/ml/1/model.h5"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: v1))
        for index in stride(from: bytes.count / 3, to: bytes.count / 3 + 64, by: 1) { bytes[index] ^= 0xA5 }
        try bytes.write(to: URL(fileURLWithPath: v1))
        #expect(try runStage("store", ["rollback", "ml", "--store", store]).status == 0)  // production → 1 (corrupt)
        _ = try await server.waitFor("/readyz") { ($0["refused"] as? [[String: Any]])?.first?["version"] as? Int == 1 }
        let readiness = try await server.json("/readyz")
        let refusal = (readiness["refused"] as! [[String: Any]])[0]
        #expect(readiness["up_to_date"] as? Bool == false && readiness["ready"] as? Bool == true)
        #expect(refusal["aliases"] as? [String] == ["production"] && (refusal["error"] as? String ?? "").contains("fails its checksum"))
        #expect(try await server.json("/v1/models/ml")["version"] as? Int == 2)
        let refused = try await server.json("/v1/models/ml@1/users/1/recommendations", status: 503)
        #expect(refused["error"] as? String == "not_ready")
        let spec = try Spec()
        let unready = try JSONDecoder().decode(JSONValue.self, from: try await server.get("/v1/models/ml@1/users/1/recommendations").body)
        #expect(spec.problems(unready, try #require(spec.schema(path: "/v1/models/{ref}/users/{userId}/recommendations", status: 503))).isEmpty)
        #expect(server.log.withLock { $0 }.contains("refused ml@1"))
        let metrics = String(decoding: try await server.get("/metrics").body, as: UTF8.self)
        #expect(metrics.contains(#"projector_refused_versions_total{model="ml"} 1"#))
        #expect(try runStage("store", ["promote", "ml@2", "--store", store]).status == 0)
        _ = try await server.waitFor("/readyz") { $0["up_to_date"] as? Bool == true }

        // SIGTERM with a request in flight (opening a 36 MB version no alias serves): it finishes, exit 0.
        #expect(try runStage("publish", ["--input", slow, "--name", "big", "--store", store]).status == 0)
        #expect(try runStage("publish", ["--input", slow, "--name", "big", "--store", store]).status == 0)
        _ = try await server.waitFor("/v1/models/big@latest") { $0["version"] as? Int == 2 }
        let inFlight = Task { try await server.get("/v1/models/big@1/users/1/recommendations") }
        let start = Date()
        while !server.log.withLock({ $0 }).contains("loading big@1 on demand") && Date().timeIntervalSince(start) < 30 {
            try await Task.sleep(for: .milliseconds(1))
        }
        let before = server.log.withLock { $0 }
        try #require(before.contains("loading big@1 on demand"), "the request never started opening big@1")
        kill(server.process.processIdentifier, SIGTERM)
        let finished = try await inFlight.value
        #expect(finished.status == 200, "\(String(decoding: finished.body, as: UTF8.self))")
        let body = try JSONSerialization.jsonObject(with: finished.body) as? [String: Any]
        #expect(body?["version"] as? Int == 1 && body?["model"] as? String == "big")
        server.process.waitUntilExit()
        #expect(server.process.terminationReason == .exit && server.process.terminationStatus == 0)
        let log = server.log.withLock { $0 }
        #expect(log.contains("stopped"), "\(log.suffix(800))")
        // The request was in flight: the load finished after the signal was sent.
        #expect(!before.contains("loaded big@1 on demand") && log.contains("loaded big@1 on demand"), "\(log.suffix(800))")
        // Stopped means stopped: no new connection is accepted.
        await #expect(throws: (any Error).self) { _ = try await server.get("/healthz") }
    }
}
