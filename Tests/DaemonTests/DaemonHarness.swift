import ControlAPI
import Foundation
import Historian
import LeveeTestSupport
import Logging
import PlantSim
import Synchronization
import Testing

/// Runs the real `leveed` binary against an in-process simulated plant, as systemd or an operator would.
final class DaemonHarness: @unchecked Sendable {
    // @unchecked: set up in init, then only read; `output` is a Mutex.
    static let binaries: URL? = {
        let selfExe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            .map { URL(fileURLWithPath: $0) }
        let dirs = [Bundle.main.executableURL, selfExe, URL(fileURLWithPath: CommandLine.arguments[0])]
            .compactMap { $0?.deletingLastPathComponent() }
        return dirs.flatMap { [$0, $0.deletingLastPathComponent()] }
            .first { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("leveed").path) }
    }()

    let directory: String
    let plant: Plant
    let configPath: String
    var socketPath: String { directory + "/leveed.sock" }
    var databasePath: String { directory + "/levee.db" }
    private(set) var process: Process?
    /// levee-web, when the test started it (`startWeb`).
    private(set) var web: Process?
    private let output = LogBuffer()

    /// A plant with a gas transmitter (unit 1), a valve (unit 2), an H2S transmitter (unit 3) and a register bank
    /// standing in for a beacon relay (unit 4, coil 7) on one TCP port.
    /// - Parameter gasProfile: the gas transmitter's scenario profile (a constant or a ramp).
    convenience init(gasProfile: String = "12.5") throws {
        try self.init { directory in
            """
            name = "daemon-test"
            control_socket = "\(directory)/sim-control.sock"
            [[servers]]
            name = "plc"
            kind = "tcp"
            port = 0
            [[devices]]
            id = "gas-a1"
            model = "gas-transmitter"
            server = "plc"
            unit_id = 1
            unit = "%LEL"
            alarm1 = 25.0
            alarm2 = 50.0
            profile = \(gasProfile)
            [[devices]]
            id = "beacon"
            model = "register-bank"
            server = "plc"
            unit_id = 4
            [[devices]]
            id = "rain-outlet-1"
            model = "valve-actuator"
            server = "plc"
            unit_id = 2
            stroke_s = 1.0
            initial = "open"
            [[devices]]
            id = "h2s-a1"
            model = "toxic-transmitter-int"
            server = "plc"
            unit_id = 3
            unit = "ppm"
            alarm1 = 10.0
            alarm2 = 20.0
            profile = 4.2
            """
        }
        try write(config: Self.config(port: plant.tcpPort(server: "plc")!, withH2S: false))
    }

    /// A plant from a scenario the test writes; `scenario` gets the test's private folder (for sockets).
    init(scenario: (String) -> String) throws {
        directory = NSTemporaryDirectory() + "leveed-test-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        plant = try Plant(scenario: Scenario.parse(scenario(directory), source: "daemon-test"))
        try plant.start()
        configPath = directory + "/levee.toml"
    }

    static func config(port: Int, withH2S: Bool, extra: String = "") -> String {
        var text = """
            [site]
            id = "test-plant"
            name = "测试化工厂"
            time_zone = "Asia/Shanghai"

            [historian]
            path = "levee.db"
            heartbeat_s = 5

            [daemon]
            control_socket = "leveed.sock"

            [buses.plc]
            type = "modbus-tcp"
            host = "127.0.0.1"
            port = \(port)
            timeout_ms = 300

            [[devices]]
            id = "gas-a1"
            name = "罐区A可燃气体探测器"
            type = "gas"
            bus = "plc"
            unit = 1
            line = "risk-unit"
            poll_ms = 200
            gas_kind = "combustible"
            gas = "CH4"
            points.concentration = { function = "input", address = 0, type = "float32", word_order = "ABCD", unit = "%LEL", range = [0, 100], deadband = 0.5 }

            [[devices]]
            id = "rain-outlet-1"
            name = "1号雨水排口阀"
            type = "valve"
            bus = "plc"
            unit = 2
            line = "boundary"
            poll_ms = 200
            stroke_s = 1.0
            points.open_limit = { function = "discrete-input", address = 0 }
            points.closed_limit = { function = "discrete-input", address = 1 }
            points.remote = { function = "discrete-input", address = 2 }
            commands.open = { function = "coil", address = 0 }
            commands.close = { function = "coil", address = 1 }

            """
        if withH2S {
            text += """

                [[devices]]
                id = "h2s-a1"
                name = "罐区A硫化氢探测器"
                type = "gas"
                bus = "plc"
                unit = 3
                line = "risk-unit"
                poll_ms = 200
                gas_kind = "toxic"
                gas = "H2S"
                points.concentration = { function = "input", address = 0, type = "int16", scale = 0.1, unit = "ppm" }

                """
        }
        return text + extra
    }

    func write(config text: String) throws {
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Starts `leveed run`; `environment` is added to this process's.
    func start(environment: [String: String] = [:]) throws {
        process = try launch("leveed", ["run", "--config", configPath], environment: environment)
    }

    /// Starts `levee-web` with the same configuration: the HTTP API, talking to leveed over its control socket.
    /// Its log lines join leveed's in `log`.
    func startWeb() throws {
        if let web, web.isRunning {
            kill(web.processIdentifier, SIGKILL)
            Self.awaitExit(web)
        }
        web = try launch("levee-web", ["--config", configPath], environment: [:])
    }

    /// levee-notify, when the test started it (`startNotify`).
    private(set) var notify: Process?

    /// Starts `levee-notify` with the same configuration; its log lines join leveed's in `log`.
    func startNotify(_ arguments: [String] = []) throws {
        notify = try launch("levee-notify", ["--config", configPath] + arguments, environment: [:])
    }

    /// Kills levee-notify (SIGKILL) and waits for it.
    func killNotify() {
        guard let notify else { return }
        if notify.isRunning { kill(notify.processIdentifier, SIGKILL) }
        Self.awaitExit(notify)
    }

    /// Kills levee-web (SIGKILL) and waits for it.
    func killWeb() {
        guard let web else { return }
        if web.isRunning { kill(web.processIdentifier, SIGKILL) }
        Self.awaitExit(web)
    }

    /// Waits up to `seconds` for a killed child to be seen gone. Not `waitUntilExit`: Foundation learns of an exit
    /// from a socket the child holds, and a child spawned meanwhile by a parallel test can inherit that socket and
    /// keep it open, which once left `waitUntilExit` blocking a cooperative thread for good and hung the suite.
    static func awaitExit(_ p: Process, seconds: Double = 10) {
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { usleep(20_000) }
    }

    private func launch(_ binary: String, _ arguments: [String], environment: [String: String]) throws -> Process {
        let dir = try #require(Self.binaries, "leveed is not built next to the tests: swift build --build-tests")
        let p = Process()
        p.executableURL = dir.appendingPathComponent(binary)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NOTIFY_SOCKET")
        env.removeValue(forKey: "JOURNAL_STREAM")
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let pipe = Pipe()
        p.standardError = pipe
        p.standardOutput = pipe
        let output = self.output
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { output.text.withLock { $0 += String(decoding: data, as: UTF8.self) } }
        }
        try p.run()
        return p
    }

    var log: String { output.text.withLock { $0 } }

    func signal(_ sig: Int32) {
        if let p = process { kill(p.processIdentifier, sig) }
    }

    /// Waits for the process to exit, up to `seconds`; returns its exit status, or nil if it is still running.
    func waitForExit(_ seconds: Double) async -> Int32? {
        guard let p = process else { return nil }
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if p.isRunning { return nil }
        // Its last lines may still be in the pipe when it exits: give the reader a moment to take them.
        try? await Task.sleep(for: .milliseconds(300))
        return p.terminationStatus
    }

    /// Runs leveectl; its exit status and what it printed (standard output and error together).
    static func leveectl(_ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = try #require(binaries).appendingPathComponent("leveectl")
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "LEVEE_URL")
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// leveectl against this daemon's control socket.
    func leveectl(_ arguments: [String]) throws -> (Int32, String) {
        try Self.leveectl(arguments + ["--socket", socketPath])
    }

    /// leveectl, run off the cooperative pool: an async test's body waits for it without holding one of the
    /// pool's threads (two on CI) for the child's whole run. The blocking forms are for `wait`'s conditions.
    static func leveectl(_ arguments: [String], environment: [String: String] = [:]) async throws -> (Int32, String) {
        try await OffPool.run { try leveectl(arguments, environment: environment) }
    }

    func leveectl(_ arguments: [String]) async throws -> (Int32, String) {
        try await Self.leveectl(arguments + ["--socket", socketPath])
    }

    func request(_ command: ControlCommand) throws -> ControlResponse {
        try ControlClient.reply(command, socket: socketPath, timeout: 10)
    }

    func alarms() throws -> [AlarmEntry] { try request(.alarms).alarms ?? [] }

    func alarm(_ id: String) throws -> AlarmEntry? { try alarms().first { $0.id == id } }

    /// The beacon device and alarm settings a test appends to the configuration with its own [[alarms]].
    static let beacon = """

        [[devices]]
        id = "beacon"
        name = "声光报警器警示灯"
        type = "digital-output"
        bus = "plc"
        unit = 4
        line = "boundary"
        poll_ms = 200
        points.state = { function = "coil", address = 7 }
        commands.on = { function = "coil", address = 7, value = 1 }
        commands.off = { function = "coil", address = 7, value = 0 }

        [alarm]
        annunciation = { critical = ["beacon"] }

        """

    /// The journal, read with the historian as an auditor would once leveed has stopped (it holds the database
    /// while it runs).
    func journal() async throws -> [StoredEvent] {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let historian = Historian(configuration: HistorianConfiguration(path: databasePath), logger: logger)
        defer { historian.close() }
        return try await historian.events(from: Date().addingTimeInterval(-3600), to: Date().addingTimeInterval(1))
    }

    /// The command ledger (电子台账), read like `journal()` once leveed has stopped.
    func commands() async throws -> [StoredCommand] {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let historian = try Historian(configuration: HistorianConfiguration(path: databasePath), logger: logger)
        defer { historian.close() }
        return try await historian.commands(from: Date().addingTimeInterval(-3600), to: Date().addingTimeInterval(1))
    }

    func status() throws -> SiteStatus? {
        try ControlClient.reply(.status, socket: socketPath, timeout: 2).status
    }

    /// Kills leveed (SIGKILL) and waits for it, leaving the plant running for a restart.
    func killDaemon() async {
        guard let p = process else { return }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        _ = await waitForExit(20)
        process = nil
    }

    func stop() {
        killWeb()
        killNotify()
        if let p = process, p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            Self.awaitExit(p)
        }
        plant.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }

    /// Polls `condition` every 50 ms until it holds or `seconds` pass. The condition runs off the cooperative
    /// pool, because most conditions ask the daemon (a socket round trip, or a whole leveectl run): with two
    /// threads in the pool, a handful of tests polling like that starved every other test's tasks, and a live
    /// stream's test failed on its 30 s deadline.
    static func wait(_ seconds: Double = 20, _ condition: @escaping () throws -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        let check = OffPool.Check(condition)
        while Date() < deadline {
            if await check.holds() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return await check.holds()
    }
}

/// The daemon's output as it arrives, shared with the pipe's reading handler.
final class LogBuffer: Sendable {
    let text = Mutex("")
}

/// A datagram socket the test binds itself, standing in for systemd's notify socket.
final class NotifySocket: @unchecked Sendable {
    // @unchecked: fd is immutable after init; reads happen on one task.
    let path: String
    let fd: Int32

    init(directory: String) throws {
        path = directory + "/notify.sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var addr = try UnixAddress.make(path)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        try #require(rc == 0, "cannot bind \(path)")
        var tv = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Every datagram received so far, waiting up to 100 ms for the next.
    func drain() -> [String] {
        var messages: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return messages }
            messages.append(String(decoding: buffer[..<n], as: UTF8.self))
        }
    }

    deinit { close(fd) }
}

extension ControlAPI.ControlClient {
    /// The reply line as the daemon sent it (`ok`, `kind`, `error`, the payload), for tests that look at the wire.
    static func reply(_ command: ControlCommand, socket: String, timeout: Double) throws -> ControlResponse {
        try exchange(ControlRequest(command), socket: socket, timeout: timeout)
    }
}
