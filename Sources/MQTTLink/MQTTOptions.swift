import CMosquitto

/// Everything `MQTTClient` needs to reach a broker and to keep messages while it cannot.
///
/// Keys (the names `MQTTConfigurationError` reports):
/// - `host`, `port` (1...65535, default 1883; 8883 is usual for TLS), `clientID` (non-empty, UTF-8, at most 65535
///   bytes; the broker disconnects an older connection with the same id).
/// - `username`, `password`: passed to `mosquitto_username_pw_set`. MQTT 3.1.1 allows a password only with a user.
/// - `tls`: see `TLS`. Without it the connection is plain TCP.
/// - `keepalive`: 5...65535 s (libmosquitto's rule), default 30 s. It is also the connect timeout: libmosquitto
///   abandons an attempt that has had no CONNACK within one keepalive.
/// - `protocolVersion`: `.v311` (default) or `.v5`.
/// - `will`: the last will the broker publishes if this client vanishes without DISCONNECT.
/// - `reconnectBackoff`: `min`...`max` between attempts, doubling with jitter; reset by a successful CONNACK.
/// - `outbox`: bounds on what waits for the broker, `maxInflight` and `coalesceRetained`; see `Outbox`.
/// - `persistencePath`: the journal file for `durable: true` messages; its directory must exist and be writable.
public struct MQTTOptions: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var clientID: String
    public var username: String?
    public var password: String?
    public var tls: TLS?
    public var keepalive: Duration
    public var protocolVersion: ProtocolVersion
    public var will: Will?
    public var reconnectBackoff: Backoff
    public var outbox: Outbox
    /// The journal for `durable: true` messages; `nil` keeps them in memory only.
    public var persistencePath: String?

    public init(host: String, port: Int = 1883, clientID: String) {
        self.host = host
        self.port = port
        self.clientID = clientID
        self.keepalive = .seconds(30)
        self.protocolVersion = .v311
        self.reconnectBackoff = Backoff()
        self.outbox = Outbox()
    }

    public enum ProtocolVersion: Sendable, Hashable {
        case v311
        case v5

        var mosquittoValue: Int32 {
            switch self {
            case .v311: Int32(MQTT_PROTOCOL_V311)
            case .v5: Int32(MQTT_PROTOCOL_V5)
            }
        }
    }

    /// TLS as `mosquitto_tls_set`, `mosquitto_tls_opts_set` and `mosquitto_tls_insecure_set` take it.
    ///
    /// Keys: `caFile` or `caPath` (one is required; `caPath` must hold `c_rehash` links, `/etc/ssl/certs` does),
    /// `certFile` and `keyFile` (both or neither, PEM, the key unencrypted: libmosquitto's password callback is not
    /// offered), `insecureSkipHostnameCheck` (accepts any server name the CA signed; tests only), `version`
    /// (`"tlsv1.2"` or `"tlsv1.3"`, default libmosquitto's), `ciphers` (an OpenSSL cipher list).
    public struct TLS: Sendable, Hashable {
        public var caFile: String?
        public var caPath: String?
        public var certFile: String?
        public var keyFile: String?
        public var insecureSkipHostnameCheck: Bool
        public var version: String?
        public var ciphers: String?

        public init(
            caFile: String? = nil, caPath: String? = nil, certFile: String? = nil, keyFile: String? = nil,
            insecureSkipHostnameCheck: Bool = false, version: String? = nil, ciphers: String? = nil
        ) {
            self.caFile = caFile
            self.caPath = caPath
            self.certFile = certFile
            self.keyFile = keyFile
            self.insecureSkipHostnameCheck = insecureSkipHostnameCheck
            self.version = version
            self.ciphers = ciphers
        }
    }

    /// The message the broker publishes for this client when its connection ends without DISCONNECT.
    public struct Will: Sendable, Hashable {
        public var topic: String
        public var payload: [UInt8]
        public var qos: MQTTQoS
        public var retain: Bool

        public init(topic: String, payload: [UInt8], qos: MQTTQoS = .atLeastOnce, retain: Bool = false) {
            self.topic = topic
            self.payload = payload
            self.qos = qos
            self.retain = retain
        }
    }

    /// The wait between connection attempts: `min` after the first failure, doubling up to `max`, each wait drawn
    /// from its upper half so that many plants do not return to a restarted broker in step.
    public struct Backoff: Sendable, Hashable {
        public var min: Duration
        public var max: Duration

        public init(min: Duration = .milliseconds(500), max: Duration = .seconds(30)) {
            self.min = min
            self.max = max
        }
    }

    /// Bounds on the outbox, which holds every message from `publish` until libmosquitto has written it (QoS 0)
    /// or the broker has acknowledged it (QoS 1 and 2).
    ///
    /// Keys: `maxMessages` (default 10 000) and `maxBytes` (topic plus payload, default 8 MiB): past either, the
    /// oldest non-durable message not yet handed to libmosquitto is dropped, and a durable one only when none is
    /// left. `maxInflight` (default 20) is how many messages are handed to libmosquitto at once; the rest wait in
    /// order. `coalesceRetained` (default false): a retained, non-durable message replaces an unsent retained,
    /// non-durable one on the same topic, since a park only needs the latest state.
    public struct Outbox: Sendable, Hashable {
        public var maxMessages: Int
        public var maxBytes: Int
        public var maxInflight: Int
        public var coalesceRetained: Bool

        public init(
            maxMessages: Int = 10_000, maxBytes: Int = 8 << 20, maxInflight: Int = 20, coalesceRetained: Bool = false
        ) {
            self.maxMessages = maxMessages
            self.maxBytes = maxBytes
            self.maxInflight = maxInflight
            self.coalesceRetained = coalesceRetained
        }
    }
}

