import ArgumentParser
import Logging

/// Options every stage has: logging verbosity (logs go to stderr; stdout carries only results).
///
///     @OptionGroup var logging: LoggingOptions
public struct LoggingOptions: ParsableArguments, Sendable {
    @Flag(name: .shortAndLong, help: "Log only warnings and errors (stderr).")
    public var quiet = false

    @Flag(name: .shortAndLong, help: "Log debugging detail (stderr).")
    public var verbose = false

    public init() {}

    public var level: Logger.Level { quiet ? .warning : (verbose ? .debug : .info) }
}
