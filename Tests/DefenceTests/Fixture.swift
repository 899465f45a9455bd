import Config
import Foundation

@testable import Defence

/// A small plant built in code: one bund with two drains, the pool with its inlet, bypass and transfer pump,
/// a rain outlet and a sewage outlet.
enum Fixture {
    static let t0 = ContinuousClock.now

    static func at(_ seconds: Double) -> ContinuousClock.Instant { t0 + .milliseconds(Int(seconds * 1000)) }

    static func valve(
        _ id: String, line: DefenceLine, role: ValveRole?, stroke: Double = 20, group: String? = nil,
        location: String? = nil, commands: [String] = ["open", "close", "stop"]
    ) -> Device {
        Device(
            id: id, name: id, kind: .valve, bus: "rtu", unit: 1, line: line, group: group, location: location,
            points: [:], commands: commandTable(commands),
            settings: .valve(ValveSettings(strokeSeconds: stroke, strokeMargin: 1.5, role: role)))
    }

    static func pump(_ id: String, line: DefenceLine) -> Device {
        Device(
            id: id, name: id, kind: .pump, bus: "rtu", unit: 2, line: line, points: [:],
            commands: commandTable(["start", "stop"]))
    }

    static func commandTable(_ names: [String]) -> [String: Command] {
        Dictionary(
            uniqueKeysWithValues: names.enumerated().map { ($1, Command(name: $1, target: .coil(address: $0))) })
    }

    static func config(_ devices: [Device]? = nil) -> LeveeConfig {
        LeveeConfig(
            site: Site(id: "plant", name: "Plant", timeZone: "Asia/Shanghai"),
            buses: [Bus(id: "rtu", kind: .modbusRTU(RTUSettings(device: "/dev/ttyUSB0")), timeoutMs: 300)],
            devices: devices ?? plant)
    }

    static let plant: [Device] = [
        valve("outlet-1", line: .boundary, role: nil, stroke: 30, location: "east gate, outlet well 1"),
        valve("bund-a-rain", line: .riskUnit, role: .bundToRain, group: "tank-farm-A"),
        valve("bund-a-accident", line: .riskUnit, role: .bundToAccident, group: "tank-farm-A"),
        valve("bund-b-rain", line: .riskUnit, role: .bundToRain, group: "tank-farm-B"),
        valve("pool-inlet", line: .networkAndPool, role: .poolInlet),
        valve("pool-bypass", line: .networkAndPool, role: .poolBypass),
        pump("transfer-1", line: .networkAndPool),
        pump("fire-pump", line: .riskUnit),
        valve("sewage-1", line: .boundary, role: .sewageOutlet),
        valve("park-gate", line: .park, role: .parkGate),
    ]

    static let button = Trigger(kind: .button, who: "operator", from: "control room", why: "spill at tank farm A")

    static func closed(_ mode: ObservedState.Mode = .remote) -> ObservedState { .valve(position: .closed, mode: mode) }
    static func open(_ mode: ObservedState.Mode = .remote) -> ObservedState { .valve(position: .open, mode: mode) }
}

extension [ShutoffAction] {
    var commands: [DeviceCommand] {
        compactMap {
            if case .command(let c) = $0 { return c }
            return nil
        }
    }
    var alarms: [DefenceAlarm] {
        compactMap {
            if case .alarm(let a) = $0 { return a }
            return nil
        }
    }
    var escalations: [Escalation] {
        compactMap {
            if case .escalate(let e) = $0 { return e }
            return nil
        }
    }
}
