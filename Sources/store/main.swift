import StageKit

runTool(StoreCommand.self)
