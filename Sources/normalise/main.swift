NormaliseCommand.runAsStage()
