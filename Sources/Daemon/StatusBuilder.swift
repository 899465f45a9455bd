import Config
import ControlAPI
import Devices
import Foundation
import Historian

/// Turns the live field state into what operators and systemd are shown.
enum StatusBuilder {
    static func status(field: FieldIO, historian: Historian?, alarms: AlarmService? = nil) -> SiteStatus {
        let config = field.config
        let snapshot = field.snapshot()
        let devices = snapshot.map { d in
            var status = DeviceStatus(
                id: d.device.id, name: d.device.name, kind: d.device.kind.rawValue, line: d.device.line.rawValue,
                bus: d.device.bus, answering: d.answering, lastError: d.lastError,
                points: d.readings.map { r in
                    PointStatus(
                        name: r.point, value: r.value, unit: d.device.points[r.point]?.unit ?? "",
                        quality: r.quality.rawValue, readAt: r.readAt)
                },
                valve: d.valve.map { v in
                    ValveSummary(
                        position: v.position.rawValue, mode: v.mode.rawValue, faultBit: v.faultBit,
                        pending: v.pendingTarget?.rawValue, movementFault: v.movementFault,
                        lastStrokeSeconds: v.lastMovement?.measuredSeconds)
                })
            status.pool = d.pool.map {
                PoolSummary(
                    volume: $0.volume, capacity: $0.capacity, freeVolume: $0.freeVolume, fillRate: $0.fillRate,
                    secondsUntilFull: $0.secondsUntilFull)
            }
            return status
        }
        let h = historian?.status
        let historianSummary = HistorianSummary(
            healthy: h?.healthy ?? false, path: config.historian.path, lastError: h?.lastError?.description,
            bufferedReadings: h?.bufferedReadings ?? 0, droppedReadings: h?.droppedReadings ?? 0)
        var status = SiteStatus(
            site: config.site.id, siteName: config.site.name, timeZone: config.site.timeZone, generatedAt: Date(),
            summary: summary(snapshot, historian: historianSummary), devices: devices, historian: historianSummary)
        if let (list, rate) = alarms?.summary() {
            status.alarms = list
            status.alarmRate = rate
            let unacked = list.filter { $0.state == "unacknowledged" || $0.state == "returned-unacknowledged" }.count
            if !list.isEmpty {
                status.summary += "; \(list.count) alarm\(list.count == 1 ? "" : "s") (\(unacked) unacknowledged)"
            }
            if rate > 10 { status.summary += "; ALARM FLOOD \(rate)/10 min" }
        }
        return status
    }

    /// The one-line status systemd shows: devices up and down, valves in fault or local mode, historian health.
    static func summary(_ snapshot: [DeviceSnapshot], historian: HistorianSummary) -> String {
        let down = snapshot.filter { !$0.answering }.map(\.device.id)
        var parts = ["\(snapshot.count - down.count)/\(snapshot.count) devices answering"]
        if !down.isEmpty {
            parts.append(
                "down: " + down.prefix(5).joined(separator: ", ") + (down.count > 5 ? " +\(down.count - 5)" : ""))
        }
        let faults = snapshot.filter { $0.valve?.position == .fault || $0.valve?.movementFault != nil }.map(\.device.id)
        if !faults.isEmpty { parts.append("valve faults: " + faults.joined(separator: ", ")) }
        let local = snapshot.filter { $0.valve?.mode == .local }.map(\.device.id)
        if !local.isEmpty { parts.append("local mode: " + local.joined(separator: ", ")) }
        parts.append(historian.healthy ? "historian ok" : "historian FAULT")
        return parts.joined(separator: "; ")
    }
}
