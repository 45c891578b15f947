// The model file's types (ModelFile, LearnedModel, FactorModel, Neighbours, DatasetMetadata…) are
// part of what this module's API takes and returns (an algorithm's fit returns a LearnedModel), so
// importing Models gives them: the format itself is its own module, `ModelFormat`, which the
// client library, ranking and serving import without any algorithm.
@_exported import ModelFormat