/// MQTT's delivery levels.
///
/// Across a reconnect every level is at least once here, because the outbox re-sends whatever was not finished on
/// a fresh session (see `MQTTClient`); QoS 2 still avoids duplicates within one connection.
public enum MQTTQoS: Int32, Sendable, Hashable, Comparable {
    case atMostOnce = 0
    case atLeastOnce = 1
    case exactlyOnce = 2

    public static func < (a: MQTTQoS, b: MQTTQoS) -> Bool { a.rawValue < b.rawValue }
}

/// A message received on a subscription.
public struct MQTTMessage: Sendable, Hashable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: MQTTQoS
    /// True when the broker sent it from its retained store (a subscriber's first view of a state topic).
    public var retain: Bool

    public init(topic: String, payload: [UInt8], qos: MQTTQoS, retain: Bool) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }

    /// The payload as UTF-8 text (invalid bytes replaced).
    public var text: String { String(decoding: payload, as: UTF8.self) }
}

/// Where the connection stands.
public enum MQTTConnectionState: Sendable, Hashable {
    /// No connection and none being attempted: before `start()`, between attempts, after `stop()`.
    case disconnected
    /// A TCP/TLS connection is being made or CONNECT is awaiting CONNACK.
    case connecting
    /// CONNACK accepted: the outbox is being sent.
    case connected
}

/// The connection state with the last failure, which stays set after recovery so an operator can see what happened.
public struct MQTTConnectionStatus: Sendable, Hashable {
    public var state: MQTTConnectionState
    public var lastError: MQTTError?

    public init(state: MQTTConnectionState, lastError: MQTTError? = nil) {
        self.state = state
        self.lastError = lastError
    }
}

/// Counters since the client was made, and the outbox's current size.
public struct MQTTStatistics: Sendable, Hashable {
    /// Messages in the outbox, in flight included.
    public var queued = 0
    /// Their topic and payload bytes.
    public var queuedBytes = 0
    /// Handed to libmosquitto and not yet written (QoS 0) or acknowledged (QoS 1, 2).
    public var inflight = 0
    /// PUBLISH packets handed to libmosquitto, re-sends included.
    public var sent: UInt64 = 0
    /// Finished: written for QoS 0, PUBACK/PUBCOMP for QoS 1/2.
    public var acknowledged: UInt64 = 0
    /// Handed out again after a reconnect because they had not been acknowledged.
    public var resent: UInt64 = 0
    /// Dropped from a full outbox, durable ones included.
    public var dropped: UInt64 = 0
    /// Durable messages dropped from a full outbox (only once no non-durable one was left to drop).
    public var droppedDurable: UInt64 = 0
    /// Retained messages replaced by a newer one on the same topic before they were sent.
    public var coalesced: UInt64 = 0
    /// Refused for good: by libmosquitto (too large for the broker, say) or by an MQTT 5 PUBACK reason >= 0x80.
    public var rejected: UInt64 = 0
    /// Successful connections after the first.
    public var reconnects: UInt64 = 0
    /// Connection attempts, successful or not.
    public var connectAttempts: UInt64 = 0
    /// Messages received on subscriptions.
    public var received: UInt64 = 0
    /// Subscription filters the broker granted on the current connection.
    public var subscribed = 0
    /// Durable messages restored from the journal at start.
    public var restored = 0
    /// Failed journal writes (the message stays in memory and is still sent).
    public var journalErrors: UInt64 = 0
    /// Why the journal could not be opened at start, when it could not: durable messages are then kept in memory
    /// only, and lost if the daemon stops before they are sent.
    public var journalFault: String?

    public init() {}
}

/// A handle for `MQTTClient.unsubscribe(_:)`.
public struct MQTTSubscription: Sendable, Hashable {
    public let filter: String
    let id: UInt64
}
