import Foundation

/// Starts `spark-submit` and waits for it: the tools found first (a missing Java or PySpark is a
/// clear failure before anything starts), the job's output (stdout and stderr) passed through to
/// this process's stderr as it comes (stdout stays the stage's result line), and on a non-zero exit the error
/// carries Spark's own words — the Python error that ended the driver and the first of Spark's
/// ERROR lines.
///
///     let submit = try SparkSubmit.locate(environment: ProcessInfo.processInfo.environment)
///     try submit.run(["--master", "local[2]", "job.py", "--rank", "32"])
public struct SparkSubmit: Sendable {
    /// `spark-submit`'s path.
    public let executable: String
    /// `java`'s path (what Spark will start).
    public let java: String
    /// The folder of Spark's configuration (its `spark-defaults.conf`), when there is one.
    public let configurationFolder: String?
    public let environment: [String: String]

    /// `$SPARK_HOME/bin/spark-submit` or `spark-submit` on PATH (PySpark's, from PyPI); `$JAVA_HOME/bin/java`
    /// or `java` on PATH. Either missing: a failure saying what to install.
    public static func locate(environment: [String: String]) throws(SparkError) -> SparkSubmit {
        let path = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        func onPath(_ name: String) -> String? {
            path.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }
        /// `$HOME_VARIABLE/bin/name` when the variable is set (and must be there), else `name` on PATH.
        func find(_ name: String, home variable: String, fixHome: String, missing: String) throws(SparkError) -> String {
            if let home = environment[variable], !home.isEmpty {
                let tool = home + "/bin/" + name
                guard FileManager.default.isExecutableFile(atPath: tool) else {
                    throw SparkError(.failure, "\(variable) is \(home), but \(tool) is not an executable file" + fixHome)
                }
                return tool
            }
            guard let found = onPath(name) else { throw SparkError(.failure, missing) }
            return found
        }
        let submit = try find("spark-submit", home: "SPARK_HOME", fixHome: "",
                              missing: "spark-submit not found (SPARK_HOME is not set and no spark-submit is on PATH): install PySpark (Scripts/setup --spark) or set SPARK_HOME")
        let java = try find("java", home: "JAVA_HOME", fixHome: ": install a Java 17 runtime (Scripts/setup --spark) or fix JAVA_HOME",
                            missing: "Java not found (JAVA_HOME is not set and no java is on PATH): Spark needs a Java 17 runtime (Scripts/setup --spark installs Debian's openjdk-17-jre-headless)")
        let configuration = environment["SPARK_CONF_DIR"] ?? environment["SPARK_HOME"].map { $0 + "/conf" }
        return SparkSubmit(executable: submit, java: java, configurationFolder: configuration, environment: environment)
    }

    /// The properties of `spark-defaults.conf` (Spark's configuration folder: `SPARK_CONF_DIR` or
    /// `SPARK_HOME/conf`), then `conf`'s, then Spark's log redaction (`SparkConf.redactionRegex`)
    /// unless given: `--properties-file` replaces that file, so its settings are carried over. Written 0600.
    public func writeProperties(_ conf: SparkConf, to path: String) throws {
        var text = ""
        if let folder = configurationFolder, let defaults = try? String(contentsOfFile: folder + "/spark-defaults.conf", encoding: .utf8) {
            text += defaults + (defaults.hasSuffix("\n") ? "" : "\n")
        }
        var entries = conf.entries
        if !entries.contains(where: { $0.key == "spark.redaction.regex" }) {
            entries.append(("spark.redaction.regex", SparkConf.redactionRegex))
        }
        for (key, value) in entries {
            // Java properties: backslashes escaped (Spark trims the value's spaces, as it does its own file's).
            text += key + " " + value.replacingOccurrences(of: "\\", with: "\\\\") + "\n"
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw SparkError(.failure, "\(path): cannot write Spark's properties file")
        }
    }

