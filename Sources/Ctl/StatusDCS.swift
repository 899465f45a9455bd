import ControlAPI
import Foundation

/// The DCS link in `leveectl status`: the server, each client with its last request, and what was refused.
extension StatusView {
    static func dcsSection(_ d: DCSLinkSummary, now: Date, zone: TimeZone) -> String {
        var out = "\nDCS link 企业自动化监控系统 (Modbus TCP \(d.listen)): \(d.clients.count) connected"
        out += ", \(d.refusedWrites) write\(d.refusedWrites == 1 ? "" : "s") refused"
        if d.refusedConnections + d.droppedConnections > 0 {
            out += ", \(d.refusedConnections) connections refused, \(d.droppedConnections) dropped"
        }
        if d.coilActions > 0 { out += ", \(d.coilActions) coil action\(d.coilActions == 1 ? "" : "s")" }
        out += "\n"
        for c in d.clients {
            let last = c.lastRequestAt.map { "last request \(stamp($0, now: now, zone: zone))" } ?? "no request yet"
            out +=
                "  \(c.address)  \(last), \(c.requests) requests since \(stamp(c.connectedAt, now: now, zone: zone))\n"
        }
        return out
    }
}
