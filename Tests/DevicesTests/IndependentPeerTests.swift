import Config
import Foundation
import LeveeTestSupport
import ModbusWire
import Testing

@testable import Devices

/// The poller against pymodbus, an implementation that shares no code with Levee: addressing, word order and
/// scaling must follow the Modbus spec, not merely agree with Levee's own simulator.
@Suite(.serialized)
struct IndependentPeerTests {
    typealias S = TestSupport

    static let orders: [WordOrder] = [.abcd, .cdab, .badc, .dcba]

    /// The register map of scripts/peers/pymodbus_peer.py.
    static func peerDevice(bus: String) -> Device {
        var points: [(String, Point)] = [
            S.point("int16", .holdingRegister, 0, .int16),
            S.point("uint16", .holdingRegister, 1, .uint16),
            S.point("bit0", .holdingRegister, 26, .bit(0)),
            S.point("bit1", .holdingRegister, 26, .bit(1)),
            S.point("bit13", .holdingRegister, 26, .bit(13)),
            S.point("bit15", .holdingRegister, 26, .bit(15)),
            S.point("scaled", .holdingRegister, 27, .uint16, scale: 0.01, offset: -10, range: 0...100, unit: "m"),
            S.point("ir_float", .inputRegister, 0, .float32, order: .abcd),
            S.point("ir_out_of_range", .inputRegister, 2, .uint16, range: 0...1000),
        ]
        for (i, o) in orders.enumerated() {
            points.append(S.point("int32_\(o.rawValue)", .holdingRegister, 2 + 2 * i, .int32, order: o))
            points.append(S.point("uint32_\(o.rawValue)", .holdingRegister, 10 + 2 * i, .uint32, order: o))
            points.append(S.point("float32_\(o.rawValue)", .holdingRegister, 18 + 2 * i, .float32, order: o))
        }
        for i in 0..<8 {
            points.append(S.point("coil\(i)", .coil, i))
            points.append(S.point("di\(i)", .discreteInput, i))
        }
        return S.device(
            "peer", bus: bus, pollMs: 100, points: points,
            commands: [
                "on": Command(name: "on", target: .coil(address: 100), value: 1),
                "set": Command(name: "set", target: .register(address: 200), value: 0xBEEF),
                "flag": Command(name: "flag", target: .registerBit(address: 26, bit: 1), value: 1),
            ])
    }

    /// Starts the pymodbus peer on port 0 and reads the port it got from its "ready PORT" line, so no other
    /// process can take the port in between.
    static func startPeer() async throws -> (ChildProcess, Int) {
        let script = TestTools.file("scripts/peers/pymodbus_peer.py")
        let peer = try ChildProcess(try TestTools.python(), ["-u", script, "0"], captureOutput: true)
        let ready = await peer.line { $0.hasPrefix("ready ") }
        let port = try #require(ready.flatMap { Int($0.dropFirst(6)) }, "pymodbus peer did not start: \(peer.output)")
        return (peer, port)
    }

    @Test func everyTypeAndWordOrderDecodesAsTheSpecLaysItOut() async throws {
        let (peer, port) = try await Self.startPeer()
        defer { peer.kill(SIGKILL) }
        let io = FieldIO(
            config: S.config(buses: [S.tcpBus("tcp", port: port)], devices: [Self.peerDevice(bus: "tcp")]),
            logger: S.logger)
        io.start()
        defer { io.stop() }
        #expect(try await S.wait { io.reading("peer", "int16")?.quality == .good })

        func value(_ p: String) -> Double? { io.reading("peer", p)?.value }
        #expect(value("int16") == -1234)
        #expect(value("uint16") == 54321)
        for o in Self.orders {
            #expect(value("int32_\(o.rawValue)") == -123_456_789, "int32 \(o.rawValue)")
            #expect(value("uint32_\(o.rawValue)") == 3_000_000_000, "uint32 \(o.rawValue)")
            let f = try #require(value("float32_\(o.rawValue)"), "float32 \(o.rawValue)")
            #expect(abs(f - -273.15) < 1e-4, "float32 \(o.rawValue) = \(f)")
        }
        #expect([value("bit0"), value("bit1"), value("bit13"), value("bit15")] == [1, 0, 1, 1])
        #expect(abs(try #require(value("scaled")) - 30.0) < 1e-9)
        #expect(abs(try #require(value("ir_float")) - 123.456) < 1e-4)
        #expect((0..<8).map { value("coil\($0)") } == [1, 0, 1, 1, 0, 0, 1, 0])
        #expect((0..<8).map { value("di\($0)") } == [0, 1, 1, 0, 1, 0, 0, 1])
        #expect(io.reading("peer", "ir_out_of_range")?.quality == .outOfRange)
        #expect(io.reading("peer", "ir_out_of_range")?.value == 65535)
        #expect(io.reading("peer", "int16")?.readAt != nil)
    }

