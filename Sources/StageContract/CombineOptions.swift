import ArgumentParser
import Models

/// `combine`'s options (a manifest model's `combine` section, beside the two models it joins).
///
///     combine --rating fm.h5 --ranking ease.h5 --output served.h5 --neighbours-from ranking
///     # manifest:  combine: {rating: fm, ranking: ease, neighbours_from: ranking}
public struct CombineOptions: StageOptionSet {
    @Option(help: ArgumentHelp("Whose neighbours answer \"movies like this one\": rating or ranking.", valueName: "head"))
    public var neighboursFrom: ModelHead.Role = .ranking

    public init() {}
}
