import ControlAPI
import Defence
import Devices
import Foundation
import Historian

/// Who asks, as the journal names them.
struct Requester: Sendable {
    var user: String
    /// "control socket (pid 1234)" or "http 10.0.0.5".
    var from: String
    /// Root on the socket, the admin role on the HTTP API: may bypass interlocks and override a reset.
    var isAdmin: Bool
    var viaHTTP: Bool
    /// A signed command from a park over MQTT: its trips are journaled as the park's (一键启闭).
    var viaPark: Bool

    init(user: String, from: String, isAdmin: Bool, viaHTTP: Bool, viaPark: Bool = false) {
        self.user = user
        self.from = from
        self.isAdmin = isAdmin
        self.viaHTTP = viaHTTP
        self.viaPark = viaPark
    }

    init(_ peer: ControlServer.Peer) {
        self.init(user: peer.user, from: "control socket (pid \(peer.pid))", isAdmin: peer.uid == 0, viaHTTP: false)
    }
}

/// What each control request does, from the Unix socket or the HTTP API. The user in the journal is the caller's
/// Unix account (from the socket) or the API token's user; who may connect at all is decided by the socket's file
/// mode, and by the token's role on the HTTP API.
///
/// `handle` is async; the socket's own thread waits for it with `blocking`, the HTTP server awaits it directly.
enum ControlHandler {
    static let ops = [
        "ping", "status", "alarms", "ack", "shelve", "unshelve", "remove-from-service", "return-to-service", "silence",
        "command", "shutoff", "reset", "restore", "bypass", "unbypass", "escalate", "drill-start", "drill-check",
        "drills", "drill-report", "park-confirm",
    ]