    /// Runs `spark-submit arguments…`; throws a failure with Spark's message unless it exits 0.
    public func run(_ arguments: [String], echo: Bool = true) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = self.environment
        // The Java found above is the one Spark runs.
        environment["JAVA_HOME"] = URL(fileURLWithPath: java).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent().path
        process.environment = environment
        // One pipe for both: the driver's Python output reaches spark-submit's stdout, Spark's log
        // its stderr; both are the step's log (our stderr), read for the failure message.
        let errors = Pipe()
        process.standardOutput = errors
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        let messages = SparkMessages()
        let reader = Thread {
            let handle = errors.fileHandleForReading
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                if echo { FileHandle.standardError.write(chunk) }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 10) {
                    messages.take(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                    pending.removeSubrange(pending.startIndex...newline)
                }
            }
            if !pending.isEmpty { messages.take(String(decoding: pending, as: UTF8.self)) }
            messages.finish()
        }
        do { try process.run() } catch {
            throw SparkError(.failure, "cannot start \(executable): \(error.localizedDescription)")
        }
        reader.start()
        process.waitUntilExit()
        messages.waitUntilFinished()
        guard process.terminationReason == .exit && process.terminationStatus == 0 else {
            let how = process.terminationReason == .exit ? "exited \(process.terminationStatus)" : "was killed by signal \(process.terminationStatus)"
            throw SparkError(.failure, "the Spark job \(how): \(messages.summary)")
        }
    }
}

/// What of a Spark job's stderr a failure message quotes: the Python exception that ended the
/// driver (a traceback's last line, and the Java exception py4j carried), the job's own verdict
/// (`projector-spark: …`), and Spark's first ERROR line (else its first WARN about connecting). The rest is in the step's log.
final class SparkMessages: @unchecked Sendable {
    private let lock = NSCondition()
    private var pythonError: String?
    private var javaError: String?
    private var sparkError: String?
    private var sparkWarning: String?
    private var driverMessage: String?
    private var lastLine: String?
    private var inTraceback = false
    private var finished = false

    func take(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return }
        lastLine = trimmed
        if line.hasPrefix("Traceback (most recent call last)") { inTraceback = true; return }
        if inTraceback, !line.hasPrefix(" ") {
            // The line after the frames: "RuntimeError: …" (or "py4j.protocol.Py4JJavaError: …").
            pythonError = trimmed
            inTraceback = false
            return
        }
        if javaError == nil, line.hasPrefix(": ") && (line.contains("Exception") || line.contains("Error")) {
            javaError = String(trimmed.dropFirst(2))
        }
        if sparkError == nil, line.contains(" ERROR ") {
            sparkError = Self.withoutTimestamp(trimmed, " ERROR ")
        }
        if sparkWarning == nil, line.contains(" WARN "), line.lowercased().contains("connect") {
            sparkWarning = Self.withoutTimestamp(trimmed, " WARN ")
        }
        // The job's own verdict (its watchdog: no executor within the deadline).
        if line.hasPrefix("projector-spark: "), !line.contains(" application ") {
            driverMessage = String(line.dropFirst("projector-spark: ".count))
        }
    }

    func finish() {
        lock.lock()
        finished = true
        lock.broadcast()
        lock.unlock()
    }

    func waitUntilFinished() {
        lock.lock()
        while !finished { lock.wait() }
        lock.unlock()
    }

    /// One line: the driver's error, the Java exception, Spark's first ERROR line (each when seen).
    var summary: String {
        lock.lock()
        defer { lock.unlock() }
        let parts = [driverMessage, pythonError, javaError, (sparkError ?? sparkWarning).map { "Spark: " + $0 }].compactMap { $0 }
        let text = parts.isEmpty ? (lastLine ?? "no output") : parts.joined(separator: "; ")
        return text.count > 2_000 ? String(text.prefix(2_000)) + "…" : text
    }

    /// "26/12/07 18:00:40 ERROR Foo: bar" → "ERROR Foo: bar".
    static func withoutTimestamp(_ line: String, _ level: String) -> String {
        guard let range = line.range(of: level) else { return line }
        return String(line[line.index(after: range.lowerBound)...])
    }
}
