import LinearAlgebra

/// Ordered probit's link (`bayesian-fm --likelihood ordinal`): a rating's class is where a latent
/// z ~ N(η, 1/(s_u s_i)²) falls among the cut-points κ₁ < … < κ_{C−1}, and the prediction is the
/// expected rating over the C classes of the scale (minimum, minimum + step, …):
///
///     E[y] = minimum + step · Σ_c Φ(s_u s_i (η − κ_c))
///
/// with η the factor model's linear predictor, s_u the user's scale and s_i the movie's (the
/// latent noise's precision is (s_u s_i)²). Whole stars, κ = (1.5, 2.34, 3.35, 4.5), s_u s_i = 1.2:
///
///     link.expected(4.0, user: u, movie: i)   // 1 + Σ_c Φ(1.2 (4 − κ_c)) = 4.032
public struct OrdinalLink: Sendable, Equatable {
    /// κ, ascending: one fewer than the scale's classes.
    public var cutPoints: [Float]
    public var userScale: [Float], movieScale: [Float]
    /// The scale's lowest rating and its step (the file's `rating_min`, `rating_step`).
    public var minimum: Float, step: Float

    public init(cutPoints: [Float], userScale: [Float], movieScale: [Float], minimum: Float, step: Float) {
        (self.cutPoints, self.userScale, self.movieScale) = (cutPoints, userScale, movieScale)
        (self.minimum, self.step) = (minimum, step)
    }

    /// The expected rating given η for a user and movie of the model.
    @inline(__always)
    public func expected(_ eta: Float, user: Int, movie: Int) -> Float {
        let s = Double(userScale[user]) * Double(movieScale[movie]), eta = Double(eta)
        var sum = 0.0
        for cut in cutPoints { sum += StandardNormal.cdf(s * (eta - Double(cut))) }
        return Float(Double(minimum) + Double(step) * sum)
    }

    public var allFinite: Bool {
        cutPoints.allSatisfy(\.isFinite) && userScale.allSatisfy(\.isFinite) && movieScale.allSatisfy(\.isFinite)
    }
}
