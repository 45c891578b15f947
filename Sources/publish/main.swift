PublishCommand.runAsStage()
