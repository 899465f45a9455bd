/// `[mqtt]`: how this leveed reaches its park over MQTT, what it publishes, and whether a park may command it.
///
/// The broker is any MQTT 3.1.1 or 5 broker: one mosquitto for a park, a clustered broker for a region. Secrets
/// (the broker password, the parks' keys) are never in this file, only the paths of files holding them.
public struct MQTTSettings: Sendable, Hashable {
    /// `broker = "host:port"` (port 1883 plain, 8883 with TLS by convention).
    public var host: String
    public var port: Int
    /// `client_id`: default `levee-<site id>`. Two clients with one id knock each other off the broker.
    public var clientID: String?
    /// `username` and `password_file` (the file's first line is the password).
    public var username: String?
    public var passwordFile: String?
    /// `tls_ca_file`: turns TLS on, verifying the broker against this CA. `tls_cert_file` and `tls_key_file` give
    /// a client certificate (both or neither). `tls_insecure`: skip the host name check (a lab broker only).
    public var tlsCAFile: String?
    public var tlsCertFile: String?
    public var tlsKeyFile: String?
    public var tlsInsecure: Bool
    /// `protocol`: "3.1.1" (default) or "5".
    public var protocolVersion: String
    /// `keepalive_s` (5...3600; default 30): how soon the broker notices a dead plant and sends its last will is
    /// about 1.5 times this.
    public var keepAliveSeconds: Int
    /// `topic_prefix` (default "levee"): the root of the topic tree (docs/mqtt.md).
    public var topicPrefix: String
    /// `publish_interval_s` (0.2...60; default 1): how often changes are looked for and published.
    public var publishIntervalSeconds: Double
    /// `refresh_s` (10...86400; default 300): every retained topic is re-sent this often, to heal a broker that lost
    /// its retained messages.
    public var refreshSeconds: Double
    /// `outbox_limit` (100...1000000; default 10000): messages held while the broker is unreachable; the oldest
    /// state messages go first when it is full, alarms and acknowledgements are kept on disk.
    public var outboxLimit: Int
    /// `accept_commands` (default false): whether a park may trip or drill this plant over MQTT at all.
    public var acceptCommands: Bool
    /// `max_clock_skew_s` (5...600; default 30): how old (or how far ahead) a park command may be.
    public var maxClockSkewSeconds: Int
    /// `[[mqtt.parks]]`: the parks allowed to command this plant, each with its shared key.
    public var parks: [ParkPeer]

    public init(
        host: String = "127.0.0.1", port: Int = 1883, clientID: String? = nil, username: String? = nil,
        passwordFile: String? = nil, tlsCAFile: String? = nil, tlsCertFile: String? = nil, tlsKeyFile: String? = nil,
        tlsInsecure: Bool = false, protocolVersion: String = "3.1.1", keepAliveSeconds: Int = 30,
        topicPrefix: String = "levee", publishIntervalSeconds: Double = 1, refreshSeconds: Double = 300,
        outboxLimit: Int = 10_000, acceptCommands: Bool = false, maxClockSkewSeconds: Int = 30,
        parks: [ParkPeer] = []
    ) {
        self.host = host
        self.port = port
        self.clientID = clientID
        self.username = username
        self.passwordFile = passwordFile
        self.tlsCAFile = tlsCAFile
        self.tlsCertFile = tlsCertFile
        self.tlsKeyFile = tlsKeyFile
        self.tlsInsecure = tlsInsecure
        self.protocolVersion = protocolVersion
        self.keepAliveSeconds = keepAliveSeconds
        self.topicPrefix = topicPrefix
        self.publishIntervalSeconds = publishIntervalSeconds
        self.refreshSeconds = refreshSeconds
        self.outboxLimit = outboxLimit
        self.acceptCommands = acceptCommands
        self.maxClockSkewSeconds = maxClockSkewSeconds
        self.parks = parks
    }
}

/// `[[mqtt.parks]]`: one park this plant takes commands from.
public struct ParkPeer: Sendable, Hashable {
    /// `id`: the park's site id, as it signs its commands.
    public var id: String
    /// `key_file`: the shared HMAC key (the file's first line, at least 16 characters). `previous_key_file`: the
    /// key being rotated out, accepted too until it is removed.
    public var keyFile: String
    public var previousKeyFile: String?
    /// `allow`: what this park may do here: any of "shutoff", "drill", "drill-check" (default all three).
    public var allow: [String]

    public static let operations = ["shutoff", "drill", "drill-check"]

    public init(id: String, keyFile: String, previousKeyFile: String? = nil, allow: [String] = ParkPeer.operations) {
        self.id = id
        self.keyFile = keyFile
        self.previousKeyFile = previousKeyFile
        self.allow = allow
    }
}

/// `[park]`: this leveed is a park instance. It polls the park's own gates (ordinary `[[devices]]`), watches its
/// plants over MQTT, and runs park plans that also trip plants through their command topics.
public struct ParkSettings: Sendable, Hashable {
    /// `plant_timeout_s` (10...3600; default 90): a plant heard nothing from for this long is shown stale.
    public var plantTimeoutSeconds: Int
    /// `command_timeout_s` (5...600; default 30): how long a plant has to acknowledge a command.
    public var commandTimeoutSeconds: Int
    /// `[[park.plants]]`.
    public var plants: [ParkPlant]
    /// `[[park.catchments]]`.
    public var catchments: [Catchment]

