FactoriseCommand.runAsStage()
