import Config
import Foundation
import LeveeTestSupport
import Logging
import ModbusWire

@testable import Devices

/// Builders and waiting helpers shared by the Devices tests.
enum TestSupport {
    static var logger: Logger {
        var l = Logger(label: "levee.test")
        l.logLevel = ProcessInfo.processInfo.environment["LEVEE_TEST_LOG"] != nil ? .debug : .critical
        return l
    }

    static func point(
        _ name: String, _ table: RegisterTable, _ address: Int, _ type: ValueType? = nil, order: WordOrder? = nil,
        scale: Double = 1, offset: Double = 0, range: ClosedRange<Double>? = nil, unit: String = ""
    ) -> (String, Point) {
        let t = type ?? (table.isBitTable ? .bool : .uint16)
        return (
            name,
            Point(
                name: name,
                source: .modbus(
                    ModbusPoint(
                        table: table, address: address, type: t, wordOrder: order,
                        scaling: Scaling(scale: scale, offset: offset))),
                unit: unit, range: range)
        )
    }

    static func device(
        _ id: String, kind: DeviceKind = .level, bus: String, unit: Int = 1, pollMs: Int = 200,
        points: [(String, Point)], commands: [String: Command] = [:], settings: Device.Settings = .none,
        maxGap: Int? = nil
    ) -> Device {
        Device(
            id: id, name: id, kind: kind, bus: bus, unit: unit, line: .boundary, pollMs: pollMs, maxGap: maxGap,
            points: Dictionary(uniqueKeysWithValues: points), commands: commands, settings: settings)
    }

    static func tcpBus(_ id: String, port: Int, timeoutMs: Int = 300, backoffMax: Double = 2) -> Bus {
        Bus(
            id: id, kind: .modbusTCP(host: "127.0.0.1", port: port), timeoutMs: timeoutMs, maxGap: 8,
            failCyclesBeforeBackoff: 3, backoffMaxSeconds: backoffMax)
    }

    static func config(buses: [Bus], devices: [Device]) -> LeveeConfig {
        LeveeConfig(site: Site(id: "test", name: "测试厂", timeZone: "Asia/Shanghai"), buses: buses, devices: devices)
    }

    static let origin = CommandOrigin(user: "test", source: "unit-test", reason: "testing")

    /// Polls `condition` until it holds or `seconds` pass. Generous limits: these wait for I/O, they do not time it.
    static func wait(
        _ seconds: Double = 15, _ what: String = "condition", _ condition: () throws -> Bool
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try condition()
    }

    /// A loopback port for a server a test starts (see `TestPorts`).
    static func freePort() -> Int { TestPorts.next() }

    /// The project's venv Python with pymodbus (see `TestTools.python`).
    static var python: String { (try? TestTools.python()) ?? TestTools.file(".venv/bin/python") }

    static var repoRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }
}

struct PeerError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
