import Foundation

/// Where the history database lives and how the historian trades memory, latency and disk for one another.
///
/// Keys, with their defaults:
/// - `path`: the SQLite database file. Its directory must exist; the file is created on first open.
/// - `heartbeatSeconds` (60): a point is stored at least this often even when its value does not change, so a flat
///   line in a trend is told apart from a dead historian.
/// - `readingsRetentionDays` (90), `eventsRetentionDays` (3650), `commandsRetentionDays` (3650): rows older than this
///   are pruned. Events and commands are the audit trail, so they are kept ten years. 0 or less keeps rows forever.
///   Drill reports have no retention: they are the evidence that the plan works, and are never pruned.
/// - `bufferLimit` (100_000): readings held in memory while the database cannot be written. Past it the oldest are
///   dropped and counted.
/// - `recordBufferLimit` (10_000): events, commands and drill reports held in memory while the database cannot be
///   written. Past it a new record is refused (and the caller told), never an old one dropped.
/// - `batchInterval` (0.5 s): readings are written in one transaction per interval, which bounds fsyncs per second.
/// - `busyTimeout` (2 s): how long a write waits for another process's lock before it counts as a fault.
/// - `maxRetryInterval` (10 s): the longest wait between two attempts while the database is in fault; attempts start
///   at a quarter of a second and double.
/// - `pruneInterval` (3600 s) and `pruneBatchSize` (1000): retention runs this often, deleting at most this many rows
///   per transaction so that it never holds the write lock long. The first run is a minute after opening.
/// - `prunesAutomatically` (true): whether the writer runs retention at all. Tools that only read (`leveectl
///   history`) and tests that write dated rows set it false: a minute into a slow run, retention counted from
///   today would delete their rows under them.
/// - `setsAsideDamage` (true): a damaged file is moved aside and a new database started. A tool that only reads
///   (`leveectl history`) sets it false: moving the daemon's files is the daemon's business.
public struct HistorianConfiguration: Sendable, Hashable {
    public var path: String
    public var heartbeatSeconds: Double
    public var readingsRetentionDays: Double
    public var eventsRetentionDays: Double
    public var commandsRetentionDays: Double
    public var bufferLimit: Int
    public var recordBufferLimit: Int
    public var batchInterval: Double
    public var busyTimeout: Double
    public var maxRetryInterval: Double
    public var pruneInterval: Double
    public var pruneBatchSize: Int
    public var prunesAutomatically: Bool
    public var setsAsideDamage: Bool

    public init(
        path: String,
        heartbeatSeconds: Double = 60,
        readingsRetentionDays: Double = 90,
        eventsRetentionDays: Double = 3650,
        commandsRetentionDays: Double = 3650,
        bufferLimit: Int = 100_000,
        recordBufferLimit: Int = 10_000,
        batchInterval: Double = 0.5,
        busyTimeout: Double = 2,
        maxRetryInterval: Double = 10,
        pruneInterval: Double = 3600,
        pruneBatchSize: Int = 1000,
        prunesAutomatically: Bool = true,
        setsAsideDamage: Bool = true
    ) {
        self.path = path
        self.heartbeatSeconds = heartbeatSeconds
        self.readingsRetentionDays = readingsRetentionDays
        self.eventsRetentionDays = eventsRetentionDays
        self.commandsRetentionDays = commandsRetentionDays
        self.bufferLimit = bufferLimit
        self.recordBufferLimit = recordBufferLimit
        self.batchInterval = batchInterval
        self.busyTimeout = busyTimeout
        self.maxRetryInterval = maxRetryInterval
        self.pruneInterval = pruneInterval
        self.pruneBatchSize = pruneBatchSize
        self.prunesAutomatically = prunesAutomatically
        self.setsAsideDamage = setsAsideDamage
    }
}
