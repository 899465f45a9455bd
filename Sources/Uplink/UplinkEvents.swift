import Foundation
import HJ212
import Logging

/// Something for the journal: fixed text, with the data in metadata (the house logging style).
public struct UplinkJournalEntry: Hashable, Sendable, CustomStringConvertible {
    public var level: Logger.Level
    public var message: String
    public var metadata: [String: String]

    public init(_ level: Logger.Level, _ message: String, _ metadata: [String: String] = [:]) {
        self.level = level
        self.message = message
        self.metadata = metadata
    }

    public var description: String {
        let details = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return details.isEmpty ? "\(level): \(message)" : "\(level): \(message) (\(details))"
    }
}

/// An upload the platform acknowledged with its data reply (9014).
public struct UplinkAcknowledgement: Hashable, Sendable {
    /// 2011, 2051 or 2061.
    public var cn: CommandCode
    public var qn: String
    /// The period a minute or hourly upload covered; nil for real-time data.
    public var periodStart: Date?
    /// When the 9014 arrived.
    public var at: Date

    public init(cn: CommandCode, qn: String, periodStart: Date?, at: Date) {
        self.cn = cn
        self.qn = qn
        self.periodStart = periodStart
        self.at = at
    }
}

/// The uplink as the status page shows it.
public struct UplinkStatus: Hashable, Sendable {
    /// A TCP connection to the platform is up.
    public var connected: Bool
    /// When the current connection was made, or the last one lost.
    public var since: Date?
    /// The last upload the platform acknowledged.
    public var lastAcknowledgement: UplinkAcknowledgement?
    /// Minute and hourly periods due and not yet acknowledged.
    public var backlog: Int
    /// The QN of the upload waiting for its 9014, if any.
    public var awaitingQN: String?
    /// Why the link last failed or could not connect.
    public var lastError: String?
    public var framesSent: Int
    public var framesReceived: Int
    public var framesRejected: Int
    public var requestsServed: Int

    public init(
        connected: Bool = false,
        since: Date? = nil,
        lastAcknowledgement: UplinkAcknowledgement? = nil,
        backlog: Int = 0,
        awaitingQN: String? = nil,
        lastError: String? = nil,
        framesSent: Int = 0,
        framesReceived: Int = 0,
        framesRejected: Int = 0,
        requestsServed: Int = 0
    ) {
        self.connected = connected
        self.since = since
        self.lastAcknowledgement = lastAcknowledgement
        self.backlog = backlog
        self.awaitingQN = awaitingQN
        self.lastError = lastError
        self.framesSent = framesSent
        self.framesReceived = framesReceived
        self.framesRejected = framesRejected
        self.requestsServed = requestsServed
    }
}
