import Foundation
import Messages

/// The control protocol between leveed and its clients (leveectl, levee-web, and inside leveed the MQTT and park
/// links): one typed command in, one typed reply or a refusal out.
///
/// On the control socket each is one JSON object on one line, and every line carries the protocol version. A
/// client one version apart is refused before anything is looked at, with both versions named.
public enum ControlProtocol {
    /// 1: `{"op": ...}` lines with untyped replies and no version field (Levee before the typed commands).
    /// 2: typed commands and replies, a version on every line, refusals with a kind, the acting user from levee-web.
    public static let version = 2

    /// "protocol version 1, daemon speaks 2": the text both ends use when the versions differ.
    public static func mismatch(client: Int, daemon: Int) -> String {
        "protocol version \(client), daemon speaks \(daemon)"
    }
}

/// Who may do what. Each role may do everything the ones below it may.
///
/// The HTTP API gives each token a role; levee-web names it in each command it sends for a user, and the daemon
/// grants administrator rights (bypass, reset override, restoring a held outlet) only for `admin`.
public enum ControlRole: String, Sendable, Hashable, CaseIterable, Comparable, Codable {
    /// Reads status, alarms, history, events and drill reports: the ecology bureau. Never moves a valve.
    case viewer
    /// Also trips, resets, restores, escalates, acknowledges and shelves alarms, moves valves, runs drills.
    case `operator`
    /// Also bypasses interlocks and overrides a reset.
    case admin

    private var rank: Int {
        switch self {
        case .viewer: 0
        case .operator: 1
        case .admin: 2
        }
    }

    public static func < (a: ControlRole, b: ControlRole) -> Bool { a.rank < b.rank }
}

/// One operator action or query. Adding one is a new case here and its handler in the daemon: every switch over
/// commands is exhaustive, so the compiler names each place that must learn it (the wire name, the least role, the
/// decoder, the daemon's handler).
public enum ControlCommand: Sendable, Hashable {
    case ping
    case status
    case alarms
    case ack(alarm: String, reason: String)
    /// `seconds` within `RequestLimits.shelveSeconds` (checked where the command is decoded); 3600 when not given.
    case shelve(alarm: String, reason: String, seconds: Double)
    case unshelve(alarm: String, reason: String?)
    case removeFromService(alarm: String, reason: String)
    case returnToService(alarm: String, reason: String?)
    case silence(reason: String?)
    /// `command` is the device's command name: open, close, start, stop, on, off, ...
    case command(device: String, command: String, reason: String)
    /// Trips `plan` (the plant-wide plan when nil) and answers once the latch is durable.
    case shutoff(plan: String?, reason: String)
    /// Clears the latch, never reopening anything; `override` (administrators) while a cause is still active.
    case reset(reason: String, override: Bool)
    /// Returns the plant to the line-up recorded when the last plan latched, holding closed any outlet a live
    /// condition forbids; `open` lists held outlets an administrator opens anyway; `dryRun` moves nothing.
    case restore(reason: String, dryRun: Bool, open: [String])
    /// Administrators only. `seconds` within `RequestLimits.bypassSeconds`; nil for the configured maximum.
    case bypass(interlock: String, reason: String, seconds: Double?)
    case unbypass(interlock: String)
    /// Calls the park (level 2).
    case escalate(reason: String)
    /// `live`: run on the real equipment (required; a drill without it is refused).
    case drillStart(plan: String?, live: Bool, reason: String)
    /// The tabletop readiness check: what each step would find, commanding nothing.
    case drillCheck(plan: String?)
    case drills
    /// `drill`: a report id, or nil / "latest" for the newest; `format`: html, md or json.
    case drillReport(drill: String?, format: String?)
    /// On a park instance: confirm a catchment's plan after a plant escalated.
    case parkConfirm(catchment: String, reason: String)
    /// The daemon's metrics in the Prometheus text format, for levee-web's `/metrics`.
    case metrics
    /// On the control socket only: the site status each time the daemon publishes it (once a second and on each
    /// relevant change), one reply line each, until the client closes the connection. With `journal`, also each
    /// journal entry as it is recorded (`ControlReply.journal`), beginning with an empty batch once the
    /// subscription is in place: everything recorded before that line is in the database, everything after comes
    /// on the connection. A watcher too slow to take the entries is disconnected rather than sent a gap.
    case watch(journal: Bool)

