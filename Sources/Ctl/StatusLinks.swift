import ControlAPI
import Foundation

/// The links beyond the plant (MQTT to the park, HJ 212 to the bureau) and, on a park instance, its plants. As for
/// devices, nothing old passes for current: an outlet's position always carries its quality when that is not good,
/// and what a plant said carries the plant's link state when the park no longer hears it.
extension StatusView {
    static let linkWidths = [24, 22, 14, 22]
    static let plantWidths = [16, 18, 12, 9, 11, 24]
    static let outletWidths = [4, 18, 22, 24]
    static let commandWidths = [12, 16, 13, 18, 12]

    static func linksSection(_ l: LinksSummary, now: Date, zone: TimeZone) -> String {
        guard l.mqtt != nil || l.uplink != nil else { return "" }
        var out = "\nLinks 外部链路\n"
        if let m = l.mqtt {
            let state = m.state == "connected" ? "connected" : m.state.uppercased()
            let queue = "\(m.queued) queued, \(m.dropped) \(m.dropped == 0 ? "dropped" : "DROPPED")"
            let commands =
                m.acceptsCommands
                ? "accepts commands from \(m.parks.isEmpty ? "no park" : m.parks.joined(separator: ", "))"
                : "accepts no park commands"
            out += row(["MQTT (park 园区)", m.broker, state, queue, commands], widths: linkWidths) + "\n"
            if m.state != "connected", let e = m.lastError { out += "    ! \(e)\n" }
        }
        if let u = l.uplink {
            let ack = u.lastAcknowledged.map { "last ack \(stamp($0, now: now, zone: zone))" } ?? "never acknowledged"
            out +=
                row(
                    [
                        "HJ 212 (bureau 环保局)", u.server, u.connected ? "connected" : "DISCONNECTED",
                        "backlog \(u.backlog)", ack,
                    ], widths: linkWidths) + "\n"
            if !u.connected, let e = u.lastError { out += "    ! \(e)\n" }
        }
        return out
    }

    static func parkSection(_ p: ParkSummary, now: Date, zone: TimeZone) -> String {
        let online = p.plants.filter { $0.link == "online" }.count
        var out = "\nPark 园区 — plants 企业: \(p.plants.count), \(online) online"
        if !p.pendingConfirmations.isEmpty { out += ", \(p.pendingConfirmations.count) WAITING FOR CONFIRMATION" }
        out += "\n"
        for c in p.pendingConfirmations {
            out += "  CONFIRM 待确认: catchment \(c.catchment), plan \(c.plan) — \(c.plant) escalated at "
            out += "\(stamp(c.at, now: now, zone: zone)): \(c.reason)\n"
            out += "      to trip it: leveectl park confirm \(c.catchment) --reason \"<why>\"\n"
        }
        if !p.plants.isEmpty {
            out +=
                row(["PLANT", "NAME", "CATCHMENT", "LINK", "LAST SEEN", "LATCH", "ESCALATION"], widths: plantWidths)
                + "\n"
        }
        for plant in p.plants {
            let link = plant.link == "online" ? "online" : plant.link.uppercased()
            let seen = plant.lastSeen.map { stamp($0, now: now, zone: zone) } ?? "never"
            out +=
                row(
                    [plant.id, plant.name, plant.catchment, link, seen, latch(plant), escalation(plant)],
                    widths: plantWidths) + "\n"
            if let summary = plant.summary, !summary.isEmpty {
                out += "    \(plant.link == "online" ? "" : "when last heard: ")\(summary)\n"
            }
            if plant.outlets.isEmpty {
                out += "    \(plant.link == "unknown" ? "never heard from" : "no outlets reported")\n"
            }
            for o in plant.outlets {
                let mode = o.mode == "remote" ? "remote" : o.mode.uppercased() + " MODE"
                out +=
                    row(["", o.device, o.name, outletPosition(o, link: plant.link), mode], widths: outletWidths)
                    + "\n"
            }
        }
        if !p.commands.isEmpty {
            out += "  Commands sent 已发指令, newest first\n"
            out += row(["  SENT AT", "PLANT", "OP", "PLAN", "RESULT", "MESSAGE"], widths: commandWidths) + "\n"
            for c in p.commands.prefix(8) {
                let result = ["sent", "accepted", "done"].contains(c.result) ? c.result : c.result.uppercased()
                out +=
                    row(
                        [
                            "  " + stamp(c.sentAt, now: now, zone: zone), c.plant, c.op, c.plan ?? "plant-wide", result,
                            c.message ?? "",
                        ], widths: commandWidths) + "\n"
            }
            if p.commands.count > 8 { out += "  … \(p.commands.count - 8) more: leveectl status --json\n" }
        }
        return out
    }

    /// An outlet's measured position, never bare unless its quality is good and its plant is heard: "closed
    /// (stale)", "UNKNOWN (comm-fail)", "open (plant offline)".
    static func outletPosition(_ o: ParkOutletSummary, link: String) -> String {
        let position = ["open", "closed"].contains(o.position) ? o.position : o.position.uppercased()
        if o.quality != "good" { return "\(position) (\(o.quality))" }
        if link != "online" { return "\(position) (plant \(link))" }
        return position
    }

    /// What the plant last said about its latch: nothing for a plant never heard, and qualified by the link when
    /// the park no longer hears it.
    static func latch(_ plant: ParkPlantSummary) -> String {
        guard plant.link != "unknown", let latched = plant.latched else { return "—" }
        var text = latched ? (plant.drill == true ? "LATCHED DRILL" : "LATCHED") : "reset"
        if latched, let plan = plant.plan { text += " \(plan)" }
        return plant.link == "online" ? text : "\(text) (\(plant.link))"
    }

    static func escalation(_ plant: ParkPlantSummary) -> String {
        guard plant.link != "unknown", let escalated = plant.escalated else { return "—" }
        var text = escalated ? "ESCALATED" : "no"
        if escalated, let reason = plant.escalationReason { text += ": \(reason)" }
        return plant.link == "online" ? text : "\(text) (\(plant.link))"
    }

    /// A time in the site's zone, with the date in front when it is not the day of `now`.
    static func stamp(_ date: Date, now: Date, zone: TimeZone) -> String {
        let clock = clockStyle(zone)
        let day = Date.ISO8601FormatStyle(timeZone: zone).year().month().day()
        let time = date.formatted(clock)
        return date.formatted(day) == now.formatted(day) ? time : "\(date.formatted(day)) \(time)"
    }
}
