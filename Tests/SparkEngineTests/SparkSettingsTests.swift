import Essentials
import Foundation
@testable import SparkEngine
import TestSupport
import Testing

/// The Spark settings a user writes, checked before anything starts: exact messages.
struct SparkMasterTests {
    @Test(arguments: ["local", "local[1]", "local[2]", "local[*]", "local[4,3]", "local[*,2]", "yarn",
                      "spark://127.0.0.1:7077", "spark://a.example.com:7077,b.example.com:7078",
                      "k8s://https://10.0.0.1:6443", "k8s://http://api.cluster", "k8s://10.0.0.1:443"])
    func wellFormedMastersAreTaken(_ url: String) throws {
        #expect(try SparkMaster(url).url == url)
    }

    @Test func localMastersAreLocal() throws {
        #expect(try SparkMaster("local[2]").isLocal && SparkMaster("local").isLocal)
        #expect(try !SparkMaster("spark://h:1").isLocal && !SparkMaster("yarn").isLocal)
    }

    static let malformed: [(String, String)] = [
        ("", "it is empty"),
        ("mesos://h:5050", "unknown scheme"),
        ("local[", "'local[' needs a closing ']'"),
        ("local[0]", "local[0…]: the threads are * or a whole number from 1 to 4096"),
        ("local[two]", "local[two…]: the threads are * or a whole number from 1 to 4096"),
        ("local[2,0]", "local[…,0]: the task failures allowed are a whole number from 1 to 1000"),
        ("local[1,2,3]", "local[…] takes threads, or threads and failures"),
        ("spark://host", "'host' needs a port (spark://HOST:PORT)"),
        ("spark://host:99999", "port '99999' is not a whole number from 1 to 65535"),
        ("spark://:7077", "'' is not a host name"),
        ("spark://ho st:7077", "'ho st' is not a host name"),
        ("spark://my_host:7077", "'my_host' is not a host name"),
        ("spark://h:+7077", "port '+7077' is not a whole number from 1 to 65535"),
        ("local[+2]", "local[+2…]: the threads are * or a whole number from 1 to 4096"),
        ("k8s://", "'' is not a host name"),
        ("k8s://https://h:x", "port 'x' is not a whole number from 1 to 65535"),
    ]

    @Test(arguments: malformed)
    func malformedMastersAreBadInputWithTheReason(_ url: String, _ why: String) {
        #expect(throws: SparkError(.badInput, "--master '\(url)' is not a Spark master URL: \(why) (expected \(SparkMaster.expected))")) {
            try SparkMaster(url)
        }
        #expect((try? SparkMaster(url)) == nil)
        do { _ = try SparkMaster(url) } catch { #expect(error.exitCode == .badInput) }
    }
}

