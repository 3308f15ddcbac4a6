// Errors of fine-tuning runs.

/// A fine-tuning run that cannot start or go on: the message names the step, file or setting.
public struct TrainerError: Error, CustomStringConvertible, Equatable {
  public let description: String
  public init(_ description: String) { self.description = description }
}
