/// `[notify]`, `[[notify.channels]]`, `[[notify.rules]]` and `[[notify.oncall]]`: who is told of which alarm, how,
/// and who is told next when nobody acknowledges. levee-notify reads these; leveed ignores them.
///
/// Secrets (a robot's webhook key, DingTalk's signing secret, a platform's bearer token) are never in this file, only
/// the paths of files holding them, as for `[mqtt]`: a copy of the configuration gives nobody the right to post to
/// the plant's duty group.
public struct NotifySettings: Sendable, Hashable {
    /// `enabled`: whether levee-notify sends anything (default false; false makes it exit at once with status 0).
    public var enabled: Bool
    /// `outbox`: the outbox's SQLite file, owned by levee-notify (default "/var/lib/levee/notify.sqlite").
    public var outboxPath: String
    /// `dashboard_url`: the dashboard's base URL; messages link to its alarm page when set. No secret belongs in it.
    public var dashboardURL: String?
    /// `escalate_after_s`: how long a rung has to acknowledge before the next rung is told as well, seconds
    /// (10...86400; default 600). A rule may set its own.
    public var escalateAfterSeconds: Int
    /// `coalesce_s`: a repeat of an alarm already notified within this many seconds is counted, not sent again
    /// (0...86400; default 900).
    public var coalesceSeconds: Int
    /// `rate_limit`: the most messages one person is sent within `rate_period_s` (1...1000; default 5). What comes
    /// beyond it is held and sent as one summary when the window ends.
    public var rateLimit: Int
    /// `rate_period_s`: the window the rate limit counts over, seconds (10...86400; default 300).
    public var rateWindowSeconds: Int
    /// `retry_min_s`: the first wait after a failed send, seconds; it doubles per failure up to `retry_max_s`
    /// (1...3600; default 5).
    public var retryMinSeconds: Int
    /// `retry_max_s`: the longest wait between two tries of one message, seconds (1...86400; default 300).
    public var retryMaxSeconds: Int
    /// `give_up_after_s`: a message not delivered within this many seconds of being recorded is given up and
    /// journaled as failed (60...604800; default 86400).
    public var giveUpAfterSeconds: Int
    public var channels: [NotifyChannel]
    public var rules: [NotifyRule]
    public var oncall: [OnCallEntry]

    public init(
        enabled: Bool = false, outboxPath: String = "/var/lib/levee/notify.sqlite", dashboardURL: String? = nil,
        escalateAfterSeconds: Int = 600, coalesceSeconds: Int = 900, rateLimit: Int = 5, rateWindowSeconds: Int = 300,
        retryMinSeconds: Int = 5, retryMaxSeconds: Int = 300, giveUpAfterSeconds: Int = 86400,
        channels: [NotifyChannel] = [], rules: [NotifyRule] = [], oncall: [OnCallEntry] = []
    ) {
        self.enabled = enabled
        self.outboxPath = outboxPath
        self.dashboardURL = dashboardURL
        self.escalateAfterSeconds = escalateAfterSeconds
        self.coalesceSeconds = coalesceSeconds
        self.rateLimit = rateLimit
        self.rateWindowSeconds = rateWindowSeconds
        self.retryMinSeconds = retryMinSeconds
        self.retryMaxSeconds = retryMaxSeconds
        self.giveUpAfterSeconds = giveUpAfterSeconds
        self.channels = channels
        self.rules = rules
        self.oncall = oncall
    }
}

/// `[[notify.channels]]`: one way of reaching people.
public struct NotifyChannel: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A GSM/4G modem on a serial port, AT commands in PDU mode (UCS2 text). Works when the internet is down.
        case sms
        /// A WeCom (企业微信) group robot.
        case wecom
        /// A DingTalk (钉钉) group robot, signed when `secret_file` is set.
        case dingtalk
        /// A JSON POST to the park's or the bureau's own platform.
        case webhook
        /// E-mail through the local MTA's `sendmail`: for reports rather than emergencies.
        case email
    }

    /// `id`: how rules and people name the channel (an identifier; unique).
    public var id: String
    /// `type`: one of `Kind`.
    public var kind: Kind
    /// `device` (sms): the modem's serial device, such as "/dev/ttyUSB2".
    public var device: String?
    /// `baud` (sms): 300...4000000 (default 115200).
    public var baud: Int
    /// `url` (webhook): where the JSON is posted. WeCom and DingTalk take `url_file` instead: their URL holds the key.
    public var url: String?
    /// `url_file` (wecom, dingtalk, webhook): a file whose first line is the URL, key or token included.
    public var urlFile: String?
    /// `secret_file` (dingtalk): a file whose first line is the robot's signing secret ("SEC..."); with it every
    /// request is signed (timestamp and HMAC-SHA256).
    public var secretFile: String?
    /// `token_file` (webhook): a file whose first line is sent as `Authorization: Bearer ...`.
    public var tokenFile: String?
    /// `sendmail` (email): the MTA's sendmail program (default "/usr/sbin/sendmail").
    public var sendmail: String
    /// `from` (email): the sender address.
    public var from: String?
    /// `send_timeout_s`: how long one send may take before it counts as failed, seconds (1...300; default 20).
    public var timeoutSeconds: Int

    public init(
        id: String, kind: Kind, device: String? = nil, baud: Int = 115_200, url: String? = nil,
        urlFile: String? = nil, secretFile: String? = nil, tokenFile: String? = nil,
        sendmail: String = "/usr/sbin/sendmail", from: String? = nil, timeoutSeconds: Int = 20
    ) {
        self.id = id
        self.kind = kind
        self.device = device
        self.baud = baud
        self.url = url
        self.urlFile = urlFile
        self.secretFile = secretFile
        self.tokenFile = tokenFile
        self.sendmail = sendmail
        self.from = from
        self.timeoutSeconds = timeoutSeconds
    }
}