struct SparkConfTests {
    @Test func entriesKeepTheirOrderAndSecretsAreNeverRecorded() throws {
        let conf = try SparkConf(["spark.executor.memory=2g", "spark.hadoop.fs.s3a.secret.key=abc=d", "spark.ssl.keyPassword=p",
                                  "spark.authenticate.secret=s", "spark.hadoop.fs.gs.auth.access.token=t", "spark.x.credentials.file=/f",
                                  "spark.sql.shuffle.partitions=8", "spark.empty="])
        #expect(conf.entries.map(\.key) == ["spark.executor.memory", "spark.hadoop.fs.s3a.secret.key", "spark.ssl.keyPassword",
                                            "spark.authenticate.secret", "spark.hadoop.fs.gs.auth.access.token", "spark.x.credentials.file",
                                            "spark.sql.shuffle.partitions", "spark.empty"])
        #expect(conf.entries[1].value == "abc=d" && conf.entries[7].value == "")
        #expect(conf.recorded == ["spark.executor.memory": "2g", "spark.hadoop.fs.s3a.secret.key": "(redacted)", "spark.ssl.keyPassword": "(redacted)",
                                  "spark.authenticate.secret": "(redacted)", "spark.hadoop.fs.gs.auth.access.token": "(redacted)",
                                  "spark.x.credentials.file": "(redacted)", "spark.sql.shuffle.partitions": "8", "spark.empty": ""])
        #expect(SparkConf.redactedText("spark.ssl.keyPassword=p") == "spark.ssl.keyPassword=(redacted)")
        #expect(SparkConf.redactedText("spark.executor.memory=2g") == "spark.executor.memory=2g")
    }

    static let bad: [(String, String)] = [
        ("spark.executor.memory", "--spark-conf 'spark.executor.memory' is not key=value"),
        ("my.password", "--spark-conf '(redacted)' is not key=value"),
        ("=2g", "--spark-conf key '' must be letters, digits, '.', '_' or '-' (a Spark property, e.g. spark.executor.memory)"),
        ("spark executor=2g", "--spark-conf key 'spark executor' must be letters, digits, '.', '_' or '-' (a Spark property, e.g. spark.executor.memory)"),
        ("spark.a=1\nspark.b=2", "--spark-conf 'spark.a': the value must be one line"),
        ("executor.memory=2g", "--spark-conf key 'executor.memory' is not a Spark property (they start with 'spark.'; Hadoop's are spark.hadoop.*)"),
        ("spark.master=yarn", "--spark-conf key 'spark.master' is the step's own: give --master"),
        ("spark.submit.deployMode=cluster", "--spark-conf key 'spark.submit.deployMode' is the step's own: the driver runs where factorise runs (client mode), which reads its factors back"),
    ]

    @Test(arguments: bad)
    func malformedEntriesAreBadInput(_ item: String, _ message: String) {
        #expect(throws: SparkError(.badInput, message)) { try SparkConf([item]) }
    }

    @Test func aKeyGivenTwiceIsRefused() {
        #expect(throws: SparkError(.badInput, "--spark-conf key 'spark.a' is given twice")) { try SparkConf(["spark.a=1", "spark.a=2"]) }
    }

    /// The properties file carries Spark's own defaults, then ours, readable by the user alone.
    @Test func thePropertiesFileKeepsSparkDefaultsAndIsPrivate() throws {
        let dir = scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "spark.master.rest.enabled false\n".write(to: dir.appendingPathComponent("spark-defaults.conf"), atomically: true, encoding: .utf8)
        let submit = SparkSubmit(executable: "/bin/true", java: "/bin/true", configurationFolder: dir.path, environment: [:])
        let path = dir.appendingPathComponent("p.properties").path
        try submit.writeProperties(try SparkConf(["spark.a=x\\y", "spark.b=2g"]), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8)
                == "spark.master.rest.enabled false\nspark.a x\\\\y\nspark.b 2g\nspark.redaction.regex (?i)password|token|secret|credential|key\n")
        try submit.writeProperties(try SparkConf(["spark.redaction.regex=(?i)mine"]), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "spark.master.rest.enabled false\nspark.redaction.regex (?i)mine\n")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}

struct SparkDataTests {
    @Test(arguments: ["/srv/exports", "hdfs://namenode:8020/projector", "hdfs:///projector", "s3a://bucket/p", "gs://b/p", "file:///mnt/shared/x", "viewfs://c/p"])
    func reachableFoldersAreTaken(_ uri: String) throws {
        try SparkSettings.checkDataURI(uri)
    }

    static let refused: [(String, String)] = [
        ("exports", "--spark-data 'exports' must be an absolute path or SCHEME://… (file, hdfs, viewfs, s3a, s3, gs)"),
        ("ftp://h/p", "--spark-data 'ftp://h/p' has scheme 'ftp': expected one of file, hdfs, viewfs, s3a, s3, gs, or an absolute path"),
        ("s3a://KEY:SECRET@bucket/p", "--spark-data '(redacted)' holds credentials: give them as Spark/Hadoop settings (--spark-conf spark.hadoop.…) or the environment, never in the URI"),
        ("hdfs://nn/p?x=1", "--spark-data 'hdfs://nn/p?x=1' must have no query or fragment"),
        ("file://relative", "--spark-data 'file://relative' must be file:///ABSOLUTE/PATH"),
    ]

