/// A Spark master URL, as `spark-submit --master` takes it, checked before anything starts
/// (a malformed one is bad input, exit 2; one that is well formed but refused or unreachable is
/// Spark's to report, exit 1).
///
///     try SparkMaster("local[2]").isLocal            // true
///     try SparkMaster("spark://10.0.0.5:7077")       // a standalone cluster (several masters: a,b)
///     try SparkMaster("yarn"); try SparkMaster("k8s://https://10.0.0.1:6443")
///     try SparkMaster("spark://host")                // SparkError: … needs a port
public struct SparkMaster: Sendable, Equatable, CustomStringConvertible {
    public let url: String

    public static let expected = "local, local[N], local[*], local[N,F], spark://HOST:PORT[,HOST:PORT…], yarn or k8s://[https://]HOST[:PORT]"

    public init(_ text: String) throws(SparkError) {
        func refuse(_ why: String) -> SparkError {
            SparkError(.badInput, "--master '\(text)' is not a Spark master URL: \(why) (expected \(Self.expected))")
        }
        if text == "local" || text == "yarn" {
            url = text
            return
        }
        if text.hasPrefix("local[") {
            guard text.hasSuffix("]") else { throw refuse("'local[' needs a closing ']'") }
            let inside = text.dropFirst("local[".count).dropLast().split(separator: ",", omittingEmptySubsequences: false)
            guard (1...2).contains(inside.count) else { throw refuse("local[…] takes threads, or threads and failures") }
            guard inside[0] == "*" || (Self.wholeNumber(inside[0]).map { $0 >= 1 && $0 <= 4096 } ?? false) else {
                throw refuse("local[\(inside[0])…]: the threads are * or a whole number from 1 to 4096")
            }
            if inside.count == 2, !(Self.wholeNumber(inside[1]).map { $0 >= 1 && $0 <= 1000 } ?? false) {
                throw refuse("local[…,\(inside[1])]: the task failures allowed are a whole number from 1 to 1000")
            }
            url = text
            return
        }
        if text.hasPrefix("spark://") {
            let hosts = text.dropFirst("spark://".count).split(separator: ",", omittingEmptySubsequences: false)
            for host in hosts {
                guard let colon = host.lastIndex(of: ":") else { throw refuse("'\(host)' needs a port (spark://HOST:PORT)") }
                let name = host[..<colon], port = host[host.index(after: colon)...]
                guard Self.isHostName(name) else { throw refuse("'\(name)' is not a host name") }
                guard let number = Self.wholeNumber(port), (1...65535).contains(number) else { throw refuse("port '\(port)' is not a whole number from 1 to 65535") }
            }
            url = text
            return
        }
        if text.hasPrefix("k8s://") {
            var rest = Substring(text.dropFirst("k8s://".count))
            for scheme in ["https://", "http://"] where rest.hasPrefix(scheme) { rest = rest.dropFirst(scheme.count) }
            let name = rest.firstIndex(of: ":").map { rest[..<$0] } ?? rest
            guard Self.isHostName(name) else { throw refuse("'\(name)' is not a host name") }
            if let colon = rest.firstIndex(of: ":") {
                let port = rest[rest.index(after: colon)...]
                guard let number = Self.wholeNumber(port), (1...65535).contains(number) else { throw refuse("port '\(port)' is not a whole number from 1 to 65535") }
            }
            url = text
            return
        }
        throw refuse(text.isEmpty ? "it is empty" : "unknown scheme")
    }

    /// Whether the driver runs the executors itself (`local…`): no cluster to wait for.
    public var isLocal: Bool { url.hasPrefix("local") }

    public var description: String { url }

    /// Letters, digits, '.' and '-' (a DNS name or an IPv4 address; Java's URI parser, which Spark
    /// uses, finds no host in a name with '_').
    static func isHostName(_ name: Substring) -> Bool {
        !name.isEmpty && name.count <= 253 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }
    }

    /// Digits only (Swift's `Int("+2")` takes a sign Spark's parsers refuse).
    static func wholeNumber<S: StringProtocol>(_ text: S) -> Int? {
        guard !text.isEmpty, text.count <= 9, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }
}
