import Foundation

/// A verification drill's report as the historian keeps it: a few columns to list and find drills by, and the report
/// itself as JSON text, stored as given.
///
/// The historian does not read the report: its layout belongs to the Drills module, and a report written by an older
/// version of Levee is kept and returned unchanged.
public struct StoredDrill: Sendable, Hashable {
    /// The drill's id; saving a drill with an id already stored replaces it.
    public var id: String
    /// The response plan the drill ran.
    public var plan: String
    /// True when the equipment really moved (实战演练); false for a tabletop check (桌面推演).
    public var live: Bool
    /// When it started (stored to the millisecond).
    public var startedAt: Date
    /// When it finished (stored to the millisecond); nil while it runs or when it was abandoned.
    public var finishedAt: Date?
    /// Who started it.
    public var startedBy: String
    /// The report, as JSON text.
    public var report: String

    public init(
        id: String,
        plan: String,
        live: Bool,
        startedAt: Date,
        finishedAt: Date? = nil,
        startedBy: String,
        report: String
    ) {
        self.id = id
        self.plan = plan
        self.live = live
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.startedBy = startedBy
        self.report = report
    }
}
