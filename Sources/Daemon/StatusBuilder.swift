import Config
import ControlAPI
import Devices
import Foundation
import Historian
import Messages

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
            summary: "", devices: devices, historian: historianSummary)
        var parts = summaryParts(snapshot, historian: historianSummary)
        if let (list, rate) = alarms?.summary() {
            status.alarms = list
            status.alarmRate = rate
            let unacked = list.filter { $0.state == "unacknowledged" || $0.state == "returned-unacknowledged" }.count
            if !list.isEmpty {
                parts.append(
                    Message(
                        .statusAlarms, ["count": .text(String(list.count)), "unacknowledged": .text(String(unacked))]))
            }
            if rate > 10 { parts.append(Message(.statusFlood, ["rate": .text(String(rate))])) }
        }
        status.setSummary(parts)
        return status
    }

    /// The one-line status systemd shows: devices up and down, valves in fault or local mode, historian health.
    static func summary(_ snapshot: [DeviceSnapshot], historian: HistorianSummary) -> String {
        Message.joined(summaryParts(snapshot, historian: historian))?.render(.en) ?? ""
    }

    /// The parts of the one-line status, as catalogue messages.
    static func summaryParts(_ snapshot: [DeviceSnapshot], historian: HistorianSummary) -> [Message] {
        let down = snapshot.filter { !$0.answering }.map(\.device.id)
        var parts = [
            Message(
                .statusDevicesAnswering,
                ["answering": .text(String(snapshot.count - down.count)), "total": .text(String(snapshot.count))])
        ]
        if !down.isEmpty {
            let shown = down.prefix(5).joined(separator: ", ")
            parts.append(
                down.count > 5
                    ? Message(.statusDownMore, ["devices": .text(shown), "more": .text(String(down.count - 5))])
                    : Message(.statusDown, ["devices": .text(shown)]))
        }
        let faults = snapshot.filter { $0.valve?.position == .fault || $0.valve?.movementFault != nil }.map(\.device.id)
        if !faults.isEmpty {
            parts.append(Message(.statusValveFaults, ["valves": .text(faults.joined(separator: ", "))]))
        }
        let local = snapshot.filter { $0.valve?.mode == .local }.map(\.device.id)
        if !local.isEmpty { parts.append(Message(.statusLocalMode, ["valves": .text(local.joined(separator: ", "))])) }
        parts.append(Message(historian.healthy ? .statusHistorianOK : .statusHistorianFault))
        return parts
    }
}