    /// The command's name on the wire.
    public enum Op: String, Sendable, Hashable, CaseIterable, Codable {
        case ping, status, alarms, ack, shelve, unshelve
        case removeFromService = "remove-from-service"
        case returnToService = "return-to-service"
        case silence, command, shutoff, reset, restore, bypass, unbypass, escalate
        case drillStart = "drill-start"
        case drillCheck = "drill-check"
        case drills
        case drillReport = "drill-report"
        case parkConfirm = "park-confirm"
        case metrics
        case watch
    }

    public var op: Op {
        switch self {
        case .ping: .ping
        case .status: .status
        case .alarms: .alarms
        case .ack: .ack
        case .shelve: .shelve
        case .unshelve: .unshelve
        case .removeFromService: .removeFromService
        case .returnToService: .returnToService
        case .silence: .silence
        case .command: .command
        case .shutoff: .shutoff
        case .reset: .reset
        case .restore: .restore
        case .bypass: .bypass
        case .unbypass: .unbypass
        case .escalate: .escalate
        case .drillStart: .drillStart
        case .drillCheck: .drillCheck
        case .drills: .drills
        case .drillReport: .drillReport
        case .parkConfirm: .parkConfirm
        case .metrics: .metrics
        case .watch: .watch
        }
    }

    /// The least role that may send the command through the HTTP API. Reading is for viewers; acting on the plant
    /// for operators; bypasses, a reset override, opening a held outlet, and taking an alarm out of service (a
    /// change to the alarm system itself, ISA-18.2), for administrators.
    public var leastRole: ControlRole {
        switch self {
        case .ping, .status, .alarms, .drills, .drillReport, .drillCheck, .metrics, .watch: .viewer
        case .ack, .shelve, .unshelve, .silence, .command, .shutoff, .escalate, .drillStart, .parkConfirm: .operator
        case .reset(_, let override): override ? .admin : .operator
        case .restore(_, _, let open): open.isEmpty ? .operator : .admin
        case .bypass, .unbypass, .removeFromService, .returnToService: .admin
        }
    }

    /// Whether the command only reads: the HTTP API logs every other one as an action.
    public var onlyReads: Bool { leastRole == .viewer }
}

// MARK: - Replies

/// What the daemon answers to a command it carried out.
public enum ControlReply: Sendable, Hashable {
    /// An action done (or `ping`), with the text operators are shown.
    case done(String?)
    /// An action done, its text from the message catalogue (each client renders it in its language).
    case said(Message)
    case status(SiteStatus)
    /// Alarms not normal, most urgent first.
    case alarms([AlarmEntry])
    case drillCheck(DrillCheck)
    /// Stored drill reports, newest first.
    case drills([DrillEntry])
    /// A drill report rendered in the format asked for.
    case report(String)
    /// What a restore moves (or, dry, would move), holds and leaves, device by device.
    /// Its text from the catalogue (each client renders it in its language).
    case restore(RestoreSummary, said: Message?)
    /// The Prometheus text exposition.
    case metrics(String)
    /// Journal entries as they were recorded, in id order (on a `watch` with `journal`).
    case journal([JournalEntry])

    /// The operator-facing text of an action done, if any.
    public var message: String? {
        switch self {
        case .done(let m): m
        case .said(let m): m.render(.en)
        case .restore(_, let m): m?.render(.en)
        case .status, .alarms, .drillCheck, .drills, .report, .metrics, .journal: nil
        }
    }
}

/// A command the daemon did not carry out, with why (naming the alarm, device, field or range at fault) and a kind
/// the HTTP API maps to its status code.
public struct ControlRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// The command is malformed or a number is outside its range (HTTP 400).
        case badRequest
        /// What it names does not exist: an alarm, a device, a plan, an interlock, a drill report (HTTP 404).
        case notFound
        /// The plant's state does not allow it now: latched, in local mode, condition still active... (HTTP 409).
        case conflict
        /// The caller may not do it (HTTP 403).
        case forbidden
        /// The daemon cannot serve it now: a part not running, busy, timed out, storage failing (HTTP 503).
        case unavailable
    }

    public var kind: Kind
    /// Why, in English (logs, and clients that render no catalogue).
    public var message: String
    /// Why, as a catalogue message; nil for refusals not yet in the catalogue.
    public var text: Message?

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public init(_ kind: Kind, _ text: Message) {
        self.kind = kind
        self.message = text.render(.en)
        self.text = text
    }

    public var description: String { message }
}

