import Foundation
import Synchronization
import Testing

/// A real mosquitto broker on a free loopback port, started by the test and stopped with it; it can be stopped and
/// started again on the same port, as a broker restart in the field.
final class TestBroker: @unchecked Sendable {
    // @unchecked: `pid` is only touched by the test's own task.
    static let binary = "/usr/sbin/mosquitto"
    let directory: String
    let port: Int
    private var pid: pid_t?

    /// - Parameter persistent: keep sessions across a restart (mosquitto's persistence file), so a subscriber with
    ///   a persistent session receives what was published for it while it was away.
    init(persistent: Bool = false) throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.binary),
            "mosquitto is not installed: scripts/setup-debian.sh installs it")
        directory = NSTemporaryDirectory() + "levee-broker-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        port = try HTTPDaemonTests.freePort()
        try """
        listener \(port) 127.0.0.1
        allow_anonymous true
        user root
        persistence \(persistent)
        persistence_location \(directory)/

        """.write(toFile: directory + "/mosquitto.conf", atomically: true, encoding: .utf8)
        try start()
    }

    var url: String { "127.0.0.1:\(port)" }

    func start() throws {
        pid = try Self.spawn(Self.binary, ["-c", directory + "/mosquitto.conf"], log: directory + "/broker.log")
        // Ready when it accepts a connection.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if Self.accepts(port) { return }
            usleep(20_000)
        }
        Issue.record("mosquitto did not start listening on \(port)")
    }

    /// Stops the broker with SIGTERM, as systemd would: it saves its persistence file (the sessions) on the way.
    func stop() {
        guard let p = pid else { return }
        kill(p, SIGTERM)
        var status: Int32 = 0
        waitpid(p, &status, 0)
        pid = nil
    }

    /// Starts `executable` with `posix_spawn`, a clean signal mask and default handlers. Foundation's `Process`
    /// passes on the calling thread's mask, and Swift's threads block SIGTERM: a broker started that way could not
    /// be stopped cleanly.
    static func spawn(_ executable: String, _ arguments: [String], log: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        try #require(rc == 0, "posix_spawn \(executable): \(String(cString: strerror(rc)))")
        return pid
    }

    /// What the broker logged, for a failing test's message.
    var log: String { (try? String(contentsOfFile: directory + "/broker.log", encoding: .utf8)) ?? "" }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

/// `mosquitto_sub` watching topics: an MQTT client that is not ours, so what it sees is what any park would see.
final class TopicWatcher: @unchecked Sendable {
    // @unchecked: `process` is set in init; `lines` is a Mutex.
    struct Message: Sendable, Hashable {
        var topic: String
        var payload: String
        var retained: Bool
    }

    private let process = Process()
    /// What arrived, and the start of a line not yet complete; shared with the pipe's reading handler.
    private final class Inbox: Sendable {
        let received = Mutex<[Message]>([])
        let partial = Mutex("")
    }
    private let inbox = Inbox()

    /// Subscribes to `topics` (filters) on `broker`, QoS 1; `session` names a persistent session, which a
    /// persistent broker keeps (with the messages for it) while the watcher or the broker is away.
    init(broker: TestBroker, topics: [String], session: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_sub")
        // -F: topic, retained flag and payload on one line, tab-separated.
        process.arguments =
            ["-h", "127.0.0.1", "-p", "\(broker.port)", "-q", "1", "-v", "-F", "%t\t%r\t%p"]
            + topics.flatMap { ["-t", $0] } + (session.map { ["-c", "-i", $0] } ?? [])
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        let inbox = self.inbox
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            guard !data.isEmpty else { return }
            let lines: [Substring] = inbox.partial.withLock { text in
                text += String(decoding: data, as: UTF8.self)
                var parts = text.split(separator: "\n", omittingEmptySubsequences: false)
                text = String(parts.removeLast())
                return parts
            }
            let messages = lines.compactMap { line -> Message? in
                let fields = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
                guard fields.count == 3 else { return nil }
                return Message(topic: String(fields[0]), payload: String(fields[2]), retained: fields[1] == "1")
            }
            inbox.received.withLock { $0 += messages }
        }
        try process.run()
    }

    var messages: [Message] { inbox.received.withLock { $0 } }

    /// The newest payload on `topic`, decoded as a JSON object.
    func latest(_ topic: String) -> [String: Any]? {
        guard let m = messages.last(where: { $0.topic == topic }) else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(m.payload.utf8))) as? [String: Any]
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}
