import ArgumentParser
import Models
import MovieLens

// The choices stage options take, as ArgumentParser reads them: each enum is declared once in its
// own module (its cases are the choices), and `--help`, the parse error ("must be one of …") and
// the manifest's check all come from it.

extension NormalisationMethod: ExpressibleByArgument {}
extension SplitStrategy.Kind: ExpressibleByArgument {}
extension ModelHead.Role: ExpressibleByArgument {}
extension TrainingEngine: ExpressibleByArgument {}

/// What `ingest --input` is: a MovieLens release (detected) or a generic CSV file.
public enum DataFormat: String, CaseIterable, Sendable, Codable, ExpressibleByArgument {
    /// Detect the MovieLens release from the folder's files.
    case auto
    /// A `user,item,rating[,timestamp]` file.
    case csv
}
