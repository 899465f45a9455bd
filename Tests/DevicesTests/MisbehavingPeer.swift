import Config
import Foundation
import LeveeTestSupport
import Logging
import ModbusWire

@testable import Devices

/// scripts/peers/misbehaving_modbus.py as a child process: several units behind one endpoint, one of them faulty in
/// the way `mode` names. The script binds port 0 (or makes its own pty) and says where on its first line, so no test
/// races another for a port.
final class MisbehavingPeer {
    let process: ChildProcess
    /// The TCP port, or the RTU link path, the peer printed.
    let endpoint: String

    /// The value every unit holds, distinct per unit, so that a reply delivered to the wrong request shows.
    static func holding(unit: Int, _ address: Int) -> Double { Double(unit * 1000 + address) }
    static func input(unit: Int, _ address: Int) -> Double { Double(unit * 1000 + 500 + address) }

    init(transport: String, mode: String, faultyUnit: Int, delayMs: Int = 800, link: String? = nil) async throws {
        let script = TestTools.file("scripts/peers/misbehaving_modbus.py")
        process = try ChildProcess(
            try TestTools.python(),
            ["-u", script, transport, mode, String(faultyUnit), String(delayMs)] + (link.map { [$0] } ?? []),
            captureOutput: true)
        let ready = await process.line { $0.hasPrefix("ready ") }
        guard let ready, case let words = ready.split(separator: " "), words.count == 2 else {
            process.kill(SIGKILL)
            throw PeerError(message: "misbehaving_modbus.py \(mode) did not say it was ready: \(process.output)")
        }
        endpoint = String(words[1])
    }

    func stop() { process.kill(SIGKILL) }

    /// A device on unit `unit` with two holding registers and one input register: two requests per poll.
    static func device(unit: Int, bus: String, pollMs: Int, coil: Bool = false) -> Device {
        var points = [
            TestSupport.point("hr0", .holdingRegister, 0),
            TestSupport.point("hr1", .holdingRegister, 1),
            TestSupport.point("ir0", .inputRegister, 0),
        ]
        if coil { points.append(TestSupport.point("coil1", .coil, 1)) }
        return TestSupport.device(
            "unit\(unit)", bus: bus, unit: unit, pollMs: pollMs, points: points,
            commands: coil ? ["close": Command(name: "close", target: .coil(address: 1), value: 1)] : [:])
    }

    /// What a point of the device on `unit` must read, whenever it holds a value at all.
    static func expected(unit: Int, point: String) -> Double? {
        switch point {
        case "hr0": holding(unit: unit, 0)
        case "hr1": holding(unit: unit, 1)
        case "ir0": input(unit: unit, 0)
        default: nil
        }
    }
}

/// Every value FieldIO published, checked against the unit it was published for: a reply taken for another
/// device's request shows as a value from another unit's range.
final class CrossDeliveryWatch: @unchecked Sendable {
    // @unchecked: `wrong` and `updates` are guarded by `lock`; the task only appends.
    private let lock = NSLock()
    private var wrong: [String] = []
    private var updates = 0
    private var task: Task<Void, Never>?

    init(_ io: FieldIO, units: [Int]) {
        let events = io.events()
        task = Task { [self] in
            for await event in events {
                guard case .update(let update) = event,
                    let unit = units.first(where: { "unit\($0)" == update.device })
                else { continue }
                for r in update.readings {
                    guard let value = r.value, let expected = MisbehavingPeer.expected(unit: unit, point: r.point)
                    else { continue }
                    if value != expected { record("\(update.device).\(r.point) = \(value) (\(r.quality))") }
                }
                lock.withLock { updates += 1 }
            }
        }
    }

    private func record(_ s: String) { lock.withLock { wrong.append(s) } }

    var crossDeliveries: [String] { lock.withLock { wrong } }
    var updateCount: Int { lock.withLock { updates } }

    func stop() { task?.cancel() }
}
