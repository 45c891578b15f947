import Essentials

/// The Evaluation module's errors: a model and data that do not belong together or an unreadable
/// reference are `.badInput` (exit 2), a regression beyond the tolerances `.qualityGate` (exit 3).
/// The same type as every module whose errors need only a kind and a message.
public typealias EvaluationError = ProjectorFailure
