import Glibc

/// A seedable, reproducible random number generator (SplitMix64), the same on every platform,
/// so that a seed recorded in a model file reproduces the model.
///
///     var rng = SeededGenerator(seed: 42)
///     let x = rng.nextGaussian()
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// An independent stream for sub-task `index` (a user, a block): the same whatever order the
    /// sub-tasks run in, so parallel code stays deterministic.
    public func stream(_ index: Int) -> SeededGenerator {
        var mixer = SeededGenerator(seed: state ^ (UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03))
        return SeededGenerator(seed: mixer.next())
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Standard normal by Box–Muller.
    public mutating func nextGaussian() -> Double {
        var u = nextUniform()
        while u <= .leastNonzeroMagnitude { u = nextUniform() }
        let v = nextUniform()
        return (-2 * _log(u)).squareRoot() * _cos(2 * .pi * v)
    }

    /// Two independent standard normals: both halves of one Box–Muller transform (half the
    /// logarithms of two `nextGaussian` calls).
    public mutating func nextGaussianPair() -> (Double, Double) {
        var u = nextUniform()
        while u <= .leastNonzeroMagnitude { u = nextUniform() }
        let v = nextUniform()
        let radius = (-2 * _log(u)).squareRoot(), angle = 2 * .pi * v
        return (radius * _cos(angle), radius * _sin(angle))
    }

    /// Gamma(shape, 1) by Marsaglia & Tsang (2000); shape < 1 through Gamma(shape + 1)·U^(1/shape).
    public mutating func nextGamma(shape: Double) -> Double {
        precondition(shape > 0)
        if shape < 1 {
            let u = max(nextUniform(), .leastNonzeroMagnitude)
            return nextGamma(shape: shape + 1) * Glibc.pow(u, 1 / shape)
        }
        let d = shape - 1.0 / 3.0, c = 1 / (9 * d).squareRoot()
        while true {
            var x = 0.0, v = 0.0
            repeat {
                x = nextGaussian()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = nextUniform()
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if _log(max(u, .leastNonzeroMagnitude)) < 0.5 * x * x + d * (1 - v + _log(v)) { return d * v }
        }
    }

    /// χ² with `degrees` degrees of freedom.
    public mutating func nextChiSquared(degrees: Double) -> Double { 2 * nextGamma(shape: degrees / 2) }

    /// A rows×columns matrix of N(0, scale²) values.
    public mutating func gaussianMatrix(rows: Int, columns: Int, scale: Float = 1) -> Matrix {
        var matrix = Matrix(rows: rows, columns: columns)
        for index in matrix.values.indices { matrix.values[index] = Float(nextGaussian()) * scale }
        return matrix
    }
}

@inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
@inline(__always) private func _sin(_ x: Double) -> Double { Glibc.sin(x) }
