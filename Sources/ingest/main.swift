IngestCommand.runAsStage()
