import Glibc

/// The standard normal distribution's functions in double precision: Φ, its upper tail, the log
/// probability of an interval, Φ⁻¹ and a truncated draw (the ordered probit's, `bayesian-fm`).
///
///     StandardNormal.cdf(1.96)               // 0.97500…
///     StandardNormal.quantile(0.975)         // 1.95996…
///     StandardNormal.truncated(0, 1, uniform: 0.5)   // the median of Z given 0 < Z ≤ 1: 0.44177…
public enum StandardNormal {
    /// Φ(x).
    @inline(__always) public static func cdf(_ x: Double) -> Double { 0.5 * erfc(-x * 0.7071067811865476) }

    /// 1 − Φ(x), accurate in the upper tail.
    @inline(__always) public static func survival(_ x: Double) -> Double { 0.5 * erfc(x * 0.7071067811865476) }

    /// log P(a < Z ≤ b), a < b (either may be infinite), from whichever tail keeps the digits;
    /// at least log of the smallest normal double (an interval far in a tail does not give −∞).
    @inline(__always) public static func logInterval(_ a: Double, _ b: Double) -> Double {
        let p = a > 0 ? survival(a) - survival(b) : cdf(b) - cdf(a)
        return log(max(p, .leastNormalMagnitude))
    }

    private static let a = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
    private static let b = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01)
    private static let c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
    private static let d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00)

    /// Φ⁻¹(p) for 0 < p < 1: Acklam's rational approximation (relative error below 1.2 × 10⁻⁹)
    /// refined by one Halley step on Φ (to about 10⁻¹⁵).
    public static func quantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "quantile needs 0 < p < 1")
        let (a, b, c, d) = (Self.a, Self.b, Self.c, Self.d)
        func tail(_ q: Double) -> Double {
            (((((c.0 * q + c.1) * q + c.2) * q + c.3) * q + c.4) * q + c.5) / ((((d.0 * q + d.1) * q + d.2) * q + d.3) * q + 1)
        }
        var x: Double
        if p < 0.02425 {
            x = tail((-2 * log(p)).squareRoot())
        } else if p > 1 - 0.02425 {
            x = -tail((-2 * log(1 - p)).squareRoot())
        } else {
            let q = p - 0.5, r = q * q
            x = (((((a.0 * r + a.1) * r + a.2) * r + a.3) * r + a.4) * r + a.5) * q
                / (((((b.0 * r + b.1) * r + b.2) * r + b.3) * r + b.4) * r + 1)
        }
        // Halley: with e = Φ(x) − p and u = e √(2π) e^{x²/2}, x −= u / (1 + x u / 2). Beyond
        // |x| ≈ 37.7 (p subnormal) e^{x²/2} overflows: the approximation stands.
        let e = cdf(x) - p
        let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        if u.isFinite { x -= u / (1 + x * u / 2) }
        return x
    }

    /// The `uniform`-quantile (0 ≤ uniform < 1) of Z truncated to (lower, upper], lower < upper
    /// (either infinite): by inversion on the lower tail, or on the upper one when the interval
    /// lies above 0 (where Φ has no digits left). An interval so far in a tail that its
    /// probability falls below the smallest normal double (beyond about 37.5 standard
    /// deviations) gives its finite end nearest the mean.
    @inline(__always) public static func truncated(_ lower: Double, _ upper: Double, uniform: Double) -> Double {
        if lower > 0 {
            let high = survival(lower), low = survival(upper)
            let p = low + uniform * (high - low)
            guard high > low, p >= .leastNormalMagnitude else { return lower }
            return -quantile(min(p, high))
        }
        let low = cdf(lower), high = cdf(upper)
        let p = low + uniform * (high - low)
        guard high > low, p >= .leastNormalMagnitude, p < 1 else { return upper.isFinite ? upper : lower }
        return quantile(p)
    }
}
