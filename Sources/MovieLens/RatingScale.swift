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

    /// Whether `value` is on the scale (`problem(with:)` says what is wrong when it is not).
    /// Inlined into the parsers and readers' per-rating loops.
    ///
    ///     RatingScale.halfStars.contains(3.5)   // true
    ///     RatingScale.wholeStars.contains(3.5)  // false
    @inlinable @inline(__always)
    public func contains(_ value: Float) -> Bool {
        guard value >= minimum && value <= maximum else { return false }
        guard step > 0 else { return true }
        let steps = (value - minimum) / step
        // Below 2²³ steps (≥ 0 here) the nearest whole number without a libm call (steps + 0.5 is
        // exact there; values halfway between steps fail either way); from 2²³ on every Float is
        // whole, and the general form keeps what it always said (infinite steps pass).
        if steps < 8_388_608 { return abs(steps - Float(Int32(steps + 0.5))) <= 1e-4 }
        return !(abs(steps - steps.rounded()) > 1e-4)
    }

    /// `nil` when `value` is on the scale, else the problem in words.
    public func problem(with value: Float) -> String? {
        if contains(value) { return nil }
        if !(value >= minimum && value <= maximum) {
            return "rating \(format(value)) is outside the scale \(self)"
        }
        return "rating \(format(value)) is not a multiple of \(format(step)) on the scale \(self)"
    }

    /// How many ratings the scale holds, (maximum − minimum)/step + 1, when the step divides the
    /// range into 1 to 1,000 steps; nil otherwise (no step, a fractional count, too many).
    ///
    ///     RatingScale.wholeStars.levels   // 5
    ///     RatingScale.halfStars.levels    // 10
    public var levels: Int? {
        guard step > 0 else { return nil }
        let steps = Double(maximum - minimum) / Double(step)
        guard steps.isFinite, steps >= 1, steps <= 1_000, abs(steps - steps.rounded()) < 1e-4 else { return nil }
        return Int(steps.rounded()) + 1
    }

    public var description: String { "\(format(minimum))–\(format(maximum))" }

    private func format(_ value: Float) -> String {
        // Whole numbers without ".0"; anything else (NaN, 3e38 from a damaged file) as Swift prints it.
        if let whole = Int(exactly: value), abs(whole) < 1 << 53 { return String(whole) }
        return String(value)
    }
}
