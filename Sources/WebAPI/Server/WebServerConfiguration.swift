import ControlAPI
import Foundation

/// What a user of the HTTP API may do: the control protocol's `ControlRole`, which the daemon also uses to
/// decide what a caller acting through levee-web may do.
public typealias APIRole = ControlRole

/// One account: a name for the journal, a role, and the SHA-256 of its bearer token (64 hex digits).
public struct APIUser: Sendable, Hashable {
    public var name: String
    public var role: APIRole
    public var tokenSHA256: String

    public init(name: String, role: APIRole, tokenSHA256: String) {
        self.name = name
        self.role = role
        self.tokenSHA256 = tokenSHA256
    }
}

/// How the HTTP API listens, whom it lets in, and its limits.
///
/// The first six match `[http]` and `[[users]]` in the configuration; the rest have defaults that suit a plant and
/// exist so that tests can shorten them.
public struct WebServerConfiguration: Sendable {
    /// The address to bind: a host name, an IPv4 address, or an IPv6 one without brackets.
    public var host: String
    /// The TCP port; 0 asks the system for a free one (tests).
    public var port: Int
    public var users: [APIUser]
    /// Failed authentications one source address may make within `loginWindow` before it is refused (429).
    public var loginFailures: Int
    public var loginWindow: Duration
    /// The most readings a history request returns without a `step`.
    public var maxHistoryPoints: Int
    /// The dashboard's files; nil serves the ones bundled with WebAPI (`Resources/dashboard`).
    public var dashboardDirectory: URL?
    /// The Chart.js build served at `/vendor/chart.js`: by default the UMD build Debian 12's `libjs-chart.js` (3.9)
    /// installs.
    public var chartJS: URL?
    /// How long a request waits for the daemon or the historian before it gets 504. The control handler gives up
    /// on a request after 30 s, so the default leaves it time to say why.
    public var requestTimeout: Duration
    /// How often each live stream looks at the clock, for the status, a keep-alive or the server stopping. The
    /// journal does not wait for it: entries come from the ``JournalHub`` as they are recorded.
    public var streamPollInterval: Duration
    /// How often each live stream sends the site status.
    public var statusInterval: Duration
    /// How long a live stream may be silent before it sends a keep-alive comment.
    public var keepaliveInterval: Duration
    /// How long one write to a live stream may wait for a client that does not read before the connection is
    /// dropped. The client reconnects with `Last-Event-ID` and misses nothing still stored.
    public var streamWriteTimeout: Duration
    /// The Prometheus text exposition served at `/metrics` (to a viewer token), or nil when it cannot be had now
    /// (503); no closure answers 404.
    public var metrics: (@Sendable () async -> String?)?
    /// The most connections served at once. Past it, new connections wait in the kernel's listen queue (holding no
    /// file descriptor of leveed's) until one closes, so a flood of connections can never take the descriptors the
    /// field buses and the historian need. Well below the unit's `LimitNOFILE=8192`.
    public var maxConnections: Int = 512
    /// A connection that sends no request for this long is closed: an idle or half-sent request (slowloris) holds
    /// a connection for at most this. A live stream being answered is never idle.
    public var idleTimeout: Duration = .seconds(30)

    public init(
        host: String = "127.0.0.1", port: Int = 8080, users: [APIUser], loginFailures: Int = 5,
        loginWindow: Duration = .seconds(60), maxHistoryPoints: Int = 100_000, dashboardDirectory: URL? = nil,
        chartJS: URL? = URL(fileURLWithPath: "/usr/share/javascript/chart.js/chart.min.js"),
        requestTimeout: Duration = .seconds(40), streamPollInterval: Duration = .milliseconds(300),
        statusInterval: Duration = .seconds(2), keepaliveInterval: Duration = .seconds(15),
        streamWriteTimeout: Duration = .seconds(30), metrics: (@Sendable () async -> String?)? = nil
    ) {
        self.metrics = metrics
        self.host = host
        self.port = port
        self.users = users
        self.loginFailures = loginFailures
        self.loginWindow = loginWindow
        self.maxHistoryPoints = maxHistoryPoints
        self.dashboardDirectory = dashboardDirectory
        self.chartJS = chartJS
        self.requestTimeout = requestTimeout
        self.streamPollInterval = streamPollInterval
        self.statusInterval = statusInterval
        self.keepaliveInterval = keepaliveInterval
        self.streamWriteTimeout = streamWriteTimeout
    }
}

/// A configuration WebServer cannot run with, naming what is wrong.
public struct WebServerConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
}
