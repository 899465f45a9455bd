import Foundation
import HJ212
import LeveeTestSupport
import Logging
import Synchronization
import Testing

@testable import Uplink

/// The Python test platform (simulators/hj212-receiver), run as a subprocess on an ephemeral port.
final class Receiver: Sendable {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
    }

    private let process: Process
    private let output = Lines()

    init(_ arguments: [String]) throws {
        let script = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("simulators/hj212-receiver/receiver.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try TestTools.python())
        process.arguments = ["-u", script.path, "--port", "0"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.standardError
        try process.run()
        self.process = process
        let handle = pipe.fileHandleForReading
        // Reads on a thread of its own: availableData blocks until the receiver writes.
        let reader = Thread { [output] in
            var pending = Data()
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                pending.append(data)
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending = Data(pending[(newline + 1)...])
                    output.lines.withLock { $0.append(line) }
                }
            }
        }
        reader.start()
    }

    func stop() {
        // SIGKILL: a signal the child cannot have inherited blocked.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// The JSON lines logged so far.
    var entries: [[String: Any]] {
        output.lines.withLock { $0 }.compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }

    /// The port from the first line.
    func port() async throws -> Int {
        try await waitUntil("the receiver's port") { entries.first?["port"] != nil }
        return entries.first!["port"] as! Int
    }
}

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` until it holds. The deadline is generous on purpose: it only bounds a broken test.
func waitUntil(_ what: String, timeout: Duration = .seconds(60), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { throw TimedOut(what: what) }
        try await Task.sleep(for: .milliseconds(20))
    }
}

final class EventLog: Sendable {
    private let events = Mutex<[UplinkEvent]>([])
    func append(_ event: UplinkEvent) { events.withLock { $0.append(event) } }
    var all: [UplinkEvent] { events.withLock { $0 } }
    var journal: [UplinkJournalEntry] { all.compactMap { if case .journal(let e) = $0 { e } else { nil } } }
}

@Suite(.serialized)
struct ClientTests {
    func client(port: Int, events: EventLog) -> UplinkClient {
        var configuration = testConfiguration(hourlyData: false)
        configuration.port = port
        configuration.minuteData = false
        configuration.realTimeIntervalSeconds = 1
        configuration.reconnectMinSeconds = 0.2
        let source = FakeSource(samples: [
            UplinkSample(point: "outfall-1.cod", value: 21.5, quality: "good", at: Date()),
            UplinkSample(point: "outfall-1.flow", value: 12.25, quality: "good", at: Date()),
        ])
        return UplinkClient(
            configuration: configuration, store: MemoryUplinkStore(), source: source,
            logger: Logger(label: "uplink-client-tests") { _ in SwiftLogNoOpLogHandler() },
            onEvent: { events.append($0) })
    }

    @Test func realTimeFramesReachThePythonReceiverVerified() async throws {
        let receiver = try Receiver([
            "--mn", "010000A8900016F000169DC0", "--pw", "123456",
            "--request", "CN=1011", "--request", "CN=1061",
            "--send-raw", "garbage\\r\\n##0010ST=32;CN=1011\\r\\n",
        ])
        defer { receiver.stop() }
        let events = EventLog()
        let uplink = client(port: try await receiver.port(), events: events)
        uplink.start()

        func frames(_ cn: String) -> [[String: Any]] {
            receiver.entries.filter { $0["event"] as? String == "frame" && $0["cn"] as? String == cn }
        }
        try await waitUntil("two real-time frames and the replies to both requests") {
            frames("2011").count >= 2 && frames("9012").count >= 2
        }
        try await waitUntil("an acknowledgement") { uplink.status.lastAcknowledgement != nil }
        await uplink.stop()

        // The receiver checked length and CRC with its own code; nothing it got was rejected.
        #expect(receiver.entries.filter { $0["event"] as? String == "rejected" }.isEmpty)
        let realTime = try #require(frames("2011").first)
        #expect(realTime["crc_ok"] as? Bool == true)
        #expect(realTime["flag"] as? Int == 5)
        #expect(realTime["mn"] as? String == "010000A8900016F000169DC0")
        let groups = try #require(realTime["cp"] as? [[[String]]])
        #expect(
            groups.dropFirst().map { $0.map { $0.joined(separator: "=") } } == [
                ["w00000-Rtd=12.25", "w00000-Flag=N"], ["w01018-Rtd=21.5", "w01018-Flag=N"],
            ])
        // Both requests served: 9011, the answer, 9012.
        #expect(frames("9011").count >= 2)
        #expect(frames("1011").count == 1)
        #expect(frames("1061").count == 1)
        // The garbage and the bad frame the receiver sent were rejected with reasons, and nothing stopped.
        let rejected = events.journal.filter { $0.message == "uplink rejected a frame from the platform" }
        #expect(rejected.count == 2)
        #expect(rejected.allSatisfy { !($0.metadata["reason"] ?? "").isEmpty })
        #expect(events.journal.contains { $0.message == "uplink connected to the platform" })
        #expect(uplink.status.requestsServed == 2)
        #expect(uplink.status.framesRejected == 2)
    }

    @Test func theClientReconnectsWhenThePlatformComesBack() async throws {
        // A port nothing listens on yet, and that no other process takes meanwhile (see TestPorts).
        let port = TestPorts.next()
        let events = EventLog()
        let uplink = client(port: port, events: events)
        uplink.start()
        try await waitUntil("a failed connection") {
            events.journal.contains { $0.message == "uplink cannot connect to the platform" }
        }
        #expect(uplink.status.connected == false)
        let receiver = try Receiver(["--port", String(port)])
        defer { receiver.stop() }
        try await waitUntil("a real-time frame after reconnecting") {
            receiver.entries.contains { $0["cn"] as? String == "2011" && $0["crc_ok"] as? Bool == true }
        }
        #expect(uplink.status.connected)
        await uplink.stop()
        #expect(events.journal.filter { $0.message == "uplink cannot connect to the platform" }.count == 1)
    }
}
