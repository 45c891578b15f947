import StageKit

runTool(PipelineCommand.self)
