import Config
import Foundation
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

    /// A free TCP port on loopback (bound and released; the small race is acceptable in tests).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// The Python with pymodbus that scripts/setup-debian.sh prepared (LEVEE_PYTHON), else the one on PATH.
    static var python: String {
        ProcessInfo.processInfo.environment["LEVEE_PYTHON"] ?? "python3"
    }

    static var repoRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }
}

/// A child process (an independent Modbus peer) that is killed when the test ends.
final class ChildProcess {
    let process = Process()
    private let output = Pipe()

    init(_ executable: String, _ arguments: [String], readyLine: String, timeout: Double = 20) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let handle = output.fileHandleForReading
        var seen = ""
        let deadline = Date().addingTimeInterval(timeout)
        while !seen.contains(readyLine) {
            guard Date() < deadline, process.isRunning else {
                process.terminate()
                throw PeerError(message: "\(executable) \(arguments) did not print \"\(readyLine)\": \(seen)")
            }
            let data = handle.availableData
            if data.isEmpty { Thread.sleep(forTimeInterval: 0.05) }
            seen += String(decoding: data, as: UTF8.self)
        }
    }

    /// Kills the child outright: pymodbus's asyncio server ignores SIGTERM.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

struct PeerError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
