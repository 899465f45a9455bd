import Config
import Foundation
import LeveeTestSupport
import Logging
import ModbusWire
import Synchronization
import Testing

@testable import DCSLink

/// The server on a real socket, read and written by independent masters (pymodbus, mbpoll) and attacked by raw
/// sockets.
@Suite(.serialized)
struct DCSServerTests {
    final class Running: Sendable {
        let server: DCSServer
        let port: Int
        let fired = Fired()

        final class Fired: Sendable {
            let list = Mutex<[String]>([])
            func withLock<T>(_ body: (inout [String]) -> T) -> T { list.withLock { body(&$0) } }
        }

        init(dcs: String = "") throws {
            port = TestPorts.next()
            let config = try Fixture.config(dcs: dcs, port: port)
            let map = DCSMap(config: config, book: DCSAddressBook.assign(config, lock: nil).book)
            var logger = Logger(label: "dcs-test")
            logger.logLevel = .critical
            let fired = self.fired
            server = try DCSServer(map: map, logger: logger) { action, client in
                fired.withLock { $0.append("\(action.name) by \(client)") }
            }
            try server.bind()
            server.start()
        }

        func publish(gas: Double?, quality: QualityCode = .good) {
            var f = PlantFacts()
            f.uptimeSeconds = 42
            f.devices["gas-a1"] = .init(
                answering: true, points: ["concentration": .init(value: gas, quality: quality, ageSeconds: 1)])
            server.publish(f)
        }
    }

    /// pymodbus on a thread of its own (it blocks for as long as the master runs); JSON carries the operations
    /// across, since `[String: Any]` is not Sendable.
    static func pymodbus(_ port: Int, _ ops: [[String: Any]]) async throws -> [[String: Any]] {
        let request = try JSONSerialization.data(withJSONObject: ops)
        let reply = try await OffPool.run { () -> Data in
            let ops = try JSONSerialization.jsonObject(with: request) as? [[String: Any]] ?? []
            return try JSONSerialization.data(withJSONObject: try ModbusMasters.pymodbus(port: port, ops))
        }
        return try JSONSerialization.jsonObject(with: reply) as? [[String: Any]] ?? []
    }

    @Test(arguments: WordOrder.allCases)
    func pymodbusReadsTheFloatAndScaledIntegersAsPublishedInEveryWordOrder(order: WordOrder) async throws {
        let s = try Running(dcs: "word_order = \"\(order.rawValue)\"\nint_scale = 100")
        s.publish(gas: 23.45)
        let o = order.rawValue
        let r = try await Self.pymodbus(
            s.port,
            [
                ["fn": "hr", "address": 1010, "count": 2, "as": "float32", "order": o],
                ["fn": "ir", "address": 1012, "count": 2, "as": "int32", "order": o],
                ["fn": "ir", "address": 1014, "count": 1, "as": "int16"],
                ["fn": "hr", "address": 1015, "count": 1],
                ["fn": "ir", "address": 0, "count": 1],
            ])
        await s.server.stop()
        #expect(abs((r[0]["value"] as? Double ?? 0) - 23.45) < 1e-5, "\(r[0])")
        #expect(r[1]["value"] as? Int == 2345, "\(r[1])")
        #expect(r[2]["value"] as? Int == 2345, "\(r[2])")
        #expect(r[3]["registers"] as? [Int] == [0], "quality good")
        #expect(r[4]["registers"] as? [Int] == [42], "heartbeat")
    }

    @Test func mbpollReadsTheFloatInBothOfItsWordOrders() async throws {
        for (order, flag) in [("ABCD", ["-B"]), ("CDAB", [])] {
            let s = try Running(dcs: "word_order = \"\(order)\"")
            s.publish(gas: 12.5)
            let port = s.port
            let out = try await OffPool.run {
                try ModbusMasters.mbpoll(
                    flag + ["-m", "tcp", "-p", "\(port)", "-a", "1", "-t", "3:float", "-r", "1010", "127.0.0.1"])
            }
            let ints = try await OffPool.run {
                try ModbusMasters.mbpoll(
                    flag + ["-m", "tcp", "-p", "\(port)", "-a", "1", "-t", "4:int", "-r", "1012", "127.0.0.1"])
            }
            await s.server.stop()
            #expect(ModbusMasters.mbpollValues(out.stdout)[1010] == "12.5", "\(order): \(out.stdout)\(out.stderr)")
            #expect(ModbusMasters.mbpollValues(ints.stdout)[1012] == "125", "\(order): \(ints.stdout)\(ints.stderr)")
        }
    }

    @Test func aQualityChangeReachesTheRegisterAtTheNextPublish() async throws {
        let s = try Running()
        s.publish(gas: 5)
        let before = try await Self.pymodbus(s.port, [["fn": "ir", "address": 1015, "count": 1]])
        s.publish(gas: nil, quality: .commFail)
        let after = try await Self.pymodbus(s.port, [["fn": "ir", "address": 1010, "count": 6]])
        await s.server.stop()
        #expect(before[0]["registers"] as? [Int] == [0])
        #expect(after[0]["registers"] as? [Int] == [0, 0, 0, 0, 0, 2])
    }

