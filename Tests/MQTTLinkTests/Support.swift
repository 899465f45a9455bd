import Foundation
import LeveeTestSupport
import Logging
import MQTTLink
import Synchronization
import Testing

/// Helpers shared by the MQTTLink tests: a real broker, collectors, waits and child processes.
enum TestSupport {
    static var logger: Logger {
        var l = Logger(label: "levee.test.mqtt")
        l.logLevel = ProcessInfo.processInfo.environment["LEVEE_TEST_LOG"] != nil ? .trace : .critical
        return l
    }

    /// Polls `condition` until it holds or `seconds` pass. Generous limits: these wait for I/O, they do not time it.
    static func wait(_ seconds: Double = 20, _ condition: () throws -> Bool) async rethrows -> Bool {
        try await TestWait.until(seconds, condition)
    }

    /// A loopback port for a broker or client (see `TestPorts`).
    static func freePort() -> Int { TestPorts.next() }

    static func temporaryDirectory(_ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "levee-mqtt-\(name)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Options for a test client: fast backoff, so reconnects happen within the tests' waits.
    static func options(port: Int, id: String, host: String = "127.0.0.1") -> MQTTOptions {
        var options = MQTTOptions(host: host, port: port, clientID: id)
        options.keepalive = .seconds(10)
        options.reconnectBackoff = .init(min: .milliseconds(50), max: .milliseconds(400))
        return options
    }

    /// Runs a tool to completion without blocking a cooperative thread; returns its status and output.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let child = try ChildProcess(executable, arguments, captureOutput: true)
        _ = await wait(60) { !child.isRunning && child.outputClosed }
        if child.isRunning { child.kill(SIGKILL) }
        return (child.exitStatus ?? -1, child.output.joined(separator: "\n"))
    }

    static func text(_ n: Int) -> String { String(format: "msg-%04d", n) }

    /// Checks an at-least-once stream: the first occurrences are exactly `expected`, in order (duplicates of
    /// earlier messages may appear later, as a re-send after a reconnect makes them).
    static func firstOccurrences(_ seen: [String]) -> [String] {
        var known = Set<String>()
        return seen.filter { known.insert($0).inserted }
    }
}

/// Collects what a subscription receives, from the network thread.
final class Received: Sendable {
    private let messages = Mutex<[MQTTMessage]>([])

    var all: [MQTTMessage] { messages.withLock { $0 } }
    var texts: [String] { all.map(\.text) }
    var count: Int { messages.withLock { $0.count } }

    func handler() -> @Sendable (MQTTMessage) -> Void {
        { message in self.messages.withLock { $0.append(message) } }
    }
}

/// `mosquitto_sub` with a persistent session (clean session off, QoS 1): an independent client whose broker keeps
/// its messages while it is away, as a park's subscriber would have. It reconnects by itself after a broker restart.
final class PersistentSubscriber: Sendable {
    private let child: ChildProcess
    let topic: String

    init(port: Int, topic: String, id: String) throws {
        self.topic = topic
        child = try ChildProcess(
            TestTools.executable("mosquitto_sub"),
            ["-h", "127.0.0.1", "-p", "\(port)", "-i", id, "-c", "-q", "1", "-t", topic],
            captureOutput: true)
    }

    /// Payloads received so far (probes excluded).
    var payloads: [String] { child.output.filter { $0 != "probe" } }

    /// Publishes probes until one arrives: then the subscription is in place on the broker.
    func waitUntilSubscribed(port: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            try await TestSupport.run(
                TestTools.executable("mosquitto_pub"),
                ["-h", "127.0.0.1", "-p", "\(port)", "-t", topic, "-m", "probe", "-q", "1"])
            if await TestSupport.wait(0.5, { child.output.contains("probe") }) { return }
        }
        Issue.record("mosquitto_sub never received its probe")
    }
}