    @Test(arguments: refused)
    func otherValuesAreBadInput(_ uri: String, _ message: String) {
        #expect(throws: SparkError(.badInput, message)) { try SparkSettings.checkDataURI(uri) }
    }
}

struct SparkToolsTests {
    /// Without PySpark or Java the step fails before anything starts, saying what to install.
    @Test func missingToolsAreNamed() throws {
        let empty = scratchFolder()
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(throws: SparkError(.failure, "spark-submit not found (SPARK_HOME is not set and no spark-submit is on PATH): install PySpark (Scripts/setup --spark) or set SPARK_HOME")) {
            try SparkSubmit.locate(environment: ["PATH": empty.path])
        }
        let bin = empty.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let submit = bin.appendingPathComponent("spark-submit").path
        FileManager.default.createFile(atPath: submit, contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])
        #expect(throws: SparkError(.failure, "Java not found (JAVA_HOME is not set and no java is on PATH): Spark needs a Java 17 runtime (Scripts/setup --spark installs Debian's openjdk-17-jre-headless)")) {
            try SparkSubmit.locate(environment: ["PATH": bin.path])
        }
        #expect(throws: SparkError(.failure, "JAVA_HOME is /nonexistent, but /nonexistent/bin/java is not an executable file: install a Java 17 runtime (Scripts/setup --spark) or fix JAVA_HOME")) {
            try SparkSubmit.locate(environment: ["PATH": bin.path, "JAVA_HOME": "/nonexistent"])
        }
        #expect(throws: SparkError(.failure, "SPARK_HOME is /nonexistent, but /nonexistent/bin/spark-submit is not an executable file")) {
            try SparkSubmit.locate(environment: ["PATH": bin.path, "SPARK_HOME": "/nonexistent"])
        }
    }

    /// A failure message quotes the job's verdict, the driver's Python error, the Java exception and
    /// Spark's first ERROR line — each once, without the log's timestamps.
    @Test func failureMessagesQuoteSparksOwnWords() {
        let messages = SparkMessages()
        for line in [
            "26/12/07 18:08:40 INFO SparkContext: Running Spark version 3.5.3",
            "projector-spark: application app-1 on spark://h:1, Spark 3.5.3",
            "26/12/07 18:08:49 WARN StandaloneAppClient$ClientEndpoint: Failed to connect to master h:1",
            "26/12/07 18:08:50 ERROR TaskSchedulerImpl: Lost executor 0 on 127.0.0.1: worker lost",
            "26/12/07 18:08:51 ERROR Second: not quoted",
            "Traceback (most recent call last):",
            "  File \"job.py\", line 3, in <module>",
            "py4j.protocol.Py4JJavaError: An error occurred while calling o63.fit.",
            ": org.apache.spark.SparkException: Job aborted due to stage failure",
            "\tat org.apache.spark.scheduler.DAGScheduler.failJobAndIndependentStages(DAGScheduler.scala:2898)",
            "projector-spark: every executor was lost and none came back within 10 s (master spark://h:1)",
        ] { messages.take(line) }
        messages.finish()
        #expect(messages.summary == "every executor was lost and none came back within 10 s (master spark://h:1); py4j.protocol.Py4JJavaError: An error occurred while calling o63.fit.; org.apache.spark.SparkException: Job aborted due to stage failure; Spark: ERROR TaskSchedulerImpl: Lost executor 0 on 127.0.0.1: worker lost")
        let refused = SparkMessages()
        refused.take("26/12/07 18:08:49 WARN StandaloneAppClient$ClientEndpoint: Failed to connect to master h:1")
        refused.take("projector-spark: no executor registered within 5 s (master spark://h:1)")
        #expect(refused.summary == "no executor registered within 5 s (master spark://h:1); Spark: WARN StandaloneAppClient$ClientEndpoint: Failed to connect to master h:1")
        let quiet = SparkMessages()
        quiet.take("bash: java: not found")
        #expect(quiet.summary == "bash: java: not found")
    }
}
