import Foundation
import Glibc
import Testing

/// A real mosquitto broker on a loopback port, started by the test; it can be stopped and started again on the same
/// port, as a broker restart in the field.
///
/// mosquitto cannot bind port 0 and report it, so the port comes from `TestPorts`. If the first start still loses
/// the port to another process ("Address already in use"), the broker moves to another port and tries again: a
/// test that loses that race retries, it does not fail. A restart keeps its port (clients are pointed at it) and
/// waits for it to come free.
public final class TestBroker: @unchecked Sendable {
    // @unchecked: `process`, the port and its flags are only touched by the test's own task.
    public let directory: String
    /// The broker's port. Once a test has read it (to point a client at a broker not yet started), the broker
    /// never moves off it.
    public var port: Int {
        portKnown = true
        return currentPort
    }
    private var currentPort: Int
    private var portKnown = false
    private let persistent: Bool
    private let listener: [String]
    private var process: ChildProcess?
    private var started = false

    /// - Parameters:
    ///   - persistent: keep sessions across a restart (mosquitto's persistence file), so that a subscriber with a
    ///     persistent session receives what was published for it while it was away.
    ///   - listener: extra lines for the listener (a password file, TLS files).
    public init(persistent: Bool = false, listener: [String] = ["allow_anonymous true"]) throws {
        _ = try TestTools.executable("mosquitto")
        directory = NSTemporaryDirectory() + "levee-broker-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.persistent = persistent
        self.listener = listener
        currentPort = TestPorts.next()
        try writeConfig()
    }

    /// A broker already accepting connections.
    public static func started(persistent: Bool = false, listener: [String] = ["allow_anonymous true"])
        async throws -> TestBroker
    {
        let broker = try TestBroker(persistent: persistent, listener: listener)
        try await broker.start()
        return broker
    }

    public var url: String { "127.0.0.1:\(port)" }

    /// What the broker logged, for a failing test's message.
    public var log: String { (try? String(contentsOfFile: directory + "/mosquitto.log", encoding: .utf8)) ?? "" }

    private func writeConfig() throws {
        // Started as root, mosquitto drops to the "mosquitto" user and could not write here: stay as we are.
        let user = String(cString: getpwuid(getuid()).pointee.pw_name)
        let config =
            [
                "user \(user)",
                "log_dest file \(directory)/mosquitto.log",
                "log_type all",
                "persistence \(persistent)",
                "persistence_location \(directory)/",
                "listener \(currentPort) 127.0.0.1",
            ] + listener
        try (config.joined(separator: "\n") + "\n").write(
            toFile: directory + "/mosquitto.conf", atomically: true, encoding: .utf8)
    }

    /// Starts the broker and waits until it accepts connections.
    public func start() async throws {
        let mosquitto = try TestTools.executable("mosquitto")
        for attempt in 1...8 {
            let child = try ChildProcess(mosquitto, ["-c", directory + "/mosquitto.conf"], captureOutput: false)
            let port = currentPort
            let up = await TestWait.until(10) { TestPorts.accepts(port) || !child.isRunning }
            if up && child.isRunning {
                process = child
                started = true
                return
            }
            child.kill(SIGKILL)
            _ = await TestWait.until(5) { !child.isRunning }
            guard log.contains("Address already in use"), attempt < 8 else { break }
            if started || portKnown {
                // Clients know this port: wait for it to come free rather than move.
                try? await Task.sleep(for: .milliseconds(500))
            } else {
                currentPort = TestPorts.next()
                try writeConfig()
            }
        }
        Issue.record("mosquitto did not start listening on \(currentPort): \(log)")
        throw ChildError(message: "mosquitto did not start on \(currentPort)")
    }

    /// SIGTERM (mosquitto saves its persistence file) and waits for the exit.
    public func stop() async {
        guard let child = process else { return }
        child.kill(SIGTERM)
        let ended = await TestWait.until(10) { !child.isRunning }
        if !ended { Issue.record("mosquitto ignored SIGTERM") }
        process = nil
    }

    /// Freezes or thaws the broker (SIGSTOP, SIGCONT): connections stay open but nothing is answered.
    public func pause() { process?.kill(SIGSTOP) }
    public func resume() { process?.kill(SIGCONT) }

    deinit {
        process?.kill(SIGCONT)
        process = nil  // ChildProcess.deinit kills what still runs
        try? FileManager.default.removeItem(atPath: directory)
    }
}
