import Essentials
import Evaluation
import Foundation
import Models
import Testing
import TestSupport

/// The gate's floors over the cold-start protocols: their metric names are read, and the same
/// models' new-users and new-movies metrics (given to publish as metrics.json files) must clear
/// them; a floored protocol metric that is not given fails, naming it.
struct ProtocolFloorsTests {
    static func floors(_ json: String) throws -> (Floors, String) {
        let path = scratchPath("floors.json")
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return (try Floors.read(path), path)
    }

    @Test func protocolMetricNamesAreFloors() throws {
        let (floors, path) = try Self.floors(#"{"format": "projector.floors", "format_version": 1, "max": {"new_users.rmse": 0.9, "new_movies.rmse": 1.02}, "min": {"new_users.recall@20": 0.4, "new_users.ndcg@100": 0.45, "new_movies.auc": 0.78, "new_movies.precision@10": 0.15}}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(floors.ks.isEmpty, "protocol cut-offs are not the gate's own evaluation's")
        for bad in ["new_users.auc", "new_movies.recall@20", "new_users.recall@10", "new_users.", "old_users.rmse"] {
            let (_, badPath) = try (Floors(), scratchPath("bad.json"))
            try #"{"format": "projector.floors", "format_version": 1, "min": {"\#(bad)": 0.5}}"#.write(toFile: badPath, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: badPath) }
            #expect(throws: EvaluationError(.badInput, "\(badPath): min.\(bad): unknown metric (rmse, mae, or precision, recall, ndcg, map, hit_rate, coverage @k with k from 1 to 10000; or new_movies.auc, new_movies.mae, new_movies.precision@10, new_movies.rmse, new_users.mae, new_users.ndcg@100, new_users.recall@20, new_users.recall@50, new_users.rmse)")) {
                try Floors.read(badPath)
            }
        }
    }

    @Test func theGateAppliesFloorsToTheProtocolsMetrics() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("m.h5").path
        try writeModel(model, rmse: 0.9, precision: 0.2)
        let candidate = try ModelFile.read(model)
        let (floors, _) = try Self.floors(#"{"format": "projector.floors", "format_version": 1, "max": {"new_users.rmse": 0.9}, "min": {"new_movies.auc": 0.78}}"#)
        func metrics(_ name: String, _ values: [String: Double], kind: String = "test") -> MetricsReport.ProtocolMetrics {
            MetricsReport.ProtocolMetrics(path: name, kind: kind, metrics: values.mapValues { $0 })
        }
        var gate = ChallengerGate(floors: floors)
        gate.protocolMetrics = [metrics("u.json", ["new_users.rmse": 0.85, "new_users.recall@20": 0.4]), metrics("m.json", ["new_movies.auc": 0.8])]
        var record = try gate.decide(candidate: candidate, candidatePath: model, data: nil, champion: nil)
        #expect(record.decision == .passed && record.candidate["new_users.rmse"] == 0.85 && record.candidate["new_movies.auc"] == 0.8)
        gate.protocolMetrics = [metrics("u.json", ["new_users.rmse": 0.95]), metrics("m.json", ["new_movies.auc": 0.7])]
        record = try gate.decide(candidate: candidate, candidatePath: model, data: nil, champion: nil)
        #expect(record.decision == .refused)
        #expect(record.reasons == ["new_users.rmse 0.9500 is above the floor's maximum 0.9000", "new_movies.auc 0.7000 is below the floor's minimum 0.7800"])
        gate.protocolMetrics = []
        record = try gate.decide(candidate: candidate, candidatePath: model, data: nil, champion: nil)
        #expect(record.reasons == ["new_users.rmse is not available (floor: at most 0.9000)", "new_movies.auc is not available (floor: at least 0.7800)"])
        gate.protocolMetrics = [metrics("u.json", ["new_users.rmse": 0.85], kind: "ml-1m")]
        #expect(throws: EvaluationError(.badInput, "u.json: evaluated on ml-1m data, but \(model) was trained on test: the protocols' metrics must come from the same release")) {
            try gate.decide(candidate: candidate, candidatePath: model, data: nil, champion: nil)
        }
    }
}
