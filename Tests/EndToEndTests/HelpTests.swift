import Testing

/// Every executable answers `--help` the way ArgumentParser's own tools do: its usage on stdout,
/// exit 0, nothing on stderr — `serve`, the one async command, included (its help once ended
/// "Error: not an async command", exit 2).
@Suite struct HelpTests {
    @Test(arguments: [
        ("ingest", "USAGE: ingest"), ("normalise", "USAGE: normalise"), ("factorise", "USAGE: factorise"),
        ("combine", "USAGE: combine"), ("evaluate", "USAGE: evaluate"), ("publish", "USAGE: publish"),
        ("pipeline", "USAGE: pipeline"), ("store", "USAGE: store"), ("recommend", "USAGE: recommend"),
        ("serve", "USAGE: serve"), ("projector-bench", "USAGE: projector-bench"),
    ])
    func helpExitsZeroWithUsage(tool: String, usage: String) throws {
        let run = try runStage(tool, ["--help"])
        #expect(run.status == 0, "\(tool) --help: exit \(run.status), stderr: \(run.stderr)")
        #expect(run.stdout.contains(usage), "\(tool) --help printed: \(run.stdout.prefix(300))")
        #expect(run.stderr.isEmpty, "\(tool) --help wrote to stderr: \(run.stderr)")
    }
}
