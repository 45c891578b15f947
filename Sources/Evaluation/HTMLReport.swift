import Essentials
import Foundation
import Models

/// `report.html`: one self-contained page (inline SVG, no scripts, no network) with the training
/// curve, precision@k and recall@k against k for the model and the popularity baseline, the
/// distribution of prediction errors by true rating, and the metrics table.
public enum HTMLReport {
    public static func render(report: MetricsReport, evaluation: Evaluation, model: ModelFile) -> String {
        var sections = [curveSection(model)]
        let ks = evaluation.ranking.ks.map(Double.init)
        for (title, modelValues, baseline) in [("precision@k", evaluation.ranking.precision, evaluation.popularity.precision),
                                               ("recall@k", evaluation.ranking.recall, evaluation.popularity.recall)] {
            sections.append(figure(title, lineChart([
                Series(name: model.rankingHead.algorithm, color: "#d62728", points: Array(zip(ks, modelValues))),
                Series(name: "popularity", color: "#7f7f7f", points: Array(zip(ks, baseline))),
            ], xLabel: "k", yLabel: title.replacingOccurrences(of: "@k", with: ""))))
        }
        sections.append(errorSection(evaluation.errorsByRating, model: model))
        let rows = report.metrics.keys.sorted(by: metricOrder).map { key -> String in
            let baseline = key == "rmse" || key == "mae"
                ? "bias \(cell(report.baselines["bias"]?[key])), global mean \(cell(report.baselines["global_mean"]?[key]))"
                : "popularity \(cell(report.baselines["popularity"]?[key]))"
            return "<tr><td>\(key)</td><td>\(cell(report.metrics[key]))</td><td>\(baseline)</td></tr>"
        }
        let protocolText = """
            Protocol: rank every movie the user did not rate in training; relevant = held-out rating ≥ \(report.protocol.relevanceThreshold);
            ties to the lower movie index; precision divides by k. \(report.protocol.usersEvaluated) users evaluated,
            \(report.protocol.usersSkippedNoRelevant) skipped (no relevant held-out rating); \(report.protocol.coldStartPredictions) cold-start rating predictions.
            """
        return page(report: report, model: model, sections: sections, rows: rows, protocolText: protocolText)
    }

    /// The report of a cold-start protocol (`new-users`, `new-movies`): its metrics beside every
    /// baseline that measures them, the curve and the prediction errors.
    public static func render(report: MetricsReport, coldStart evaluation: ColdStartEvaluation, model: ModelFile) -> String {
        let sections = [curveSection(model), errorSection(evaluation.errorsByRating, model: model)]
        let rows = report.metrics.keys.sorted().map { key -> String in
            let baselines = report.baselines.keys.sorted().compactMap { name in report.baselines[name]?[key].map { "\(escape(name)) \(cell($0))" } }
            return "<tr><td>\(escape(key))</td><td>\(cell(report.metrics[key]))</td><td>\(baselines.isEmpty ? "—" : baselines.joined(separator: ", "))</td></tr>"
        }
        let protocolText = """
            Protocol \(escape(report.protocol.name ?? "")): candidates \(escape(report.protocol.candidates)); relevant = held-out rating ≥ \(report.protocol.relevanceThreshold);
            ties to the lower movie index; \(escape(report.protocol.precisionDenominator)). \(report.protocol.usersEvaluated) users evaluated,
            \(report.protocol.usersSkippedNoRelevant) skipped (no relevant held-out rating).
            """
        return page(report: report, model: model, sections: sections, rows: rows, protocolText: protocolText)
    }

    static func curveSection(_ model: ModelFile) -> String {
        let curveHead = model.rating ?? model.rankingHead
        let curve = curveHead.curve
        guard !curve.iteration.isEmpty else { return "<p>No training curve: \(escape(curveHead.algorithm)) is fitted in closed form.</p>" }
        let x = curve.iteration.map(Double.init)
        var series = [Series(name: "train RMSE", color: "#1f77b4", points: Array(zip(x, curve.trainRMSE)))]
        if curve.testRMSE.contains(where: \.isFinite) {
            series.append(Series(name: "held-out RMSE", color: "#d62728", points: Array(zip(x, curve.testRMSE))))
        }
        let isSampler = ["bpmf", "bayesian-fm"].contains(curveHead.algorithm)
        return figure("Training curve (\(curveHead.algorithm))", lineChart(series, xLabel: isSampler ? "Gibbs sweep" : "iteration", yLabel: "RMSE"))
    }

    static func errorSection(_ errorsByRating: [Float: [Float]], model: ModelFile) -> String {
        guard !errorsByRating.isEmpty else { return "<p>Prediction errors: not applicable (\(escape(model.algorithm)) predicts no ratings).</p>" }
        let groups = errorsByRating.keys.sorted().map { (label: formatRating($0), values: errorsByRating[$0]!) }
        return figure("Prediction error (predicted − true) by true rating", boxPlot(groups))
    }

