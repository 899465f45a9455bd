import Foundation

/// The Modbus TCP link to the plant's DCS (`[dcs]`), when enabled: who is connected, when each last asked, and what
/// was refused.
public struct DCSLinkSummary: Codable, Sendable, Hashable {
    public var listen: String
    public var clients: [DCSClientSummary]
    /// Writes answered with an exception: a coil not enabled, or a register.
    public var refusedWrites: Int
    /// Connections closed at once: an address not allowed, or pushed out past `max_clients`.
    public var refusedConnections: Int
    /// Connections closed for garbage, an unfinished request or silence.
    public var droppedConnections: Int
    /// Coil actions carried out.
    public var coilActions: Int

    public init(
        listen: String, clients: [DCSClientSummary], refusedWrites: Int, refusedConnections: Int,
        droppedConnections: Int, coilActions: Int
    ) {
        self.listen = listen
        self.clients = clients
        self.refusedWrites = refusedWrites
        self.refusedConnections = refusedConnections
        self.droppedConnections = droppedConnections
        self.coilActions = coilActions
    }
}

public struct DCSClientSummary: Codable, Sendable, Hashable {
    public var address: String
    public var connectedAt: Date
    /// Nil until the client has sent a whole request.
    public var lastRequestAt: Date?
    public var requests: Int

    public init(address: String, connectedAt: Date, lastRequestAt: Date?, requests: Int) {
        self.address = address
        self.connectedAt = connectedAt
        self.lastRequestAt = lastRequestAt
        self.requests = requests
    }
}
