/// Compares a model's metrics with a reference (the production model's, or committed reference
/// metrics in CI) and lists what regressed beyond the tolerances. Used by `evaluate --reference`
/// and by `publish --gate`.
///
///     let gate = QualityGate(maxRMSEIncrease: 0.005, maxPrecisionDrop: 0.01)
///     gate.regressions(current: new.metrics, reference: old.metrics)
///     // ["rmse rose from 0.8408 to 0.8512 (allowed +0.005)"]
public struct QualityGate: Sendable, Equatable {
    public var maxRMSEIncrease: Double
    public var maxPrecisionDrop: Double
    /// precision@k compared (must be among the evaluated ks).
    public var precisionK: Int

    public init(maxRMSEIncrease: Double = 0.005, maxPrecisionDrop: Double = 0.01, precisionK: Int = 10) {
        self.maxRMSEIncrease = maxRMSEIncrease
        self.maxPrecisionDrop = maxPrecisionDrop
        self.precisionK = precisionK
    }

    public struct Regression: Sendable, Equatable, CustomStringConvertible {
        public var metric: String
        public var reference: Double?
        public var current: Double?
        public var description: String
    }

    public func regressions(current: [String: Double?], reference: [String: Double?]) -> [Regression] {
        var found: [Regression] = []
        func number(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "n/a" }
        let rmseRef = reference["rmse"] ?? nil, rmseNow = current["rmse"] ?? nil
        if let rmseRef {
            if let rmseNow {
                if rmseNow - rmseRef > maxRMSEIncrease {
                    found.append(Regression(metric: "rmse", reference: rmseRef, current: rmseNow,
                                            description: "rmse rose from \(number(rmseRef)) to \(number(rmseNow)) (allowed +\(maxRMSEIncrease))"))
                }
            } else {
                found.append(Regression(metric: "rmse", reference: rmseRef, current: nil,
                                        description: "rmse was \(number(rmseRef)) and is now not applicable (the model predicts no ratings)"))
            }
        }
        let key = "precision@\(precisionK)"
        let precisionRef = reference[key] ?? nil, precisionNow = current[key] ?? nil
        if let precisionRef {
            let now = precisionNow ?? 0
            if precisionRef - now > maxPrecisionDrop || precisionNow == nil {
                found.append(Regression(metric: key, reference: precisionRef, current: precisionNow,
                                        description: "\(key) fell from \(number(precisionRef)) to \(number(precisionNow)) (allowed −\(maxPrecisionDrop))"))
            }
        }
        return found
    }
}
