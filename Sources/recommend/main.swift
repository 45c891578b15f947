import StageKit

runTool(RecommendCommand.self)