    @Test func aWriteToADisabledCoilOrARegisterIsRefusedAndCounted() async throws {
        let s = try Running(dcs: "ack_coil = true")
        let r = try await Self.pymodbus(
            s.port,
            [
                ["fn": "wc", "address": 0, "value": 1],  // reset: not enabled
                ["fn": "wc", "address": 100, "value": 1],  // a shutoff: not enabled
                ["fn": "wr", "address": 1010, "value": 7],
                ["fn": "di", "address": 0, "count": 1],
                ["fn": "wc", "address": 1, "value": 1],  // acknowledge: enabled
            ])
        let status = s.server.status
        await s.server.stop()
        #expect(r[0]["exception"] as? Int == 2, "\(r[0])")
        #expect(r[1]["exception"] as? Int == 2, "\(r[1])")
        #expect(r[2]["exception"] as? Int == 1, "\(r[2])")
        #expect(r[3]["exception"] as? Int == 1, "\(r[3])")
        #expect(r[4]["exception"] == nil, "\(r[4])")
        #expect(status.refusedWrites == 3)
        #expect(s.fired.withLock { $0 }.isEmpty, "held for no time at all")
    }

    @Test func aHeldPulseOnAnEnabledCoilActsOnceNamingTheClient() async throws {
        let s = try Running(dcs: "shutoff_coils = [\"plant-wide\"]\nwrite_hold_ms = 300")
        let r = try await Self.pymodbus(
            s.port,
            [
                ["fn": "wc", "address": 100, "value": 1],
                ["fn": "sleep", "seconds": 0.6],
                ["fn": "co", "address": 100, "count": 1],
                ["fn": "wc", "address": 100, "value": 0],
            ])
        #expect(await TestWait.until { !s.fired.withLock { $0 }.isEmpty })
        await s.server.stop()
        #expect(r[2]["bits"] as? [Int] == [1])
        #expect(s.fired.withLock { $0 } == ["shutoff coil plant-wide by 127.0.0.1"])
    }

    @Test func aClientNotAllowedIsDisconnectedBeforeItIsAnswered() async throws {
        let s = try Running(dcs: "allow = [\"10.9.9.9\"]")
        s.publish(gas: 1)
        let r = try await Self.pymodbus(s.port, [["fn": "ir", "address": 0, "count": 1]])
        let status = s.server.status
        await s.server.stop()
        #expect(r[0]["registers"] == nil, "\(r[0])")
        #expect(status.refusedConnections >= 1)
    }

    /// Garbage, a frame dribbled a byte at a time, and a flood of connections, all at once: a DCS polling beside
    /// them is answered every time, and the server drops the attackers.
    @Test func hostileClientsNeverStallAnotherClient() async throws {
        let s = try Running(dcs: "max_clients = 8\nframe_timeout_ms = 500")
        s.publish(gas: 7.5)
        let port = s.port
        // A flood: more connections than max_clients, each silent; they push out only each other.
        let flood = try (0..<20).map { _ in try Raw(port: port) }
        // A slowloris: the start of a valid request, then nothing.
        let slow = try Raw(port: port)
        slow.send([0, 1, 0, 0, 0, 6, 1, 4])
        // Garbage: not Modbus TCP (protocol id 0x4745, "GE").
        let garbage = try Raw(port: port)
        garbage.send(Array("GET / HTTP/1.1\r\n\r\n".utf8))
        // The DCS: a hundred reads over one connection, each answered.
        var ops: [[String: Any]] = []
        for _ in 0..<100 { ops.append(["fn": "ir", "address": 1010, "count": 2, "as": "float32", "order": "ABCD"]) }
        let r = try await Self.pymodbus(port, ops)
        #expect(
            r.allSatisfy { ($0["value"] as? Double) == 7.5 },
            "\(r.filter { ($0["value"] as? Double) != 7.5 }.prefix(3))")
        #expect(await TestWait.until { garbage.isClosed() }, "garbage is disconnected")
        #expect(await TestWait.until { slow.isClosed() }, "an unfinished frame is cut off")
        #expect(await TestWait.until { s.server.status.clients.count <= 8 })
        let status = s.server.status
        await s.server.stop()
        #expect(status.droppedConnections >= 2)
        #expect(status.refusedConnections >= 14, "the flood past max_clients pushed out its own")
        _ = flood
    }
}

/// A raw TCP client, for what no Modbus master would send.
final class Raw: @unchecked Sendable {
    let fd: Int32

    init(port: Int) throws {
        guard let fd = TestPorts.connectLoopback(port: port) else { throw TestFailure("connect to \(port) failed") }
        self.fd = fd
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Whether the server has closed the connection (a read returns end of file or an error), without blocking.
    func isClosed() -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }
}
