import ModbusWire

/// `[dcs]`: the Modbus TCP server the plant's DCS (or SCADA) polls Levee through. Every key is optional; without the
/// table, or with `enabled = false`, leveed opens no Modbus port at all.
///
/// Reads are the point of it. Writes are few, off unless each is named here, and none of them opens anything: a
/// shutoff coil per listed plan, a reset request and an acknowledge-all coil, each acting only on a rising edge
/// the DCS holds for `write_hold_ms`.
public struct DCSSettings: Sendable, Hashable {
    /// `enabled`: serve Modbus TCP at all (default false).
    public var enabled: Bool
    /// The host part of `listen = "host:port"` (default "127.0.0.1": this machine only).
    public var host: String
    /// The port part of `listen` (1...65535; default 502, which needs CAP_NET_BIND_SERVICE under systemd).
    public var port: Int
    /// `allow`: the client addresses that may connect (IPv4 or IPv6, written as the kernel prints them). Default
    /// `["127.0.0.1", "::1"]`. Anything else is disconnected at once, before it has sent a byte.
    public var allow: [String]
    /// `unit_id`: the Modbus unit (slave) id Levee answers as, 1...247 (default 1). 255 is always answered too, as
    /// the TCP guide allows for a server that is not a gateway.
    public var unitID: Int
    /// `word_order`: how the float32 and int32 values sit in their two registers ("ABCD", "CDAB", "BADC", "DCBA";
    /// default "ABCD", the Modbus spec's big-endian order).
    public var wordOrder: WordOrder
    /// `int_scale`: the int16 and int32 copies of each measured value hold round(value × int_scale) (1...10000;
    /// default 10). States (bools) are 0 or 1, never scaled.
    public var intScale: Int
    /// `update_ms`: how often the register image is rebuilt from the live state (50...10000; default 200).
    public var updateMs: Int
    /// `max_clients`: connections held at once (1...64; default 8). A new connection beyond it closes the oldest
    /// one that has sent nothing, else the quietest, so a flood of idle connections cannot lock out a polling DCS.
    public var maxClients: Int
    /// `idle_timeout_s`: a connection that sends no complete request for this long is closed (1...3600; default 60).
    public var idleTimeoutSeconds: Int
    /// `frame_timeout_ms`: a request started must be complete within this, or the connection is closed (100...60000;
    /// default 2000).
    public var frameTimeoutMs: Int
    /// `lock_file`: where the address assignments are kept across restarts (relative paths from the configuration
    /// file's folder; default `dcs-map.lock` next to the historian's database).
    public var lockFile: String?
    /// `shutoff_coils = ["plant-wide", ...]`: the plans the DCS may trip, each by its own coil (default none).
    public var shutoffCoils: [String]
    /// `reset_coil`: the DCS may request a reset of the latch, under the same rules as leveectl (default false).
    public var resetCoil: Bool
    /// `ack_coil`: the DCS may acknowledge every unacknowledged alarm (default false).
    public var ackCoil: Bool
    /// `write_hold_ms`: how long a coil must stay 1 after its rising edge before it acts (100...10000; default 1000).
    public var writeHoldMs: Int

    public init(
        enabled: Bool = false, host: String = "127.0.0.1", port: Int = 502, allow: [String] = ["127.0.0.1", "::1"],
        unitID: Int = 1, wordOrder: WordOrder = .abcd, intScale: Int = 10, updateMs: Int = 200, maxClients: Int = 8,
        idleTimeoutSeconds: Int = 60, frameTimeoutMs: Int = 2000, lockFile: String? = nil, shutoffCoils: [String] = [],
        resetCoil: Bool = false, ackCoil: Bool = false, writeHoldMs: Int = 1000
    ) {
        self.enabled = enabled
        self.host = host
        self.port = port
        self.allow = allow
        self.unitID = unitID
        self.wordOrder = wordOrder
        self.intScale = intScale
        self.updateMs = updateMs
        self.maxClients = maxClients
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.frameTimeoutMs = frameTimeoutMs
        self.lockFile = lockFile
        self.shutoffCoils = shutoffCoils
        self.resetCoil = resetCoil
        self.ackCoil = ackCoil
        self.writeHoldMs = writeHoldMs
    }

    /// `listen` as it would be written in the file.
    public var listen: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The lock file's path: the configured one, or `dcs-map.lock` beside `historianPath`.
    public func lockFilePath(historianPath: String) -> String {
        if let lockFile { return lockFile }
        guard let slash = historianPath.lastIndex(of: "/") else { return "dcs-map.lock" }
        return String(historianPath[...slash]) + "dcs-map.lock"
    }
}
