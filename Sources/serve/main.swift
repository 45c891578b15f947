import StageKit

await runAsyncTool(ServeCommand.self)
