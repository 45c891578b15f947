import Testing
@testable import LinearAlgebra
@Test func placeholder() {}
