/// The values a rating may take: `minimum`, `minimum + step`, …, `maximum`.
///
/// MovieLens 100K and 1M use whole stars (1–5, step 1); 10M and the CSV releases use half stars
/// (0.5–5, step 0.5). A rating outside the scale, or between its steps, is bad input.
public struct RatingScale: Sendable, Equatable, CustomStringConvertible {
    public var minimum: Float
    public var maximum: Float
    public var step: Float

    public init(minimum: Float, maximum: Float, step: Float) {
        self.minimum = minimum
        self.maximum = maximum
        self.step = step
    }

    public static let wholeStars = RatingScale(minimum: 1, maximum: 5, step: 1)
    public static let halfStars = RatingScale(minimum: 0.5, maximum: 5, step: 0.5)

    /// `nil` when `value` is on the scale, else the problem in words.
    public func problem(with value: Float) -> String? {
        if !(value >= minimum && value <= maximum) {
            return "rating \(format(value)) is outside the scale \(self)"
        }
        if step > 0 {
            let steps = (value - minimum) / step
            if abs(steps - steps.rounded()) > 1e-4 {
                return "rating \(format(value)) is not a multiple of \(format(step)) on the scale \(self)"
            }
        }
        return nil
    }

    public var description: String { "\(format(minimum))–\(format(maximum))" }

    private func format(_ value: Float) -> String {
        // Whole numbers without ".0"; anything else (NaN, 3e38 from a damaged file) as Swift prints it.
        if let whole = Int(exactly: value), abs(whole) < 1 << 53 { return String(whole) }
        return String(value)
    }
}
