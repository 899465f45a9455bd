import ControlAPI
import Foundation

@testable import ParkLink

/// A small plant as its status arrives every second: a rain-outlet valve on the boundary, the accident pool and a
/// gas detector, with one alarm and the shutoff idle.
enum Fixtures {
    static let t0 = ParkTime.parse("2024-05-01T08:00:00.000Z")!

    static func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    static let key = Array("park-key-0123456789abcdef".utf8)
    static let oldKey = Array("retired-key-fedcba9876543210".utf8)

    static func outlet(position: String = "open", pending: String? = nil, answering: Bool = true, at: Date = t0)
        -> DeviceStatus
    {
        DeviceStatus(
            id: "rain-outlet-1", name: "Rain outlet 1", kind: "valve", line: "boundary", bus: "rtu0",
            answering: answering, lastError: answering ? nil : "timeout",
            points: [
                PointStatus(
                    name: "open_limit", value: position == "open" ? 1 : 0, unit: "", quality: "good", readAt: at),
                PointStatus(
                    name: "closed_limit", value: position == "closed" ? 1 : 0, unit: "", quality: "good", readAt: at),
                PointStatus(name: "remote", value: 1, unit: "", quality: "good", readAt: at),
            ],
            valve: ValveSummary(
                position: position, mode: "remote", faultBit: false, pending: pending, movementFault: nil,
                lastStrokeSeconds: 21.4))
    }

    static func pool(level: Double = 1.2, at: Date = t0) -> DeviceStatus {
        var d = DeviceStatus(
            id: "accident-pool", name: "Accident pool", kind: "level", line: "network-pool", bus: "rtu0",
            answering: true, lastError: nil,
            points: [PointStatus(name: "level", value: level, unit: "m", quality: "good", readAt: at)], valve: nil)
        d.pool = PoolSummary(
            volume: level * 500, capacity: 2000, freeVolume: 2000 - level * 500, fillRate: 0, secondsUntilFull: nil)
        return d
    }

    static func gas(value: Double = 2.5, quality: String = "good", at: Date = t0) -> DeviceStatus {
        DeviceStatus(
            id: "gas-1", name: "H2S tank farm", kind: "gas", line: "risk-unit", bus: "tcp0", answering: true,
            lastError: nil,
            points: [PointStatus(name: "h2s", value: value, unit: "mg/m3", quality: quality, readAt: at)],
            valve: nil)
    }

    static func alarm(
        _ id: String = "gas-1.h2s.high", state: String = "unacknowledged", active: Bool = true,
        priority: String = "high", value: Double? = 12
    ) -> AlarmEntry {
        AlarmEntry(
            id: id, point: "gas-1.h2s", priority: priority, state: state, conditionActive: active, value: value,
            message: "H2S high", group: "tank-farm", firstOut: true, since: t0, shelvedUntil: nil, user: nil,
            reason: nil)
    }

    static func status(
        devices: [DeviceStatus]? = nil, alarms: [AlarmEntry] = [], defence: DefenceSummary? = idle,
        at: Date = t0
    ) -> SiteStatus {
        var s = SiteStatus(
            site: "plant-a", siteName: "Plant A", timeZone: "Asia/Shanghai", generatedAt: at,
            summary: "3/3 devices answering; historian ok",
            devices: devices ?? [outlet(at: at), pool(at: at), gas(at: at)],
            historian: HistorianSummary(
                healthy: true, path: "/var/lib/levee/h.db", lastError: nil, bufferedReadings: 0, droppedReadings: 0))
        s.alarms = alarms
        s.alarmRate = alarms.count
        s.defence = defence
        return s
    }

    static let idle = DefenceSummary(latched: false, drill: false, trips: [], steps: [], escalations: [])

    static func latched(confirmed: Bool = false, escalations: [String] = [], drill: Bool = false) -> DefenceSummary {
        DefenceSummary(
            latched: true, drill: drill, plan: "plant-wide",
            trips: ["\(drill ? "DRILL " : "")wang from button: spill at tank 3"],
            steps: [
                DefenceStepSummary(
                    id: "close-rain-outlet-1", device: "rain-outlet-1", operation: "close-valve",
                    phase: confirmed ? "confirmed" : "commanded", attempts: 1, seconds: confirmed ? 23.5 : nil,
                    failedReason: nil, commandedAt: at(1), confirmedAt: confirmed ? at(24.5) : nil)
            ],
            escalated: !escalations.isEmpty, escalations: escalations,
            bypasses: [BypassSummary(interlock: "pool-hh", by: "root", reason: "sensor swap", until: at(3600))])
    }
}

extension ParkMessage {
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any] ?? [:]
    }
}

extension [ParkMessage] {
    var topics: [String] { map(\.topic) }
    func on(_ topic: String) -> [ParkMessage] { filter { $0.topic == topic } }
}
