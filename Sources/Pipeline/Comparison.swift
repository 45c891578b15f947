import Foundation

/// The comparison table printed after a run: every model's headline metrics next to the
/// baselines (read from the models' metrics.json files).
public enum Comparison {
    public static func table(_ metricsFiles: [(model: String, path: String)]) -> String {
        func load(_ path: String) -> [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))) as? [String: Any] ?? [:]
        }
        // One table per protocol: the default (held-out ratings), then new users and new movies.
        let tables: [(protocol: String?, columns: [String], baselines: [String])] = [
            (nil, ["rmse", "mae", "precision@10", "recall@10", "ndcg@10"], ["bias", "global_mean", "popularity"]),
            ("new-users", ["new_users.rmse", "new_users.recall@20", "new_users.recall@50", "new_users.ndcg@100"], ["user_mean", "bias", "popularity"]),
            ("new-movies", ["new_movies.rmse", "new_movies.auc", "new_movies.precision@10"], ["genre_mean"]),
        ]
        let loaded = metricsFiles.map { ($0.model, load($0.path)) }
        var sections: [String] = []
        for table in tables {
            let rows = loaded.filter { (($0.1["protocol"] as? [String: Any])?["name"] as? String) == table.protocol }
            guard !rows.isEmpty else { continue }
            sections.append(Self.table(rows, columns: table.columns, baselines: table.baselines))
        }
        return sections.joined(separator: "\n\n")
    }

    static func table(_ rows: [(String, [String: Any])], columns: [String], baselines names: [String]) -> String {
        func cell(_ value: Any?) -> String {
            guard let number = value as? Double else { return "n/a" }
            return String(format: "%.4f", number)
        }
        var lines = ["| model | " + columns.joined(separator: " | ") + " |", "|---|" + columns.map { _ in "---|" }.joined()]
        var baselines: [String: Any] = [:]
        for (model, json) in rows {
            let metrics = json["metrics"] as? [String: Any] ?? [:]
            if baselines.isEmpty { baselines = json["baselines"] as? [String: Any] ?? [:] }
            lines.append("| \(model) | " + columns.map { cell(metrics[$0]) }.joined(separator: " | ") + " |")
        }
        for name in names {
            let values = baselines[name] as? [String: Any] ?? [:]
            lines.append("| baseline: \(name.replacingOccurrences(of: "_", with: " ")) | " + columns.map { cell(values[$0]) }.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }
}
