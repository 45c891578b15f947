import Essentials
import LinearAlgebra
import Foundation
import ProjectorClient
@testable import Serving
import Testing
import TestSupport

/// The common fold-in body's reader (`readCommon`, no JSON tree) against the general one: on
/// every body it reads, the same request; on everything else it steps aside (nil) so the general
/// reader answers or refuses. Bodies generated from pieces, common and not.
struct PersonRequestTests {
    static let canonical = [
        #"{"ratings": [{"movie_id": 1, "rating": 5}, {"movie_id": 2571, "rating": 4.5}], "k": 10}"#,
        #"{"ratings":[{"movie_id":1,"rating":5.0}]}"#,
        #"{"user_id": 42, "ratings": [], "k": 1000}"#,
        #"{"user_id": 42}"#,
        " \n{ \"k\" : 3 ,\t\"ratings\" : [ { \"rating\" : 0.5 , \"movie_id\" : 7 } ] } \r\n",
        #"{"ratings": [{"movie_id": -3, "rating": -0.0}], "user_id": 0}"#,
        #"{"ratings": [{"movie_id": 10, "rating": 3.333333333333}]}"#,
    ]

    @Test(arguments: canonical)
    func commonBodiesAreReadWithoutATreeAndAlike(body: String) throws {
        let data = Data(body.utf8)
        let common = try #require(PersonRequest.readCommon(data), "the common reader stepped aside for \(body)")
        #expect(common == (try PersonRequest.readGeneral(data, for: .recommendations)))
    }

    @Test func generatedBodiesReadAlikeOrStepAside() {
        var rng = SeededGenerator(seed: 7)
        // Mostly what the common reader takes, now and then something it must step aside for.
        let keys = [#""ratings""#, #""ratings""#, #""k""#, #""user_id""#], oddKeys = [#""candidates""#, #""attributes""#, #""r\u0061tings""#, #""""#, "ratings"]
        let numbers = ["5", "4.5", "0", "-0", "1", "3.25", "-2", "1000", "0.5", "3"]
        let oddNumbers = ["007", "1e1", "1.0", "12345678901234567", "1.2345678901234567", "1001", ".5", "5.", "-", "1E-2", "\"5\"", "null", "true", "0"]
        let ratingKeys = [#""movie_id""#, #""rating""#, #""other""#]
        func pick<T>(_ list: [T]) -> T { list[Int(rng.next() % UInt64(list.count))] }
        func sometimes<T>(_ usual: [T], _ odd: [T]) -> T { rng.next() % 12 == 0 ? pick(odd) : pick(usual) }
        func number() -> String { sometimes(numbers, oddNumbers) }
        func space() -> String { sometimes(["", "", " ", "\n", "\t", "\r\n "], ["\u{0C}"]) }
        func rating() -> String {
            var fields = [#""movie_id": "# + number(), #""rating": "# + number()]
            if rng.next() % 8 == 0 { fields.append(pick(ratingKeys) + ": " + number()) }
            if rng.next() % 8 == 0 { fields.removeLast() }
            if rng.next() % 2 == 0 { fields.reverse() }
            return "{" + space() + fields.joined(separator: "," + space()) + space() + "}"
        }
        func value(for key: String) -> String {
            switch key {
            case #""ratings""#: return "[" + (0..<Int(rng.next() % 4)).map { _ in rating() }.joined(separator: ",") + (rng.next() % 20 == 0 ? "," : "") + "]"
            case #""candidates""#: return "[1, 2]"
            case #""attributes""#: return #"{"gender": "F"}"#
            default: return number()
            }
        }
        var common = 0
        for _ in 0..<5_000 {
            let fields = (0..<Int(1 + rng.next() % 3)).map { _ -> String in let key = sometimes(keys, oddKeys); return key + space() + ":" + space() + value(for: key) }
            let body = space() + "{" + fields.joined(separator: "," + space()) + "}" + (rng.next() % 30 == 0 ? "x" : space())
            let data = Data(body.utf8)
            let general: Result<PersonRequest, ServingError> = Result { () throws(ServingError) in try PersonRequest.readGeneral(data, for: .recommendations) }
            guard let fast = PersonRequest.readCommon(data) else { continue }
            common += 1
            #expect(general == .success(fast), "\(body)")
        }
        // The generator reaches the common reader often, not only its refusals.
        #expect(common > 300, "only \(common) of 5,000 bodies were read by the common reader")
    }
}
