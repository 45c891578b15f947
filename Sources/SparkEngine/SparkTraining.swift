import Essentials
import Foundation
import ModelFormat
import Models

/// Where and how a Spark head trains: `factorise --engine spark`'s options, checked.
public struct SparkSettings: Sendable, Equatable {
    public var master: SparkMaster
    public var conf: SparkConf
    /// Seconds the job waits for a first executor on a cluster before it fails.
    public var deadline: Double
    /// Where the export goes: a folder or URI the cluster reads (a fresh `projector-export-…`
    /// folder inside it, removed after the job); nil: the step's own temporary folder, which
    /// suits `local[N]` and a cluster on this machine.
    public var dataURI: String?

    public init(master: SparkMaster, conf: SparkConf, deadline: Double, dataURI: String?) {
        (self.master, self.conf, self.deadline, self.dataURI) = (master, conf, deadline, dataURI)
    }

    /// The schemes `--spark-data` takes: what both pyarrow (the export) and Spark (the reader) reach.
    public static let dataSchemes = ["file", "hdfs", "viewfs", "s3a", "s3", "gs"]

    /// Checks a `--spark-data` value: an absolute path, or `SCHEME://…` with a scheme of
    /// `dataSchemes`, without credentials in it (`user:secret@host`), a query or a fragment.
    ///
    ///     try SparkSettings.checkDataURI("hdfs://namenode:8020/projector")   // fine
    ///     try SparkSettings.checkDataURI("exports")                         // SparkError: … an absolute path …
    public static func checkDataURI(_ text: String) throws(SparkError) {
        func refuse(_ why: String) -> SparkError {
            SparkError(.badInput, "--spark-data '\(text.contains("@") ? "(redacted)" : text)' \(why)")
        }
        guard let separator = text.range(of: "://") else {
            guard text.hasPrefix("/") else { throw refuse("must be an absolute path or SCHEME://… (\(dataSchemes.joined(separator: ", ")))") }
            guard !text.contains("\n") else { throw refuse("must be one line") }
            return
        }
        let scheme = String(text[..<separator.lowerBound]), rest = text[separator.upperBound...]
        guard dataSchemes.contains(scheme) else {
            throw refuse("has scheme '\(scheme)': expected one of \(dataSchemes.joined(separator: ", ")), or an absolute path")
        }
        guard !rest.contains("@") else { throw refuse("holds credentials: give them as Spark/Hadoop settings (--spark-conf spark.hadoop.…) or the environment, never in the URI") }
        guard !rest.contains("?") && !rest.contains("#") && !rest.contains("\n") else { throw refuse("must have no query or fragment") }
        guard scheme != "file" || rest.hasPrefix("/") else { throw refuse("must be file:///ABSOLUTE/PATH") }
    }
}

/// One Spark head trained: the model, and what the records say of the run.
public struct SparkRun: Sendable {
    public var trained: TrainedModel
    public var sparkVersion: String
    public var applicationID: String
    public var master: String
    /// Wall seconds of the job's phases: export (HDF5 → Parquet), spark (session, ALS, collecting
    /// the factors), import (the factors file written and read back here).
    public var exportSeconds: Double
    public var sparkSeconds: Double
    public var importSeconds: Double

    /// The head's `params`: MLlib's parameter values (and the seed), then `engine`, `master`,
    /// `spark_version`, `application_id` and each `spark_conf.KEY` given (secrets redacted).
    public func parameters(_ head: any SparkHead, conf: SparkConf) -> JSONValue {
        guard case .object(var object) = head.values.jsonValue else { return head.values.jsonValue }
        object["engine"] = .string(TrainingEngine.spark.rawValue)
        object["master"] = .string(master)
        object["spark_version"] = .string(sparkVersion)
        object["application_id"] = .string(applicationID)
        // Flat, as every head's params are (scalars): one `spark_conf.KEY` per property.
        for (key, value) in conf.recorded { object["spark_conf." + key] = .string(value) }
        return .object(object)
    }
}