    /// Each head's parameters as a table (one row per parameter), not a JSON line.
    static func parameterTable(_ model: ModelFile) -> String {
        model.heads.map { role, head -> String in
            let params = (try? head.summary(source: "the model").params) ?? [:]
            let rows = params.keys.sorted().map { "<tr><td>\(escape($0))</td><td>\(escape(params[$0]!.description))</td></tr>" }.joined(separator: "\n")
            return """
                <table class="params"><caption>\(role.rawValue) head: \(escape(head.algorithm)) · seed \(head.seed) · normalisation \(escape(head.normalisation))</caption>
                <tr><th>parameter</th><th>value</th></tr>
                \(rows)</table>
                """
        }.joined(separator: "\n")
    }

    static func page(report: MetricsReport, model: ModelFile, sections: [String], rows: [String], protocolText: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Projector — \(escape(model.algorithm)) on \(escape(report.data.kind))</title>
        <style>
        body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1100px; }
        .grid { display: flex; flex-wrap: wrap; gap: 1.5em; } figure { margin: 0; } figcaption { font-weight: 600; margin-bottom: .3em; }
        table { border-collapse: collapse; } td, th { padding: .2em .8em; border-bottom: 1px solid #ddd; text-align: left; }
        table.params { display: inline-table; margin: 0 1.5em 1em 0; vertical-align: top; } caption { text-align: left; font-weight: 600; padding-bottom: .3em; }
        .muted { color: #666; font-size: .9em; }
        </style></head><body>
        <h1>\(escape(model.algorithm)) on \(escape(report.data.kind))</h1>
        <p class="muted">split \(escape(report.data.split)) \(escape(report.data.splitParams)) ·
        \(report.data.trainRatings) training / \(report.data.heldOutRatings) held-out ratings · data \(escape(String(report.data.fingerprint.prefix(12))))…</p>
        <div class="grid">
        \(sections.joined(separator: "\n"))
        </div>
        <h2>Metrics</h2>
        <table><tr><th>metric</th><th>\(escape(model.algorithm))</th><th>baseline</th></tr>
        \(rows.joined(separator: "\n"))
        </table>
        <p class="muted">\(protocolText)
        Rating predictions: \(escape(report.protocol.ratingPredictions)).
        Rating metrics from: \(escape(report.protocol.ratingMetricsFrom)); ranking metrics from: \(escape(report.protocol.rankingMetricsFrom)).</p>
        <h2>Parameters</h2>
        \(parameterTable(model))
        </body></html>
        """
    }

    struct Series {
        var name: String
        var color: String
        var points: [(Double, Double)]
    }

    static let width = 500.0, height = 300.0, left = 60.0, right = 20.0, top = 20.0, bottom = 45.0

    static func lineChart(_ series: [Series], xLabel: String, yLabel: String) -> String {
        let all = series.flatMap(\.points).filter { $0.1.isFinite }
        guard let xMin = all.map(\.0).min(), let xMax = all.map(\.0).max(),
              var yMin = all.map(\.1).min(), var yMax = all.map(\.1).max() else { return "<p>no data</p>" }
        let pad = max((yMax - yMin) * 0.08, 1e-3)
        yMin -= pad; yMax += pad
        let sx = { (x: Double) in left + (xMax == xMin ? 0.5 : (x - xMin) / (xMax - xMin)) * (width - left - right) }
        let sy = { (y: Double) in top + (1 - (y - yMin) / (yMax - yMin)) * (height - top - bottom) }
        var svg = axes(xMin: xMin, xMax: xMax, yMin: yMin, yMax: yMax, sx: sx, sy: sy, xLabel: xLabel, yLabel: yLabel)
        for (index, s) in series.enumerated() {
            let points = s.points.filter { $0.1.isFinite }.map { String(format: "%.1f,%.1f", sx($0.0), sy($0.1)) }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\" points=\"\(points)\"/>"
            for point in s.points where point.1.isFinite && s.points.count <= 30 {
                svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%@\"/>", sx(point.0), sy(point.1), s.color)
            }
            let ly = top + 14 + Double(index) * 16
            svg += "<rect x=\"\(width - right - 150)\" y=\"\(ly - 9)\" width=\"12\" height=\"3\" fill=\"\(s.color)\"/>"
            svg += "<text x=\"\(width - right - 133)\" y=\"\(ly - 4)\" font-size=\"12\">\(escape(s.name))</text>"
        }
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\">\(svg)</svg>"
    }

    static func boxPlot(_ groups: [(label: String, values: [Float])]) -> String {
        let all = groups.flatMap(\.values).map(Double.init)
        guard var yMin = all.min(), var yMax = all.max() else { return "<p>no data</p>" }
        yMin = min(yMin, -0.5); yMax = max(yMax, 0.5)
        let n = Double(groups.count)
        let sx = { (i: Double) in left + (i + 0.5) / n * (width - left - right) }
        let sy = { (y: Double) in top + (1 - (y - yMin) / (yMax - yMin)) * (height - top - bottom) }
        var svg = axes(xMin: nil, xMax: nil, yMin: yMin, yMax: yMax, sx: { _ in 0 }, sy: sy, xLabel: "true rating", yLabel: "error")
        svg += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" stroke-dasharray=\"4\"/>", left, width - right, sy(0), sy(0))
        for (index, group) in groups.enumerated() {
            let sorted = group.values.map(Double.init).sorted()
            func quantile(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int(q * Double(sorted.count - 1)))] }
            let x = sx(Double(index)), w = 0.5 * (width - left - right) / n
            let (q1, med, q3, lo, hi) = (quantile(0.25), quantile(0.5), quantile(0.75), quantile(0.05), quantile(0.95))
            svg += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>", x, x, sy(lo), sy(hi))
            svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#9ecae1\" stroke=\"#444\"/>", x - w / 2, sy(q3), w, max(1, sy(q1) - sy(q3)))
            svg += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#d62728\" stroke-width=\"2\"/>", x - w / 2, x + w / 2, sy(med), sy(med))
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\">%@ (n=%d)</text>", x, height - bottom + 16, group.label, group.values.count)
        }
        svg += "<text x=\"\(left + 4)\" y=\"\(top + 12)\" font-size=\"11\" fill=\"#666\">box: quartiles, line: median, whiskers: 5–95 %</text>"
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\">\(svg)</svg>"
    }

    static func axes(xMin: Double?, xMax: Double?, yMin: Double, yMax: Double, sx: (Double) -> Double, sy: (Double) -> Double,
                     xLabel: String, yLabel: String) -> String {
        var svg = String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#ccc\"/>",
                         left, top, width - left - right, height - top - bottom)
        for y in niceTicks(yMin, yMax) {
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%@</text>", left - 5, sy(y) + 4, formatTick(y))
            svg += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>", left, width - right, sy(y), sy(y))
        }
        if let xMin, let xMax {
            for x in niceTicks(xMin, xMax, integers: true) {
                svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%@</text>", sx(x), height - bottom + 15, formatTick(x))
            }
        }
        svg += "<text x=\"\((left + width - right) / 2)\" y=\"\(height - 8)\" font-size=\"12\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        svg += "<text x=\"14\" y=\"\((top + height - bottom) / 2)\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 \((top + height - bottom) / 2))\">\(escape(yLabel))</text>"
        return svg
    }

    static func figure(_ caption: String, _ body: String) -> String {
        "<figure><figcaption>\(escape(caption))</figcaption>\(body)</figure>"
    }

    static func cell(_ value: Double??) -> String {
        guard let value = value, let number = value else { return "n/a" }
        return String(format: "%.4f", number)
    }

    /// Ticks at round values inside [low, high]: multiples of 1, 2 or 5 × 10ⁿ, about five of them
    /// (`integers`: whole numbers only, as k or an iteration). 0.693…0.754 → 0.70, 0.72, 0.74; k 5…20 → 5, 10, 15, 20.
    static func niceTicks(_ low: Double, _ high: Double, integers: Bool = false) -> [Double] {
        guard high > low, low.isFinite, high.isFinite else { return low.isFinite ? [low] : [] }
        let rough = (high - low) / 5
        let magnitude = pow(10, floor(log10(rough)))
        var step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
        if integers { step = max(1, step.rounded()) }
        // Each tick an integer count of steps, rounded to the step's decimals (0.7, not 0.7000000000000001).
        let scale = pow(10, max(0, -floor(log10(step))))
        var ticks: [Double] = []
        var count = (low / step - 1e-9).rounded(.up)
        while count * step <= high + step * 1e-9 {
            ticks.append((count * step * scale).rounded() / scale)
            count += 1
        }
        return ticks
    }

    /// A tick's label with as many decimals as its step needs.
    static func formatTick(_ x: Double) -> String {
        if let whole = Int(exactly: x) { return String(whole) }
        var text = String(format: "%.4f", x)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }
    static func formatRating(_ x: Float) -> String { Int(exactly: x).map(String.init) ?? String(x) }

    static func metricOrder(_ a: String, _ b: String) -> Bool {
        func key(_ name: String) -> (Int, Int, String) {
            if name == "rmse" { return (0, 0, name) }
            if name == "mae" { return (0, 1, name) }
            let parts = name.split(separator: "@")
            return (1, Int(parts.last ?? "0") ?? 0, String(parts.first ?? ""))
        }
        return key(a) < key(b)
    }

    static func escape(_ text: String) -> String { HTML.escape(text) }
}