public typealias ControlResult = Result<ControlReply, ControlRefusal>

// MARK: - The wire

/// Who a command is for when levee-web sends it on behalf of an HTTP API user: the token's user, the client's
/// address and the token's role. The daemon accepts it only from a peer it trusts to have authenticated the user
/// (see `ControlServer`); from anyone else a command naming an actor is refused.
public struct ControlActor: Codable, Sendable, Hashable {
    public var user: String
    public var address: String
    public var role: ControlRole

    public init(user: String, address: String, role: ControlRole) {
        self.user = user
        self.address = address
        self.role = role
    }
}

/// One request line on the control socket: `{"version": 2, "op": "shelve", "alarm": ..., "actor": {...}}`.
///
/// Who asks is not part of the request: the daemon takes the caller's Unix account from the socket
/// (SO_PEERCRED), so the journal names a person the operating system vouched for; only levee-web, trusted by its
/// account, names the HTTP user it acts for in `actor`.
public struct ControlRequest: Sendable, Hashable {
    public var version: Int
    public var command: ControlCommand
    public var actor: ControlActor?

    public init(_ command: ControlCommand, actor: ControlActor? = nil, version: Int = ControlProtocol.version) {
        self.version = version
        self.command = command
        self.actor = actor
    }
}

/// The reply line: `ok`, and either the reply's payload or `error` with its `kind`. The same object answers
/// `POST /api/v1/control` on the HTTP API.
public struct ControlResponse: Codable, Sendable, Hashable {
    /// The daemon's protocol version; nil from a daemon before version 2.
    public var version: Int?
    public var ok: Bool
    public var error: String?
    /// Why it was refused, when `ok` is false.
    public var kind: ControlRefusal.Kind?
    /// `error` as a catalogue message, when the refusal has one.
    public var errorText: Message?
    public var message: String?
    /// `message` as a catalogue message, when the reply has one.
    public var text: Message?
    public var status: SiteStatus?
    public var alarms: [AlarmEntry]?
    public var drillCheck: DrillCheck?
    public var drills: [DrillEntry]?
    public var report: String?
    public var restore: RestoreSummary?
    public var metrics: String?
    public var journal: [JournalEntry]?

    public init(_ result: ControlResult) {
        version = ControlProtocol.version
        switch result {
        case .failure(let refusal):
            ok = false
            error = refusal.message
            errorText = refusal.text
            kind = refusal.kind
        case .success(let reply):
            ok = true
            message = reply.message
            switch reply {
            case .done: break
            case .said(let m): text = m
            case .status(let s): status = s
            case .alarms(let a): alarms = a
            case .drillCheck(let c): drillCheck = c
            case .drills(let d): drills = d
            case .report(let r): report = r
            case .restore(let r, let m):
                restore = r
                text = m
            case .metrics(let m): metrics = m
            case .journal(let j): journal = j
            }
        }
    }

    /// The typed reply, read back from its fields.
    public var result: ControlResult {
        guard ok else {
            var refusal = ControlRefusal(kind ?? .conflict, error ?? "refused")
            refusal.text = errorText
            return .failure(refusal)
        }
        if let status { return .success(.status(status)) }
        if let alarms { return .success(.alarms(alarms)) }
        if let drillCheck { return .success(.drillCheck(drillCheck)) }
        if let drills { return .success(.drills(drills)) }
        if let report { return .success(.report(report)) }
        if let restore { return .success(.restore(restore, said: text ?? message.map(Message.literal))) }
        if let metrics { return .success(.metrics(metrics)) }
        if let journal { return .success(.journal(journal)) }
        if let text { return .success(.said(text)) }
        return .success(.done(message))
    }
}

extension ControlRequest: Codable {
    private enum Key: String, CodingKey { case version, actor }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        version = try c.decodeIfPresent(Int.self, forKey: .version) ?? 1
        guard version == ControlProtocol.version else {
            throw ControlRefusal(
                .badRequest, ControlProtocol.mismatch(client: version, daemon: ControlProtocol.version))
        }
        actor = try c.decodeIfPresent(ControlActor.self, forKey: .actor)
        command = try ControlCommand(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(version, forKey: .version)
        try c.encodeIfPresent(actor, forKey: .actor)
        try command.encode(to: encoder)
    }
}