/// What happened, as rules select it.
public enum NotifyEventKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// An alarm went active (any priority, filtered further by `priorities`).
    case alarm
    /// A shutoff was tripped, automatically or by hand.
    case trip
    /// The plant escalated to the park.
    case escalation
    /// A valve failed to reach its commanded position within its stroke time.
    case valveFailed = "valve-failed"
    /// A verification drill started or ended.
    case drill
    /// Levee itself is unhealthy: a device or bus not answering, storage failing, a link to the park or the bureau
    /// down.
    case health
}

/// `[[notify.rules]]`: which events are told to the on-call ladder. An event matches a rule when it matches every
/// list the rule gives (an absent list matches everything); it is notified when any rule matches.
public struct NotifyRule: Sendable, Hashable {
    /// `id`: an identifier (unique).
    public var id: String
    /// `kinds`: the events it takes (default all).
    public var kinds: Set<NotifyEventKind>?
    /// `priorities`: alarm priorities it takes: critical, high, medium, low (alarm events only).
    public var priorities: Set<String>?
    /// `groups`: device groups it takes.
    public var groups: Set<String>?
    /// `devices`: device ids it takes.
    public var devices: Set<String>?
    /// `first_rung`: the rung told first, 1...9 (default 1).
    public var firstRung: Int
    /// `last_rung`: escalation stops after this rung, 1...9 (default 9, the top of the ladder).
    public var lastRung: Int
    /// `escalate_after_s`: this rule's own time to acknowledge before the next rung, seconds (10...86400; default
    /// `[notify] escalate_after_s`).
    public var escalateAfterSeconds: Int?
    /// `acknowledge`: whether people are asked to acknowledge and the ladder climbs without it (default true). A
    /// drill or a health report may be for information only.
    public var acknowledge: Bool

    public init(
        id: String, kinds: Set<NotifyEventKind>? = nil, priorities: Set<String>? = nil, groups: Set<String>? = nil,
        devices: Set<String>? = nil, firstRung: Int = 1, lastRung: Int = 9, escalateAfterSeconds: Int? = nil,
        acknowledge: Bool = true
    ) {
        self.id = id
        self.kinds = kinds
        self.priorities = priorities
        self.groups = groups
        self.devices = devices
        self.firstRung = firstRung
        self.lastRung = lastRung
        self.escalateAfterSeconds = escalateAfterSeconds
        self.acknowledge = acknowledge
    }
}

/// `[[notify.oncall]]`: one person on one rung of the ladder, for the shifts they cover.
public struct OnCallEntry: Sendable, Hashable {
    /// `name`: who this is, as the journal records an acknowledgement (non-empty; unique).
    public var name: String
    /// `rung`: 1 is told first; a higher rung (shift leader, plant manager, the park) only on escalation (1...9).
    public var rung: Int
    /// `phone`: the mobile number SMS goes to and replies are recognised from, digits with an optional leading "+".
    public var phone: String?
    /// `email`: the address e-mail channels use.
    public var email: String?
    /// `channels`: the channel ids this person is reached through (at least one).
    public var channels: [String]
    /// `language`: "zh" (default) or "en".
    public var language: String
    /// `days`: the weekdays covered, "mon"..."sun" (default every day), in the site's time zone. A shift that crosses
    /// midnight belongs to the day it starts on.
    public var days: Set<Int>
    /// `from`/`to`: the shift, "HH:MM" in the site's time zone (default the whole day). `to` before `from` runs past
    /// midnight.
    public var fromMinute: Int
    public var toMinute: Int

    public init(
        name: String, rung: Int, phone: String? = nil, email: String? = nil, channels: [String],
        language: String = "zh", days: Set<Int> = Set(1...7), fromMinute: Int = 0, toMinute: Int = 1440
    ) {
        self.name = name
        self.rung = rung
        self.phone = phone
        self.email = email
        self.channels = channels
        self.language = language
        self.days = days
        self.fromMinute = fromMinute
        self.toMinute = toMinute
    }

    /// The weekday spellings of `days`, Monday = 1 as ISO 8601 counts.
    public static let weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
}