    static func handle(
        _ request: ControlRequest, peer: Requester, field: FieldIO, historian: Historian, alarms: AlarmService,
        defence: DefenceService? = nil, links: LinkRegistry? = nil
    ) async -> ControlResponse {
        switch request.op {
        case "ping":
            return ControlResponse(ok: true)
        case "status":
            var status = StatusBuilder.status(field: field, historian: historian, alarms: alarms)
            status.defence = defence?.summary()
            if let d = status.defence {
                var flags: [String] = []
                if d.latched { flags.append(d.drill ? "DRILL LATCHED" : "SHUTOFF LATCHED") }
                if d.escalated { flags.append("ESCALATED TO PARK") }
                if !d.bypasses.isEmpty { flags.append("\(d.bypasses.count) INTERLOCK(S) BYPASSED") }
                if !flags.isEmpty { status.summary = flags.joined(separator: "; ") + "; " + status.summary }
            }
            if let links {
                status.links = links.summary()
                status.park = links.park?.summary()
                status.dcs = links.dcsSummary()
            }
            return ControlResponse(ok: true, status: status)
        case "park-confirm":
            guard let park = links?.park else {
                return ControlResponse(ok: false, error: "park-confirm: this leveed is not a park instance")
            }
            guard let catchment = request.catchment, !catchment.isEmpty else {
                return ControlResponse(ok: false, error: "park-confirm needs the field \"catchment\"")
            }
            let reason = request.reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard !reason.isEmpty else { return ControlResponse(ok: false, error: "park-confirm needs a reason") }
            return await park.confirm(catchment: catchment, by: peer.user, from: peer.from, reason: reason)
        case "shutoff", "reset", "restore", "bypass", "unbypass", "escalate", "drill-start", "drill-check", "drills",
            "drill-report":
            guard let defence else { return ControlResponse(ok: false, error: "the shutoff is not running") }
            return await defenceRequest(request, peer: peer, defence: defence)
        case "alarms":
            return ControlResponse(ok: true, alarms: alarms.summary().alarms)
        case "ack", "shelve", "unshelve", "remove-from-service", "return-to-service", "silence":
            if request.op != "silence", (request.alarm ?? "").isEmpty {
                return ControlResponse(ok: false, error: "\(request.op) needs the field \"alarm\"")
            }
            return await alarms.operate(request, user: peer.user)
        case "command":
            guard let device = request.device, let command = request.command else {
                return ControlResponse(ok: false, error: "command needs the fields \"device\" and \"command\"")
            }
            guard let reason = request.reason, !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                return ControlResponse(ok: false, error: "command \(command) on \(device) needs a reason")
            }
            let origin = CommandOrigin(user: peer.user, source: peer.from, reason: reason)
            let isValveMove = field.config.device(device)?.kind == .valve && (command == "open" || command == "close")
            do {
                if isValveMove {
                    // Returns at the acknowledgement; the limit switch's verdict is journaled and alarmed.
                    _ = try await field.commandValve(device, to: command == "open" ? .open : .closed, origin: origin)
                    return ControlResponse(
                        ok: true,
                        message: "\(device): \(command) acknowledged; waiting for the limit switch (see status)")
                }
                try await field.send(command, to: device, origin: origin)
                return ControlResponse(ok: true, message: "\(device): \(command) acknowledged")
            } catch {
                return ControlResponse(ok: false, error: error.message)
            }
        default:
            return ControlResponse(
                ok: false, error: "unknown op \"\(request.op)\" (known: \(ops.joined(separator: ", ")))")
        }
    }

    /// The shutoff's requests. Who may do what: anyone who can reach the socket may trip, reset (conditions
    /// clear), restore, escalate and run drills; bypasses and reset overrides are for administrators (root).
    static func defenceRequest(_ request: ControlRequest, peer: Requester, defence: DefenceService) async
        -> ControlResponse
    {
        let from = peer.from
        let isAdmin = peer.isAdmin
        // Authorisation comes before anything else in the request is looked at, numbers included.
        if request.op == "bypass" && !isAdmin {
            return ControlResponse(ok: false, error: "bypass refused: \(BypassRefusal.notAdmin)")
        }
        let reason = request.reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let needsReason = ["shutoff", "reset", "restore", "bypass", "escalate", "drill-start"]
        // A dry run moves nothing, so it asks no reason.
        let dryRun = request.op == "restore" && request.dryRun == true
        if needsReason.contains(request.op) && reason.isEmpty && !dryRun {
            return ControlResponse(ok: false, error: "\(request.op) needs a reason")
        }
        func withPlan(_ body: (ResponsePlan) async -> ControlResponse) async -> ControlResponse {
            switch defence.plan(named: request.plan) {
            case .success(let plan): return await body(plan)
            case .failure(let error): return ControlResponse(ok: false, error: error.message)
            }
        }
        switch request.op {
        case "shutoff":
            let kind: Trigger.Kind = peer.viaPark ? .park : peer.viaHTTP ? .http : .leveectl
            let trigger = Trigger(
                kind: kind, who: peer.user, from: from, why: reason, date: Date(), action: ActionID.make())
            return await withPlan { await defence.trip(trigger, plan: $0) }
        case "reset":
            return await defence.reset(
                by: peer.user, reason: reason, override: request.override ?? false, isAdmin: isAdmin)
        case "restore":
            return await defence.restore(
                by: peer.user, reason: reason, open: request.open ?? [], dryRun: dryRun, isAdmin: isAdmin,
                kind: peer.viaPark ? .park : peer.viaHTTP ? .http : .leveectl, from: from)
        case "bypass", "unbypass":
            guard let id = request.interlock, !id.isEmpty else {
                return ControlResponse(ok: false, error: "\(request.op) needs the field \"interlock\"")
            }
            if request.op == "unbypass" { return await defence.unbypass(interlock: id, by: peer.user) }
            return await defence.bypass(
                interlock: id, by: peer.user, reason: reason, seconds: request.seconds, isAdmin: isAdmin)
        case "escalate":
            return await defence.escalate(by: peer.user, reason: reason)
        case "drill-start":
            return await withPlan {
                await defence.startDrill(
                    plan: $0, live: request.live ?? false, by: peer.user, from: from, reason: reason)
            }
        case "drill-check":
            switch defence.plan(named: request.plan) {
            case .success(let plan):
                let check = defence.check(plan: plan)
                return ControlResponse(ok: true, drillCheck: check)
            case .failure(let error): return ControlResponse(ok: false, error: error.message)
            }
        case "drills":
            return await defence.drillList()
        default:
            return await defence.drillReport(id: request.drill, format: request.format)
        }
    }
}
