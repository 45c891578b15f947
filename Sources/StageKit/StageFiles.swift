import ArgumentParser

/// `--input PATH --output PATH`, the stage contract's two paths (what each holds is in the
/// stage's description), checked before any work: the input exists, the output's folder exists.
/// The output is always written under a temporary name and renamed into place.
///
///     @OptionGroup var files: StageFiles
public struct StageFiles: ParsableArguments, Sendable {
    @Option(help: "The stage's input (see the description above).")
    public var input: String

    @Option(help: "Where to write the result (a temporary file, renamed into place when complete).")
    public var output: String

    public init() {}

    public func validate() throws {
        try PathCheck.input(input)
        try PathCheck.output(output)
    }
}