    @Test func writesLandAtTheSpecAddress() async throws {
        let (peer, port) = try await Self.startPeer()
        defer { peer.kill(SIGKILL) }
        var device = Self.peerDevice(bus: "tcp")
        device.points["coil100"] = S.point("coil100", .coil, 100).1
        device.points["hr200"] = S.point("hr200", .holdingRegister, 200).1
        let io = FieldIO(config: S.config(buses: [S.tcpBus("tcp", port: port)], devices: [device]), logger: S.logger)
        io.start()
        defer { io.stop() }
        #expect(try await S.wait { io.reading("peer", "coil100")?.quality == .good })
        #expect(io.reading("peer", "coil100")?.value == 0)
        try await io.send("on", to: "peer", origin: S.origin)
        try await io.send("set", to: "peer", origin: S.origin)
        try await io.send("flag", to: "peer", origin: S.origin)
        #expect(try await S.wait { io.reading("peer", "coil100")?.value == 1 })
        #expect(try await S.wait { io.reading("peer", "hr200")?.value == 0xBEEF })
        // Read-modify-write set bit 1 and kept bits 0, 2, 13 and 15.
        #expect(try await S.wait { io.reading("peer", "bit1")?.value == 1 })
        #expect([io.reading("peer", "bit0")?.value, io.reading("peer", "bit13")?.value] == [1, 1])

        // mbpoll, a third implementation, sees the same words at the same addresses.
        let mbpoll = Process()
        mbpoll.executableURL = URL(fileURLWithPath: try TestTools.executable("mbpoll"))
        mbpoll.arguments = [
            "-m", "tcp", "-p", String(port), "-a", "1", "-t", "4", "-0", "-r", "200", "-c", "1", "-1", "127.0.0.1",
        ]
        let out = Pipe()
        mbpoll.standardOutput = out
        mbpoll.standardError = FileHandle.nullDevice
        try mbpoll.run()
        mbpoll.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.contains("[200]: \t-16657") || text.contains("[200]: \t48879"), "mbpoll printed: \(text)")
    }

    @Test func anAddressTheDeviceDoesNotHaveIsBadConfigAndTheRestStillReads() async throws {
        let (peer, port) = try await Self.startPeer()
        defer { peer.kill(SIGKILL) }
        let device = S.device(
            "peer", bus: "tcp", pollMs: 100,
            points: [S.point("ok", .holdingRegister, 0, .int16), S.point("missing", .holdingRegister, 5000)])
        let io = FieldIO(config: S.config(buses: [S.tcpBus("tcp", port: port)], devices: [device]), logger: S.logger)
        io.start()
        defer { io.stop() }
        #expect(try await S.wait { io.reading("peer", "missing")?.quality == .badConfig })
        #expect(io.reading("peer", "ok")?.quality == .good)
        #expect(io.reading("peer", "ok")?.value == -1234)
        let snapshot = try #require(io.snapshot().first)
        #expect(snapshot.lastError?.contains("read holding 5000..5000 rejected (illegal data address)") == true)
    }
}
