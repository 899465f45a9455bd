/// One MQTT message to publish: what the MQTT client needs to send it and to keep it while the broker is away.
public struct ParkMessage: Sendable, Hashable, CustomStringConvertible {
    public enum QoS: Int, Sendable, Hashable, Codable {
        case atMostOnce = 0
        case atLeastOnce = 1
    }

    public var topic: String
    /// UTF-8 JSON; empty to clear a retained topic (a device that left the configuration).
    public var payload: [UInt8]
    public var qos: QoS
    /// The broker keeps the last one for subscribers that arrive later.
    public var retain: Bool
    /// Kept on disk while the broker is unreachable and sent in order after a restart: alarm transitions,
    /// escalations and command acknowledgements, which the park must not miss.
    public var durable: Bool
    /// An unsent older message on the same topic may be dropped for this one: only the latest state matters.
    public var coalesce: Bool

    public init(topic: String, payload: [UInt8], qos: QoS, retain: Bool, durable: Bool, coalesce: Bool) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.durable = durable
        self.coalesce = coalesce
    }

    /// Retained state, QoS 1, the newest one wins.
    static func state(_ topic: String, _ payload: [UInt8]) -> ParkMessage {
        ParkMessage(topic: topic, payload: payload, qos: .atLeastOnce, retain: true, durable: false, coalesce: true)
    }

    public var description: String {
        "\(topic) qos=\(qos.rawValue)\(retain ? " retain" : "")\(durable ? " durable" : "") "
            + String(decoding: payload, as: UTF8.self)
    }
}