extension ControlCommand: Codable {
    private enum Key: String, CodingKey {
        case op, alarm, reason, seconds, device, command, override, plan, interlock, drill, live, format, catchment
        case dryRun, open, journal
    }

    /// Only the op, to decide who may send it before anything else in the request is looked at.
    public struct Head: Decodable, Sendable {
        public var op: String
    }

    /// Decodes a command and checks it: fields present and of their types, numbers within their ranges. A refusal
    /// names the field: `shelve needs the field "alarm"`, `shelve refused: "seconds" 1e+21 is outside 1...2592000`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        let name = try c.decode(String.self, forKey: .op)
        guard let op = Op(rawValue: name) else {
            let known = Op.allCases.map(\.rawValue).joined(separator: ", ")
            throw ControlRefusal(.badRequest, "unknown op \"\(name)\" (known: \(known))")
        }
        func text(_ key: Key) throws -> String? { try c.decodeIfPresent(String.self, forKey: key) }
        func required(_ key: Key) throws -> String {
            guard let value = try text(key), !value.isEmpty else {
                throw ControlRefusal(.badRequest, "\(name) needs the field \"\(key.stringValue)\"")
            }
            return value
        }
        func flag(_ key: Key) throws -> Bool { try c.decodeIfPresent(Bool.self, forKey: key) ?? false }
        func seconds(_ range: ClosedRange<Double>) throws -> Double? {
            guard let value = try c.decodeIfPresent(Double.self, forKey: .seconds) else { return nil }
            switch RequestLimits.check("seconds", value, in: range) {
            case .success(let s): return s
            case .failure(let refusal): throw ControlRefusal(.badRequest, "\(name) refused: \(refusal)")
            }
        }
        let reason = try text(.reason) ?? ""
        switch op {
        case .ping: self = .ping
        case .status: self = .status
        case .alarms: self = .alarms
        case .ack: self = .ack(alarm: try required(.alarm), reason: reason)
        case .shelve:
            // The length is checked before the alarm is looked at.
            let s = try seconds(RequestLimits.shelveSeconds) ?? 3600
            self = .shelve(alarm: try required(.alarm), reason: reason, seconds: s)
        case .unshelve: self = .unshelve(alarm: try required(.alarm), reason: try text(.reason))
        case .removeFromService: self = .removeFromService(alarm: try required(.alarm), reason: reason)
        case .returnToService: self = .returnToService(alarm: try required(.alarm), reason: try text(.reason))
        case .silence: self = .silence(reason: try text(.reason))
        case .command:
            guard let device = try text(.device), !device.isEmpty, let command = try text(.command), !command.isEmpty
            else { throw ControlRefusal(.badRequest, "command needs the fields \"device\" and \"command\"") }
            self = .command(device: device, command: command, reason: reason)
        case .shutoff: self = .shutoff(plan: try text(.plan), reason: reason)
        case .reset: self = .reset(reason: reason, override: try flag(.override))
        case .restore:
            self = .restore(
                reason: reason, dryRun: try flag(.dryRun),
                open: try c.decodeIfPresent([String].self, forKey: .open) ?? [])
        case .bypass:
            let interlock = try required(.interlock)
            self = .bypass(interlock: interlock, reason: reason, seconds: try seconds(RequestLimits.bypassSeconds))
        case .unbypass: self = .unbypass(interlock: try required(.interlock))
        case .escalate: self = .escalate(reason: reason)
        case .drillStart: self = .drillStart(plan: try text(.plan), live: try flag(.live), reason: reason)
        case .drillCheck: self = .drillCheck(plan: try text(.plan))
        case .drills: self = .drills
        case .drillReport: self = .drillReport(drill: try text(.drill), format: try text(.format))
        case .parkConfirm: self = .parkConfirm(catchment: try required(.catchment), reason: reason)
        case .metrics: self = .metrics
        case .watch: self = .watch(journal: try flag(.journal))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(op.rawValue, forKey: .op)
        switch self {
        case .ping, .status, .alarms, .drills, .metrics: break
        case .watch(let journal):
            if journal { try c.encode(true, forKey: .journal) }
        case .ack(let alarm, let reason), .removeFromService(let alarm, let reason):
            try c.encode(alarm, forKey: .alarm)
            try c.encode(reason, forKey: .reason)
        case .shelve(let alarm, let reason, let seconds):
            try c.encode(alarm, forKey: .alarm)
            try c.encode(reason, forKey: .reason)
            try c.encode(seconds, forKey: .seconds)
        case .unshelve(let alarm, let reason), .returnToService(let alarm, let reason):
            try c.encode(alarm, forKey: .alarm)
            try c.encodeIfPresent(reason, forKey: .reason)
        case .silence(let reason):
            try c.encodeIfPresent(reason, forKey: .reason)
        case .command(let device, let command, let reason):
            try c.encode(device, forKey: .device)
            try c.encode(command, forKey: .command)
            try c.encode(reason, forKey: .reason)
        case .shutoff(let plan, let reason):
            try c.encodeIfPresent(plan, forKey: .plan)
            try c.encode(reason, forKey: .reason)
        case .reset(let reason, let override):
            try c.encode(reason, forKey: .reason)
            if override { try c.encode(true, forKey: .override) }
        case .restore(let reason, let dryRun, let open):
            try c.encode(reason, forKey: .reason)
            if dryRun { try c.encode(true, forKey: .dryRun) }
            if !open.isEmpty { try c.encode(open, forKey: .open) }
        case .bypass(let interlock, let reason, let seconds):
            try c.encode(interlock, forKey: .interlock)
            try c.encode(reason, forKey: .reason)
            try c.encodeIfPresent(seconds, forKey: .seconds)
        case .unbypass(let interlock):
            try c.encode(interlock, forKey: .interlock)
        case .escalate(let reason):
            try c.encode(reason, forKey: .reason)
        case .drillStart(let plan, let live, let reason):
            try c.encodeIfPresent(plan, forKey: .plan)
            try c.encode(live, forKey: .live)
            try c.encode(reason, forKey: .reason)
        case .drillCheck(let plan):
            try c.encodeIfPresent(plan, forKey: .plan)
        case .drillReport(let drill, let format):
            try c.encodeIfPresent(drill, forKey: .drill)
            try c.encodeIfPresent(format, forKey: .format)
        case .parkConfirm(let catchment, let reason):
            try c.encode(catchment, forKey: .catchment)
            try c.encode(reason, forKey: .reason)
        }
    }
}

