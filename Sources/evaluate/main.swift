EvaluateCommand.runAsStage()
