import Foundation
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
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return try condition()
    }

    /// Ports handed out in this process: a test whose broker is down for a moment must not see its port given to
    /// another test's broker.
    private static let handedOut = Mutex<Set<Int>>([])

    /// A free TCP port on loopback, never the same twice in this process (bound and released; the small race with
    /// other processes is acceptable in tests).
    static func freePort() -> Int {
        while true {
            let port = kernelFreePort()
            if handedOut.withLock({ $0.insert(port).inserted }) { return port }
        }
    }

    private static func kernelFreePort() -> Int {
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

/// A child process started with `posix_spawn`, a clean signal mask and default signal handlers.
///
/// Foundation's `Process` passes on the spawning thread's signal mask, and Swift's cooperative threads block
/// SIGTERM: a mosquitto started that way never sees SIGTERM, so it cannot be stopped gracefully (nor
/// `waitUntilExit`ed). The test process also ignores SIGPIPE (libmosquitto sets that), which children must not inherit.
final class ChildProcess: @unchecked Sendable {
    // @unchecked: `status` is guarded by `lock`; `lines` has its own mutex.
    let pid: pid_t
    private let lock = NSLock()
    private var status: Int32?
    /// Output lines: a box of its own, so that the reader thread does not keep the child object alive.
    private final class Lines: Sendable {
        let state = Mutex<(done: [String], partial: String, closed: Bool)>(([], "", false))
    }
    private let lines = Lines()

    init(_ executable: String, _ arguments: [String], captureOutput: Bool) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var fds: [Int32] = [-1, -1]
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if captureOutput {
            // Close-on-exec, so that children spawned meanwhile by parallel tests do not hold the write end open.
            let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
            guard socketpair(AF_UNIX, type, 0, &fds) == 0 else { throw ChildError(message: "socketpair: \(errno)") }
            posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
            posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
            posix_spawn_file_actions_addclose(&actions, fds[0])
            posix_spawn_file_actions_addclose(&actions, fds[1])
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
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
        guard rc == 0 else { throw ChildError(message: "posix_spawn \(executable): \(String(cString: strerror(rc)))") }
        self.pid = pid
        if captureOutput {
            close(fds[1])
            let readFD = fds[0]
            let lines = self.lines
            let thread = Thread { Self.read(readFD, into: lines) }
            thread.start()
        }
    }

    private static func read(_ fd: Int32, into lines: Lines) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            let text = String(decoding: buffer[0..<n], as: UTF8.self)
            lines.state.withLock { l in
                l.partial += text
                while let newline = l.partial.firstIndex(of: "\n") {
                    l.done.append(String(l.partial[..<newline]))
                    l.partial = String(l.partial[l.partial.index(after: newline)...])
                }
            }
        }
        close(fd)
        lines.state.withLock { l in
            if !l.partial.isEmpty { l.done.append(l.partial) }
            l.partial = ""
            l.closed = true
        }
    }

    /// Complete lines written so far (stdout and stderr together).
    var output: [String] { lines.state.withLock { $0.done } }

    /// True once the child's output has been read to its end.
    var outputClosed: Bool { lines.state.withLock { $0.closed } }

    var isRunning: Bool { exitStatus == nil }

    /// The exit status once the child has ended (reaped here, without blocking).
    var exitStatus: Int32? {
        lock.lock()
        defer { lock.unlock() }
        if status == nil {
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == pid {
                status = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
            }
        }
        return status
    }

    func kill(_ signal: Int32) { _ = Glibc.kill(pid, signal) }

    deinit {
        if isRunning {
            kill(SIGKILL)
            var raw: Int32 = 0
            _ = waitpid(pid, &raw, 0)
        }
    }
}

struct ChildError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// A real mosquitto broker on a free loopback port, started by the test; it can be stopped and started again on
/// the same port, as a broker restart in the field.
final class TestBroker: @unchecked Sendable {
    // @unchecked: `process` is only touched by the test's own task.
    static let binary = "/usr/sbin/mosquitto"
    let directory: String
    let port: Int
    private var process: ChildProcess?

    /// - Parameters:
    ///   - persistent: keep sessions across a restart (mosquitto's persistence file), so that a subscriber with a
    ///     persistent session receives what was published for it while it was away.
    ///   - listener: extra lines for the listener (a password file, TLS files).
    init(persistent: Bool = false, listener: [String] = ["allow_anonymous true"]) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "mosquitto is not installed")
        directory = try TestSupport.temporaryDirectory("broker")
        port = TestSupport.freePort()
        // Started as root, mosquitto drops to the "mosquitto" user and could not write here: stay as we are.
        let user = String(cString: getpwuid(getuid()).pointee.pw_name)
        let config =
            [
                "user \(user)",
                "log_dest file \(directory)/mosquitto.log",
                "log_type all",
                "persistence \(persistent)",
                "persistence_location \(directory)/",
                "listener \(port) 127.0.0.1",
            ] + listener
        try (config.joined(separator: "\n") + "\n").write(
            toFile: directory + "/mosquitto.conf", atomically: true, encoding: .utf8)
    }

    var log: String { (try? String(contentsOfFile: directory + "/mosquitto.log", encoding: .utf8)) ?? "" }

    /// Starts the broker and waits until it accepts connections.
    func start() async throws {
        let child = try ChildProcess(Self.binary, ["-c", directory + "/mosquitto.conf"], captureOutput: false)
        process = child
        let port = self.port
        let up = await TestSupport.wait(10) { Self.accepts(port) || !child.isRunning }
        try #require(up && child.isRunning, "mosquitto did not start listening on \(port): \(log)")
    }

    /// SIGTERM (mosquitto saves its persistence file) and waits for the exit.
    func stop() async {
        guard let child = process else { return }
        child.kill(SIGTERM)
        let ended = await TestSupport.wait(10) { !child.isRunning }
        if !ended { Issue.record("mosquitto ignored SIGTERM") }
        process = nil
    }

    /// Freezes or thaws the broker (SIGSTOP, SIGCONT): connections stay open but nothing is answered.
    func pause() { process?.kill(SIGSTOP) }
    func resume() { process?.kill(SIGCONT) }

    deinit {
        process?.kill(SIGCONT)
        process = nil  // ChildProcess.deinit kills what still runs
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

/// `mosquitto_sub` with a persistent session (clean session off, QoS 1): an independent client whose broker keeps
/// its messages while it is away, as a park's subscriber would have. It reconnects by itself after a broker restart.
final class PersistentSubscriber: Sendable {
    private let child: ChildProcess
    let topic: String

    init(port: Int, topic: String, id: String) throws {
        self.topic = topic
        child = try ChildProcess(
            "/usr/bin/mosquitto_sub", ["-h", "127.0.0.1", "-p", "\(port)", "-i", id, "-c", "-q", "1", "-t", topic],
            captureOutput: true)
    }

    /// Payloads received so far (probes excluded).
    var payloads: [String] { child.output.filter { $0 != "probe" } }

    /// Publishes probes until one arrives: then the subscription is in place on the broker.
    func waitUntilSubscribed(port: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            try await TestSupport.run(
                "/usr/bin/mosquitto_pub", ["-h", "127.0.0.1", "-p", "\(port)", "-t", topic, "-m", "probe", "-q", "1"])
            if await TestSupport.wait(0.5, { child.output.contains("probe") }) { return }
        }
        Issue.record("mosquitto_sub never received its probe")
    }
}