    public init(
        plantTimeoutSeconds: Int = 90, commandTimeoutSeconds: Int = 30, plants: [ParkPlant] = [],
        catchments: [Catchment] = []
    ) {
        self.plantTimeoutSeconds = plantTimeoutSeconds
        self.commandTimeoutSeconds = commandTimeoutSeconds
        self.plants = plants
        self.catchments = catchments
    }

    public func plant(_ id: String) -> ParkPlant? { plants.first { $0.id == id } }
    public func catchment(_ id: String) -> Catchment? { catchments.first { $0.id == id } }
    /// The plants whose water reaches `catchment`.
    public func plants(in catchment: String) -> [ParkPlant] { plants.filter { $0.catchment == catchment } }
}

/// `[[park.plants]]`: one plant the park watches and may command.
public struct ParkPlant: Sendable, Hashable {
    /// `id`: the plant's site id (its `[site] id`).
    public var id: String
    /// `name`: display name (default the id).
    public var name: String?
    /// `catchment`: the `[[park.catchments]]` its rain outlets drain to.
    public var catchment: String
    /// `key_file`: the key shared with this plant, which the park signs its commands with.
    public var keyFile: String

    public init(id: String, name: String? = nil, catchment: String, keyFile: String) {
        self.id = id
        self.name = name
        self.catchment = catchment
        self.keyFile = keyFile
    }
}

/// `[[park.catchments]]`: a part of the park's rain network and rivers, closed by one park plan.
public struct Catchment: Sendable, Hashable {
    /// What the park does when a plant in this catchment escalates.
    public enum OnEscalation: String, Sendable, Hashable, CaseIterable {
        /// Trip the catchment's plan at once.
        case auto
        /// Raise a critical alarm and wait for an operator to confirm (`leveectl park confirm`).
        case confirm
        /// Raise the alarm only.
        case alarm
    }

    /// `id`.
    public var id: String
    /// `name`: display name (default the id).
    public var name: String?
    /// `plan`: the park plan (a `[[plans]]` id over the park's gates) that closes this catchment.
    public var plan: String
    /// `on_escalation`: "auto", "confirm" (default) or "alarm".
    public var onEscalation: OnEscalation
    /// `trip_plants` (default true): also send a shutoff to every plant of the catchment when the plan trips.
    public var tripPlants: Bool

    public init(
        id: String, name: String? = nil, plan: String, onEscalation: OnEscalation = .confirm, tripPlants: Bool = true
    ) {
        self.id = id
        self.name = name
        self.plan = plan
        self.onEscalation = onEscalation
        self.tripPlants = tripPlants
    }
}

/// `[uplink]`: the HJ 212-2017 link to the ecology bureau's platform.
public struct UplinkSettings: Sendable, Hashable {
    /// `server = "host:port"`: the platform.
    public var host: String
    public var port: Int
    /// `mn`: this station's MN (up to 24 characters, as the bureau assigned it).
    public var mn: String
    /// `pw`: the access password (6 characters in the standard; it travels in clear in every frame).
    public var pw: String
    /// `st` (default 32, water pollution source).
    public var st: Int
    /// `realtime_interval_s` (`RealTimeInterval.seconds`, 5...3600; default 30): how often real-time data (2011) is
    /// sent. The platform may set it within the same range (1062).
    public var realtimeIntervalSeconds: Int
    /// `minute_interval_min` (a divisor of 60; default 10): the period of minute data (2051), the platform's
    /// MinInterval; it may change it (1064).
    public var minuteIntervalMinutes: Int
    /// `minute_data` and `hourly_data` (default true): send 2051 and 2061.
    public var minuteData: Bool
    public var hourlyData: Bool
    /// `timeout_s` (1...120; default 10) and `retries` (0...10; default 3): per the standard.
    public var timeoutSeconds: Int
    public var retries: Int
    /// `max_segment` (256...9999; default 1024): a longer message is split with PNUM/PNO.
    public var maxSegment: Int
    /// `backfill_days` (1...90; default 7): how far back unacknowledged data is sent after an outage.
    public var backfillDays: Int
    /// `allow_time_set` (default false): obey the platform's 1012 set-time request.
    public var allowTimeSet: Bool
    /// `[uplink.factors]`: point name → HJ 212 factor code (`"outfall-1.cod" = "w01018"`).
    public var factors: [String: String]

    public init(
        host: String, port: Int, mn: String, pw: String, st: Int = 32, realtimeIntervalSeconds: Int = 30,
        minuteIntervalMinutes: Int = 10, minuteData: Bool = true, hourlyData: Bool = true, timeoutSeconds: Int = 10,
        retries: Int = 3,
        maxSegment: Int = 1024, backfillDays: Int = 7, allowTimeSet: Bool = false, factors: [String: String] = [:]
    ) {
        self.host = host
        self.port = port
        self.mn = mn
        self.pw = pw
        self.st = st
        self.realtimeIntervalSeconds = realtimeIntervalSeconds
        self.minuteIntervalMinutes = minuteIntervalMinutes
        self.minuteData = minuteData
        self.hourlyData = hourlyData
        self.timeoutSeconds = timeoutSeconds
        self.retries = retries
        self.maxSegment = maxSegment
        self.backfillDays = backfillDays
        self.allowTimeSet = allowTimeSet
        self.factors = factors
    }
}