// MARK: - Decoding a line

extension ControlRefusal {
    /// A line that could not be decoded as a request: the refusal it threw itself (a range, a missing field, the
    /// version), or the field whose type is wrong (`field "seconds" must be a number`), or "malformed request".
    public static func undecodable(_ error: any Error, line: Data) -> ControlRefusal {
        if let refusal = error as? ControlRefusal { return refusal }
        let text = String(decoding: line.prefix(200), as: UTF8.self)
        let why =
            fieldProblem(error).map { ": \($0)" } ?? ": expected {\"version\": \(ControlProtocol.version), \"op\": ...}"
        return ControlRefusal(.badRequest, "malformed request \(text.debugDescription)\(why)")
    }

    /// The field a request could not be decoded for and what it must be (`field "seconds" must be a number`), or
    /// nil when the line is not a JSON object at all.
    public static func fieldProblem(_ error: any Error) -> String? {
        func name(_ path: [any CodingKey]) -> String { path.map(\.stringValue).joined(separator: ".") }
        func kind(_ type: Any.Type) -> String {
            switch type {
            case is Double.Type, is Int.Type: "a number"
            case is Bool.Type: "true or false"
            case is String.Type: "a string"
            default: "\(type)"
            }
        }
        switch error as? DecodingError {
        case .typeMismatch(let type, let c)? where !c.codingPath.isEmpty:
            return "field \"\(name(c.codingPath))\" must be \(kind(type))"
        case .valueNotFound(let type, let c)? where !c.codingPath.isEmpty:
            return "field \"\(name(c.codingPath))\" must be \(kind(type))"
        case .keyNotFound(let key, _)?:
            return "field \"\(key.stringValue)\" is required"
        case .dataCorrupted(let c)? where !c.codingPath.isEmpty:
            return "field \"\(name(c.codingPath))\": \(c.debugDescription)"
        default:
            return nil
        }
    }
}
