import ControlAPI
import Defence
import Devices
import Foundation
import Historian
import Messages

/// Who asks, as the journal names them.
struct Requester: Sendable {
    var user: String
    /// "control socket (pid 1234)" or "http 10.0.0.5" (an HTTP API user, named by levee-web).
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

    /// An HTTP API user levee-web acts for: the token's user and role, the client's address.
    init(_ actor: ControlActor) {
        self.init(user: actor.user, from: "http \(actor.address)", isAdmin: actor.role == .admin, viaHTTP: true)
    }
}

/// What each control command does, from the Unix socket, levee-web, or the links inside leveed. The user in the
/// journal is the caller's Unix account (from the socket), or the API token's user that levee-web names; who may
/// connect at all is decided by the socket's file mode, and by the token's role on the HTTP API.
///
/// `handle` switches over every command with no default: a new command does not build until it is handled here.
enum ControlHandler {
    static func handle(
        _ command: ControlCommand, peer: Requester, field: FieldIO, historian: Historian, alarms: AlarmService,
        defence: DefenceService? = nil, links: LinkRegistry? = nil, metrics: MetricsService? = nil
    ) async -> ControlResult {
        /// The shutoff's commands need it running.
        func withDefence(_ body: (DefenceService) async -> ControlResult) async -> ControlResult {
            guard let defence else { return .failure(ControlRefusal(.unavailable, "the shutoff is not running")) }
            return await body(defence)
        }
        /// Actions that move something or change a record need a reason for the journal.
        func reasoned(_ reason: String, _ body: (String) async -> ControlResult) async -> ControlResult {
            let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !reason.isEmpty else {
                return .failure(ControlRefusal(.badRequest, "\(command.op.rawValue) needs a reason"))
            }
            return await body(reason)
        }
        func withPlan(_ name: String?, _ body: (DefenceService, ResponsePlan) async -> ControlResult) async
            -> ControlResult
        {
            await withDefence { defence in
                switch defence.plan(named: name) {
                case .success(let plan): return await body(defence, plan)
                case .failure(let error):
                    var refusal = ControlRefusal(.notFound, error.message)
                    refusal.text = error.text
                    return .failure(refusal)
                }
            }
        }
        let kind: Trigger.Kind = peer.viaPark ? .park : peer.viaHTTP ? .http : .leveectl
        switch command {
        case .ping:
            return .success(.done(nil))
        case .status:
            return .success(
                .status(status(field: field, historian: historian, alarms: alarms, defence: defence, links: links)))
        case .alarms:
            return .success(.alarms(alarms.summary().alarms))
        case .ack, .shelve, .unshelve, .removeFromService, .returnToService, .silence:
            return await alarms.operate(command, user: peer.user)
        case .command(let device, let name, let reason):
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                return .failure(ControlRefusal(.badRequest, "command \(name) on \(device) needs a reason"))
            }
            let origin = CommandOrigin(user: peer.user, source: peer.from, reason: reason)
            let isValveMove = field.config.device(device)?.kind == .valve && (name == "open" || name == "close")
            do {
                if isValveMove {
                    // Returns at the acknowledgement; the limit switch's verdict is journaled and alarmed.
                    _ = try await field.commandValve(device, to: name == "open" ? .open : .closed, origin: origin)
                    return .success(.done("\(device): \(name) acknowledged; waiting for the limit switch (see status)"))
                }
                try await field.send(name, to: device, origin: origin)
                return .success(.done("\(device): \(name) acknowledged"))
            } catch {
                return .failure(ControlRefusal(error.refusalKind, error.message))
            }
        case .shutoff(let plan, let reason):
            return await reasoned(reason) { reason in
                await withPlan(plan) { defence, plan in
                    let trigger = Trigger(
                        kind: kind, who: peer.user, from: peer.from, why: reason, date: Date(), action: ActionID.make())
                    return await defence.trip(trigger, plan: plan)
                }
            }
        case .reset(let reason, let override):
            return await reasoned(reason) { reason in
                await withDefence {
                    await $0.reset(by: peer.user, reason: reason, override: override, isAdmin: peer.isAdmin)
                }
            }
        case .restore(let reason, let dryRun, let open):
            let run = { (reason: String) in
                await withDefence {
                    await $0.restore(
                        by: peer.user, reason: reason, open: open, dryRun: dryRun, isAdmin: peer.isAdmin, kind: kind,
                        from: peer.from)
                }
            }
            // A dry run moves nothing, so it asks no reason.
            return dryRun ? await run(reason) : await reasoned(reason, run)
        case .bypass(let interlock, let reason, let seconds):
            // Who may bypass is decided before anything else in the command is looked at.
            guard peer.isAdmin else {
                return .failure(
                    ControlRefusal(.forbidden, Message(.refusalBypass, ["reason": .text("\(BypassRefusal.notAdmin)")])))
            }
            return await reasoned(reason) { reason in
                await withDefence {
                    await $0.bypass(
                        interlock: interlock, by: peer.user, reason: reason, seconds: seconds, isAdmin: peer.isAdmin)
                }
            }
        case .unbypass(let interlock):
            return await withDefence { await $0.unbypass(interlock: interlock, by: peer.user) }
        case .escalate(let reason):
            return await reasoned(reason) { reason in
                await withDefence { await $0.escalate(by: peer.user, reason: reason) }
            }
        case .drillStart(let plan, let live, let reason):
            return await reasoned(reason) { reason in
                await withPlan(plan) { defence, plan in
                    await defence.startDrill(plan: plan, live: live, by: peer.user, from: peer.from, reason: reason)
                }
            }
        case .drillCheck(let plan):
            return await withPlan(plan) { defence, plan in .success(.drillCheck(defence.check(plan: plan))) }
        case .drills:
            return await withDefence { await $0.drillList() }
        case .drillReport(let drill, let format):
            return await withDefence { await $0.drillReport(id: drill, format: format) }
        case .parkConfirm(let catchment, let reason):
            guard let park = links?.park else {
                return .failure(ControlRefusal(.conflict, "park-confirm: this leveed is not a park instance"))
            }
            let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !reason.isEmpty else { return .failure(ControlRefusal(.badRequest, "park-confirm needs a reason")) }
            return await park.confirm(catchment: catchment, by: peer.user, from: peer.from, reason: reason)
        case .watch:
            // The control socket streams it itself (ControlServer); anywhere else it is one status.
            return .failure(
                ControlRefusal(.badRequest, "watch streams the status on the control socket only; ask for status"))
        case .metrics:
            guard let metrics else { return .failure(ControlRefusal(.unavailable, "metrics are not enabled")) }
            return .success(.metrics(metrics.exposition()))
        }
    }

    /// The site status with the shutoff, the links and the park, and the flags that must head its summary.
    static func status(
        field: FieldIO, historian: Historian, alarms: AlarmService, defence: DefenceService?, links: LinkRegistry?
    ) -> SiteStatus {
        var status = StatusBuilder.status(field: field, historian: historian, alarms: alarms)
        status.defence = defence?.summary()
        if let d = status.defence {
            var flags: [Message] = []
            if d.latched { flags.append(Message(d.drill ? .statusDrillLatched : .statusLatched)) }
            if d.escalated { flags.append(Message(.statusEscalated)) }
            if !d.bypasses.isEmpty {
                flags.append(Message(.statusBypassed, ["count": .text(String(d.bypasses.count))]))
            }
            if !flags.isEmpty { status.setSummary(flags + (status.summaryText.map { [$0] } ?? [])) }
        }
        if let links {
            status.links = links.summary()
            status.park = links.park?.summary()
            status.dcs = links.dcsSummary()
        }
        return status
    }
}

extension CommandError {
    var refusalKind: ControlRefusal.Kind {
        switch kind {
        case .unknownDevice: .notFound
        case .unknownCommand: .badRequest
        // The device, not the daemon, is the obstacle: in local mode, or not acknowledging (a timeout, an exception).
        case .localMode, .notAcknowledged: .conflict
        case .shuttingDown: .unavailable
        }
    }
}

extension ResetRefusal {
    var refusalKind: ControlRefusal.Kind {
        switch self {
        case .notLatched, .conditionsActive: .conflict
        case .reasonRequired: .badRequest
        }
    }
}

extension RestoreRefusal {
    var refusalKind: ControlRefusal.Kind {
        switch self {
        case .latched, .nothingToRestore: .conflict
        case .reasonRequired, .notInPlan: .badRequest
        case .overrideNeedsAdmin: .forbidden
        }
    }
}

extension BypassRefusal {
    var refusalKind: ControlRefusal.Kind {
        switch self {
        case .notAdmin: .forbidden
        case .reasonRequired: .badRequest
        case .unknownTrigger: .notFound
        }
    }
}