/// Trains a `SparkHead` on Apache Spark and brings the factors back as a `TrainedModel`:
/// the job (`projector_spark_als.py`, embedded in this module) exports the normalised file's
/// training side as Parquet, fits MLlib's ALS, and writes the factors; they are read back
/// through the ratings file's dense indices (the ids are the file's own).
///
///     let run = try SparkTraining.train(SparkALS.make(["rank": 32]), input: "train.h5", data: data,
///                                       settings: SparkSettings(master: try SparkMaster("local[2]"), conf: try SparkConf([]),
///                                                               deadline: 120, dataURI: nil))
///
/// The explicit head's model is `P Qᵀ` plus the normalisation's terms as biases (what MLlib,
/// which has no biases, was fitted around); the implicit head's is `P Qᵀ` alone, a ranking head.
/// Nothing is written where the caller writes: the work folder is temporary and removed.
public enum SparkTraining {
    public static func train(
        _ head: any SparkHead, input: String, data: TrainingSet, settings: SparkSettings,
        environment: [String: String] = ProcessInfo.processInfo.environment, echo: Bool = true
    ) throws -> SparkRun {
        try head.validate(for: data)
        let submit = try SparkSubmit.locate(environment: environment)
        let work = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let script = work + "/projector_spark_als.py"
        guard FileManager.default.createFile(atPath: script, contents: Data(PackageResources.projector_spark_als_py)) else {
            throw SparkError(.failure, "\(script): cannot write the Spark job")
        }
        let properties = work + "/spark.properties"
        try submit.writeProperties(settings.conf, to: properties)
        let export = settings.dataURI.map { ($0.hasSuffix("/") ? String($0.dropLast()) : $0) + "/projector-export-" + UUID().uuidString.lowercased() }
            ?? work + "/ratings"
        let factors = work + "/factors.h5", report = work + "/report.json"
        let absoluteInput = URL(fileURLWithPath: input).standardizedFileURL.path
        try submit.run(["--master", settings.master.url, "--properties-file", properties, script,
                        "--normalised", absoluteInput, "--data", export, "--factors", factors, "--report", report,
                        "--deadline", "\(settings.deadline)", "--master", settings.master.url, "--parent-pid", "\(getpid())"] + head.jobArguments, echo: echo)
        let back = try SparkFactors.read(factors, users: data.userCount, movies: data.movieCount, rank: head.rank)
        let phases = try readReport(report)
        let start = Date()
        let model: FactorModel
        var curve = TrainingCurve()
        if type(of: head).predictsRatings {
            model = data.factorModel(userFactors: back.userFactors, movieFactors: back.movieFactors)
            let point = data.curvePoint(model)
            let iterations = head.values.integer(SparkALS.maxIter)
            curve.append(iteration: iterations, train: point.train, test: point.test)
        } else {
            model = FactorModel(globalMean: 0, userBias: [Float](repeating: 0, count: data.userCount),
                                movieBias: [Float](repeating: 0, count: data.movieCount),
                                userFactors: back.userFactors, movieFactors: back.movieFactors)
        }
        return SparkRun(trained: TrainedModel(model: .factors(model), curve: curve), sparkVersion: back.sparkVersion,
                        applicationID: back.applicationID, master: back.master, exportSeconds: phases.export,
                        sparkSeconds: phases.spark, importSeconds: phases.import + Date().timeIntervalSince(start))
    }

    /// A fresh 0700 folder under the system's temporary folder.
    static func temporaryFolder() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/projector-spark-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw SparkError(.failure, "cannot create a temporary folder for the Spark job: \(systemError())")
        }
        return String(cString: made)
    }

    static func readReport(_ path: String) throws -> (export: Double, spark: Double, import: Double) {
        struct Report: Decodable {
            var exportSeconds: Double, sparkSeconds: Double, importSeconds: Double
            enum CodingKeys: String, CodingKey { case exportSeconds = "export_seconds", sparkSeconds = "spark_seconds", importSeconds = "import_seconds" }
        }
        guard let data = FileManager.default.contents(atPath: path), let report = try? JSONDecoder().decode(Report.self, from: data) else {
            throw SparkError(.failure, "\(path): the Spark job's report is missing or malformed")
        }
        return (report.exportSeconds, report.sparkSeconds, report.importSeconds)
    }
}
