import Foundation

/// The comparison table printed after a run: every model's headline metrics next to the
/// baselines (read from the models' metrics.json files).
public enum Comparison {
    public static func table(_ metricsFiles: [(model: String, path: String)]) -> String {
        func load(_ path: String) -> [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))) as? [String: Any] ?? [:]
        }
        func cell(_ value: Any?) -> String {
            guard let number = value as? Double else { return "n/a" }
            return String(format: "%.4f", number)
        }
        let columns = ["rmse", "mae", "precision@10", "recall@10", "ndcg@10"]
        var lines = ["| model | " + columns.joined(separator: " | ") + " |", "|---|" + columns.map { _ in "---|" }.joined()]
        var baselines: [String: Any] = [:]
        for (model, path) in metricsFiles {
            let json = load(path)
            let metrics = json["metrics"] as? [String: Any] ?? [:]
            if baselines.isEmpty { baselines = json["baselines"] as? [String: Any] ?? [:] }
            lines.append("| \(model) | " + columns.map { cell(metrics[$0]) }.joined(separator: " | ") + " |")
        }
        for name in ["bias", "global_mean", "popularity"] {
            let values = baselines[name] as? [String: Any] ?? [:]
            lines.append("| baseline: \(name.replacingOccurrences(of: "_", with: " ")) | " + columns.map { cell(values[$0]) }.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }
}
