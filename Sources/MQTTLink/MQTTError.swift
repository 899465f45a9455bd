import CMosquitto
import Foundation

/// A failure reported by libmosquitto: its `MOSQ_ERR_*` code, the call that failed, and the text that explains it.
///
/// The text is taken when the error is made, because `mosquitto_strerror(MOSQ_ERR_ERRNO)` reads the thread's
/// current `errno`, and a refused CONNACK is only explained by its reason code.
public struct MQTTError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The libmosquitto result code (`MOSQ_ERR_*`).
    public var code: Int32
    /// The failing call, such as `mosquitto_connect_async`, or the packet, such as `CONNACK`.
    public var operation: String
    /// `errno` for `MOSQ_ERR_ERRNO`, the `getaddrinfo` code for `MOSQ_ERR_EAI`.
    public var systemCode: Int32?
    /// The broker's CONNACK return code (MQTT 3.1.1) or reason code (MQTT 5) when it refused the connection.
    public var reasonCode: Int32?
    /// The explanation: `mosquitto_strerror`, `strerror`, `gai_strerror` or the CONNACK reason text.
    public var message: String
    /// What libmosquitto logged at error level during the failing attempt (an OpenSSL error, say), if anything.
    public var detail: String?

    public var description: String {
        var text = "\(operation): \(message)"
        if let detail, !detail.isEmpty { text += " (\(detail))" }
        return text
    }

    /// True when the broker refused the credentials: CONNACK 4/5 in MQTT 3.1.1, reason 0x86/0x87 in MQTT 5.
    public var isAuthorizationFailure: Bool {
        guard code == Mosq.connRefused, let reasonCode else { return false }
        return [4, 5, 0x86, 0x87].contains(reasonCode)
    }

    init(
        code: Int32, operation: String, systemCode: Int32? = nil, reasonCode: Int32? = nil, message: String,
        detail: String? = nil
    ) {
        self.code = code
        self.operation = operation
        self.systemCode = systemCode
        self.reasonCode = reasonCode
        self.message = message
        self.detail = detail
    }

    /// Wraps a result code from libmosquitto, reading `errno` at once (call this straight after the failing call).
    static func library(_ code: Int32, _ operation: String, detail: String? = nil) -> MQTTError {
        let saved = errno
        switch code {
        case Mosq.errno:
            return MQTTError(
                code: code, operation: operation, systemCode: saved, message: String(cString: strerror(saved)),
                detail: detail)
        case Mosq.eai:
            return MQTTError(
                code: code, operation: operation, systemCode: saved,
                message: "name lookup failed: " + String(cString: gai_strerror(saved)), detail: detail)
        default:
            return MQTTError(
                code: code, operation: operation, message: String(cString: mosquitto_strerror(code)), detail: detail)
        }
    }

    /// The broker answered CONNECT with a refusal.
    static func refused(_ reason: Int32, protocolVersion: MQTTOptions.ProtocolVersion) -> MQTTError {
        let text =
            switch protocolVersion {
            case .v311: String(cString: mosquitto_connack_string(reason))
            case .v5: String(cString: mosquitto_reason_string(reason))
            }
        return MQTTError(
            code: Mosq.connRefused, operation: "CONNACK", reasonCode: reason, message: "broker refused: \(text)")
    }

    /// Misuse of this client rather than a libmosquitto failure (publishing after `stop()`, say).
    static func client(_ code: Int32, _ operation: String, _ message: String) -> MQTTError {
        MQTTError(code: code, operation: operation, message: message)
    }
}

/// A configuration mistake found by `MQTTClient.init`: the option's key path and the rule it breaks.
///
/// Key paths are the `MQTTOptions` property names (`tls.caFile`, `outbox.maxMessages`); the daemon prefixes its own
/// section name when it maps its configuration file onto `MQTTOptions`.
public struct MQTTConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public var key: String
    public var message: String
    /// The libmosquitto failure behind the mistake, when libmosquitto found it.
    public var underlying: MQTTError?
    public var description: String { "\(key): \(message)" }
}

/// A failed system call on the persistence journal: the `errno`, the call and the file.
public struct MQTTJournalError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: Int32
    public var operation: String
    public var path: String
    public var description: String {
        code == 0 ? "\(operation) \(path)" : "\(operation) \(path): \(String(cString: strerror(code)))"
    }

    /// Another client or process holds the journal's lock: a configuration mistake (two daemons on one journal),
    /// unlike a disk that cannot be written.
    public var isInUse: Bool { code == 0 && operation.hasPrefix(Self.inUse) }

    static let inUse = "in use by another MQTT client or process"
}

/// libmosquitto's result codes as `Int32`: the C enum imports as a struct, while every call returns `int`.
enum Mosq {
    static let success = MOSQ_ERR_SUCCESS.rawValue
    static let nomem = MOSQ_ERR_NOMEM.rawValue
    static let noConn = MOSQ_ERR_NO_CONN.rawValue
    static let connRefused = MOSQ_ERR_CONN_REFUSED.rawValue
    static let connLost = MOSQ_ERR_CONN_LOST.rawValue
    static let inval = MOSQ_ERR_INVAL.rawValue
    static let payloadSize = MOSQ_ERR_PAYLOAD_SIZE.rawValue
    static let errno = MOSQ_ERR_ERRNO.rawValue
    static let eai = MOSQ_ERR_EAI.rawValue
    static let tls = MOSQ_ERR_TLS.rawValue
    static let malformedUTF8 = MOSQ_ERR_MALFORMED_UTF8.rawValue
    static let keepalive = MOSQ_ERR_KEEPALIVE.rawValue
    static let notSupported = MOSQ_ERR_NOT_SUPPORTED.rawValue
    static let qosNotSupported = MOSQ_ERR_QOS_NOT_SUPPORTED.rawValue
    static let oversizePacket = MOSQ_ERR_OVERSIZE_PACKET.rawValue

    /// Errors that `mosquitto_publish` reports about the message itself: resending it would fail again.
    static let messageErrors: Set<Int32> = [inval, payloadSize, malformedUTF8, qosNotSupported, oversizePacket]
}
