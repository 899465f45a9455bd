/// What one retention run deleted.
public struct PruneReport: Sendable, Hashable {
    public var readings = 0
    public var events = 0
    public var commands = 0
    /// Transactions that deleted rows: at most `pruneBatchSize` rows each.
    public var transactions = 0

    public var total: Int { readings + events + commands }

    public init() {}
}
