/// Spark properties given as `key=value` (`--spark-conf`, a manifest's `spark_conf`), in the order
/// given. The values of keys that look like secrets (their name holds password, token, secret,
/// credential or key) are passed to Spark but never recorded: `recorded` shows them redacted, and
/// they reach `spark-submit` through a properties file only the user can read, not its command line.
///
///     let conf = try SparkConf(["spark.executor.memory=2g", "spark.hadoop.fs.s3a.secret.key=abc"])
///     conf.recorded   // ["spark.executor.memory": "2g", "spark.hadoop.fs.s3a.secret.key": "(redacted)"]
public struct SparkConf: Sendable, Equatable {
    public let entries: [(key: String, value: String)]

    public static let redacted = "(redacted)"
    /// Properties the step sets itself, with why.
    static let ownKeys = ["spark.master": "give --master", "spark.submit.deployMode": "the driver runs where factorise runs (client mode), which reads its factors back"]
    /// Spark's own redaction of its logs and UI, set unless given: the same words as `isSecret`.
    public static let redactionRegex = "(?i)password|token|secret|credential|key"
    static let secretWords = ["password", "token", "secret", "credential", "key"]

    public init(_ items: [String]) throws(SparkError) {
        var entries: [(key: String, value: String)] = []
        for item in items {
            guard let equals = item.firstIndex(of: "=") else {
                throw SparkError(.badInput, "--spark-conf '\(Self.redactedText(item))' is not key=value")
            }
            let key = String(item[..<equals]), value = String(item[item.index(after: equals)...])
            guard !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
                throw SparkError(.badInput, "--spark-conf key '\(key)' must be letters, digits, '.', '_' or '-' (a Spark property, e.g. spark.executor.memory)")
            }
            // spark-submit ignores keys outside spark.*, and these two the step sets itself.
            guard key.hasPrefix("spark.") else {
                throw SparkError(.badInput, "--spark-conf key '\(key)' is not a Spark property (they start with 'spark.'; Hadoop's are spark.hadoop.*)")
            }
            if let own = Self.ownKeys[key] {
                throw SparkError(.badInput, "--spark-conf key '\(key)' is the step's own: \(own)")
            }
            guard !entries.contains(where: { $0.key == key }) else {
                throw SparkError(.badInput, "--spark-conf key '\(key)' is given twice")
            }
            guard !value.contains("\n") && !value.contains("\r") else {
                throw SparkError(.badInput, "--spark-conf '\(key)': the value must be one line")
            }
            entries.append((key, value))
        }
        self.entries = entries
    }

    public static func == (a: SparkConf, b: SparkConf) -> Bool {
        a.entries.map(\.key) == b.entries.map(\.key) && a.entries.map(\.value) == b.entries.map(\.value)
    }

    /// Whether `key`'s value is kept out of every record.
    public static func isSecret(_ key: String) -> Bool {
        let lower = key.lowercased()
        return secretWords.contains { lower.contains($0) }
    }

    /// The entries as records show them: secrets' values redacted.
    public var recorded: [String: String] {
        Dictionary(uniqueKeysWithValues: entries.map { ($0.key, Self.isSecret($0.key) ? Self.redacted : $0.value) })
    }

    /// A `--spark-conf` word as logs may show it: `key=(redacted)` for a secret key, else itself.
    public static func redactedText(_ item: String) -> String {
        guard let equals = item.firstIndex(of: "="), isSecret(String(item[..<equals])) else {
            return isSecret(item) ? redacted : item
        }
        return item[..<equals] + "=" + redacted
    }
}
