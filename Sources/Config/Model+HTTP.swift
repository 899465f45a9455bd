/// `[http]`: the HTTP API and web dashboard for the control room, the park and the bureau. Every key is optional;
/// no table, or an empty one, gives the defaults.
public struct HTTPSettings: Sendable, Hashable {
    /// `enabled`: whether levee-web serves HTTP at all (default true; false makes levee-web exit at once).
    public var enabled: Bool
    /// The host part of `listen = "host:port"` (default "127.0.0.1": this machine only). An IPv6 address is written
    /// in brackets in the file (`"[::1]:8080"`) and kept here without them.
    public var host: String
    /// The port part of `listen` (1...65535; default 8080).
    public var port: Int
    /// `login_failures`: failed authentications one source address may make within `login_window_s` before it is
    /// refused (429), good token or not, until the window has passed (1...1000; default 5).
    public var loginFailures: Int
    /// `login_window_s`: the window those failures are counted over, seconds (1...3600; default 60).
    public var loginWindowSeconds: Int
    /// `max_history_points`: the most readings one history request returns without downsampling; a wider range
    /// needs a `step` (1000...10000000; default 100000).
    public var maxHistoryPoints: Int

    public init(
        enabled: Bool = true, host: String = "127.0.0.1", port: Int = 8080, loginFailures: Int = 5,
        loginWindowSeconds: Int = 60, maxHistoryPoints: Int = 100_000
    ) {
        self.enabled = enabled
        self.host = host
        self.port = port
        self.loginFailures = loginFailures
        self.loginWindowSeconds = loginWindowSeconds
        self.maxHistoryPoints = maxHistoryPoints
    }

    /// `listen` as it would be written in the file: `host:port`, an IPv6 host in brackets.
    public var listen: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// `[[users]]`: one person or team allowed to use the HTTP API, with the role that decides what they may do.
///
/// The token itself is never in the file, only its SHA-256, so that a copy of the configuration (in a backup, a
/// ticket, a bureau's inspection folder) gives nobody access.
public struct User: Sendable, Hashable {
    /// What a user may do. Each role may do everything the ones below it may.
    public enum Role: String, Sendable, Hashable, CaseIterable, Comparable {
        /// Read status, alarms, history, events and drill reports: the ecology bureau, a screen in the lobby.
        /// A viewer can never move a valve.
        case viewer
        /// Also trip, reset, restore, escalate, acknowledge and shelve alarms, move valves, run drills: the plant's
        /// operators and the park's emergency team.
        case `operator`
        /// Also bypass interlocks and override a reset: the plant's safety engineer.
        case admin

        /// The order of power: viewer < operator < admin.
        private var rank: Int {
            switch self {
            case .viewer: 0
            case .operator: 1
            case .admin: 2
            }
        }

        public static func < (a: Role, b: Role) -> Bool { a.rank < b.rank }
    }

    /// `name`: who this is, as the journal records it (an identifier; unique).
    public var name: String
    /// `role`: "viewer", "operator" or "admin".
    public var role: Role
    /// `token_sha256`: the SHA-256 of the user's bearer token as 64 lowercase hex digits
    /// (`printf %s "$TOKEN" | sha256sum`).
    public var tokenSHA256: String

    public init(name: String, role: Role, tokenSHA256: String) {
        self.name = name
        self.role = role
        self.tokenSHA256 = tokenSHA256
    }
}
