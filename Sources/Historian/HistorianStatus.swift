import Foundation

/// The historian's health and counters, for the daemon's status page and metrics.
public struct HistorianStatus: Sendable, Hashable {
    /// False from the first failed write until everything buffered since has been written.
    public var healthy: Bool
    /// The most recent failure, kept after recovery for the status page.
    public var lastError: HistorianError?
    /// When the current fault began; nil when healthy.
    public var faultSince: Date?
    /// Readings accepted by the store-on-change rule and waiting in memory to be written.
    public var bufferedReadings: Int
    /// Events, commands and drill reports waiting in memory to be written.
    public var bufferedRecords: Int
    /// Readings dropped since start because the buffer was full while the database could not be written.
    public var droppedReadings: Int
    /// Readings written since start.
    public var writtenReadings: Int
    /// Readings not stored since start because they did not change enough (the store-on-change rule).
    public var skippedReadings: Int
    /// How long the last readings transaction took, from asking for the writer connection to the end of COMMIT.
    public var lastWriteLatency: Duration?
    /// When readings were last written.
    public var lastWriteAt: Date?

    /// Readings and records waiting to be written: the queue depth.
    public var queueDepth: Int { bufferedReadings + bufferedRecords }
}

/// A change in the historian's health, for the daemon to raise an alarm or clear it.
public enum HistorianHealthChange: Sendable, Hashable {
    /// The database could not be written. Raised once per fault, with the first error.
    case fault(HistorianError)
    /// Writing resumed and everything buffered during the fault has been written.
    /// `droppedReadings` counts the readings lost during this fault because the buffer was full.
    case recovered(droppedReadings: Int, faultDuration: Duration)
}
