CombineCommand.runAsStage()
