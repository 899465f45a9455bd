import Foundation

/// Part 4: what `leveed run` costs the controller while it polls 200 devices every second: its peak resident set
/// (VmHWM) and its CPU share (utime + stime over a 30 s window), both from /proc.
///
/// There is no baseline process to run against here: the ratios are against the targets, and EMQ Neuron's
/// published figure is printed for reference only.
@MainActor
struct Footprint {
    static let window = 30.0
    static let settle = 5.0
    static let rssTargetMB = 40.0
    static let cpuTargetPercent = 3.0
    /// Three PLCs: (server, devices, of which valves).
    static let servers = [("plc-a", 70, 35), ("plc-b", 70, 35), ("plc-c", 60, 30)]

    let options: Options

    func run(_ report: Report) async throws {
        let section = "Footprint"
        guard leveedHasRun(options.leveed) else {
            progress("footprint: leveed run not available")
            report.add(
                Figure(
                    name: "footprint", levee: "leveed run not available", baseline: "-", ratio: nil, target: "-",
                    pass: nil))
            report.note(section, "TODO: `leveed run --config FILE` does not exist yet in this build; not measured.")
            return
        }
        let dir = options.work + "/footprint"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let layout = FieldLayout(
            servers: Self.servers.map { .init(name: $0.0, transport: .tcp) },
            units: Self.servers.flatMap { FieldLayout.units(server: $0.0, count: $0.1, valves: $0.2, pollMs: 1000) })
        let scenarioPath = dir + "/scenario.toml"
        try layout.scenarioTOML(controlSocket: dir + "/sim-control.sock")
            .write(toFile: scenarioPath, atomically: true, encoding: .utf8)
        let sim = try SimulatorProcess(
            command: (options.leveeSim, ["run", scenarioPath]), logPath: dir + "/levee-sim.log")
        defer { sim.stop() }
        let configPath = dir + "/levee.toml"
        try layout.leveeTOML(
            ports: sim.ports, historianPath: dir + "/levee.db", controlSocket: dir + "/leveed.sock"
        ).write(toFile: configPath, atomically: true, encoding: .utf8)

        // levee-web beside it, as a plant runs them: its own port and a viewer account for the SSE clients.
        let webPort = try freeLoopbackPort()
        let withWeb = !options.leveeWeb.isEmpty && FileManager.default.isExecutableFile(atPath: options.leveeWeb)
        if withWeb {
            try
                (String(contentsOfFile: configPath, encoding: .utf8) + """

                    [http]
                    listen = "127.0.0.1:\(webPort)"

                    [[users]]
                    name = "bench-viewer"
                    role = "viewer"
                    token_sha256 = "\(Self.webTokenSHA256)"

                    """).write(toFile: configPath, atomically: true, encoding: .utf8)
        }

        let daemon = try Background(options.leveed, ["run", "--config", configPath], logPath: dir + "/leveed.log")
        defer { daemon.stop() }
        let web =
            try withWeb
            ? Background(options.leveeWeb, ["--config", configPath], logPath: dir + "/levee-web.log") : nil
        defer { web?.stop() }
        try await Task.sleep(for: .milliseconds(Int(Self.settle * 1000)))
        guard daemon.isRunning, let before = cpuTicks(daemon.pid) else {
            throw BenchError("leveed run exited: \(daemon.output.suffix(2000))")
        }
        if let web, !web.isRunning { throw BenchError("levee-web exited: \(web.output.suffix(2000))") }
        let webBefore = web.flatMap { cpuTicks($0.pid) }
        let simBefore = cpuTicks(sim.background.pid)
        let t0 = ContinuousClock.now
        try await Task.sleep(for: .milliseconds(Int(Self.window * 1000)))
        guard let after = cpuTicks(daemon.pid), let memory = memoryKB(daemon.pid) else {
            throw BenchError("leveed run exited during the window: \(daemon.output.suffix(2000))")
        }
        let webAfter = web.flatMap { cpuTicks($0.pid) }
        let webIdleMemory = web.flatMap { memoryKB($0.pid) }
        let simAfter = cpuTicks(sim.background.pid)
        let elapsed = seconds(ContinuousClock.now - t0)
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        func percent(_ from: Int, _ to: Int, _ over: Double) -> Double {
            Double(to - from) / ticksPerSecond / over * 100
        }
        let cpu = percent(before, after, elapsed)
        let hwmMB = Double(memory.hwm) / 1024
        let rssMB = Double(memory.rss) / 1024
        let points = layout.units.reduce(0) { $0 + ($1.model == .valve ? 6 : 5) }

        report.add(
            Figure(
                name: "leveed peak RSS", levee: "VmHWM \(fixed(hwmMB, 1)) MB",
                baseline: "target \(fixed(Self.rssTargetMB, 0)) MB",
                ratio: hwmMB / Self.rssTargetMB, target: "<= 1.00", pass: hwmMB < Self.rssTargetMB))
        report.add(Self.cpuFigure("leveed CPU", cpu))
        report.note(
            section,
            "leveed run (release) polling \(layout.units.count) devices every 1 s (\(points) points: "
                + Self.servers.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
                + " on three levee-sim TCP ports, half valves, half gas transmitters); levee-sim a separate process.")
        report.note(
            section,
            "After \(fixed(Self.settle, 0)) s to settle, utime+stime over \(fixed(elapsed, 1)) s; VmHWM is the peak "
                + "since start (startup included); VmRSS at the end \(fixed(rssMB, 1)) MB.")
        if let simBefore, let simAfter {
            report.note(
                section,
                "For scale: the simulator serving those reads used \(fixed(percent(simBefore, simAfter, elapsed), 2)) "
                    + "% of one core.")
        }
        report.note(
            section,
            "Reference only: EMQ Neuron publishes 15,000 tags/s at about 124 % CPU on a 4-core server "
                + "(≈ \(fixed(124.0 / 15_000 * 1000, 2)) % of a core per 1000 tags/s); leveed here reads \(points) "
                + "tags/s at \(fixed(cpu, 2)) % (≈ \(fixed(cpu / Double(points) * 1000, 2)) % per 1000 tags/s).")

        guard let web, let webBefore, let webAfter, let webIdleMemory else {
            report.note(section, "levee-web was not built: its figures are not available.")
            return
        }
        // Then 10 live streams (SSE) for another window: levee-web's cost, and leveed's beside it (one watch
        // subscription whatever the number of streams, so it should not move).
        let streams = try (0..<Self.sseClients).map { _ in try SSEClient(port: webPort, token: Self.webToken) }
        defer { streams.forEach { $0.stop() } }
        try await Task.sleep(for: .seconds(2))
        guard let daemon2 = cpuTicks(daemon.pid), let web2 = cpuTicks(web.pid) else {
            throw BenchError("leveed or levee-web exited when the streams opened")
        }
        let t1 = ContinuousClock.now
        try await Task.sleep(for: .milliseconds(Int(Self.window * 1000)))
        guard let daemon3 = cpuTicks(daemon.pid), let web3 = cpuTicks(web.pid), let webMemory = memoryKB(web.pid),
            let daemonMemory = memoryKB(daemon.pid)
        else { throw BenchError("leveed or levee-web exited during the streams' window") }
        let elapsed2 = seconds(ContinuousClock.now - t1)
        let received = streams.map(\.bytes)
        let webIdle = percent(webBefore, webAfter, elapsed)
        let webBusy = percent(web2, web3, elapsed2)
        let daemonBusy = percent(daemon2, daemon3, elapsed2)
        report.add(
            Figure(
                name: "levee-web idle",
                levee: "\(fixed(webIdle, 2)) % CPU, RSS \(fixed(Double(webIdleMemory.rss) / 1024, 1)) MB",
                baseline: "reported, no target", ratio: nil, target: "-", pass: nil))
        report.add(
            Figure(
                name: "levee-web, 10 SSE streams",
                levee: "\(fixed(webBusy, 2)) % CPU, HWM \(fixed(Double(webMemory.hwm) / 1024, 1)) MB",
                baseline: "reported, no target", ratio: nil, target: "-", pass: nil))
        report.add(Self.cpuFigure("leveed CPU, web with 10 SSE", daemonBusy))
        report.note(
            section,
            "levee-web (release) beside leveed, talking to it over the control socket (one `watch` subscription): "
                + "idle over the first window; then \(Self.sseClients) SSE clients on /api/v1/stream as a viewer "
                + "for \(fixed(elapsed2, 1)) s, which received \(received.min() ?? 0)–\(received.max() ?? 0) bytes "
                + "each. leveed's VmHWM after both windows: \(fixed(Double(daemonMemory.hwm) / 1024, 1)) MB.")
        if received.contains(0) { report.note("Errors", "footprint: an SSE client received nothing") }
    }

    /// leveed's CPU share against its target.
    static func cpuFigure(_ name: String, _ percent: Double) -> Figure {
        Figure(
            name: name, levee: "\(fixed(percent, 2)) % of one core",
            baseline: "target \(fixed(cpuTargetPercent, 0)) % of one core",
            ratio: percent / cpuTargetPercent, target: "<= 1.00", pass: percent < cpuTargetPercent)
    }

    static let sseClients = 10
    static let webToken = "bench-web-token"
    /// `printf %s bench-web-token | sha256sum`
    static let webTokenSHA256 = "0dc602139580876ce16c09732d18aae1d7c9fd625fffb247dd5bb71f3e933a82"

    /// utime + stime of a process, in clock ticks (/proc/PID/stat fields 14 and 15).
    private func cpuTicks(_ pid: Int32) -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // The command name in parentheses may hold spaces; fields after it start at field 3 (state).
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let utime = Int(fields[11]), let stime = Int(fields[12]) else { return nil }
        return utime + stime
    }

    /// VmHWM and VmRSS of a process, in kB.
    private func memoryKB(_ pid: Int32) -> (hwm: Int, rss: Int)? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        func field(_ name: String) -> Int? {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else {
                return nil
            }
            return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Int($0) }.first
        }
        guard let hwm = field("VmHWM"), let rss = field("VmRSS") else { return nil }
        return (hwm, rss)
    }
}

/// One SSE client: a plain socket that asks for /api/v1/stream and reads what comes, on its own thread.
final class SSEClient: @unchecked Sendable {
    // @unchecked: `received` and `stopped` are guarded by `lock`.
    private let fd: Int32
    private let lock = NSLock()
    private var received = 0
    private var stopped = false

    init(port: Int, token: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else {
            close(fd)
            throw BenchError("SSE client: connect to 127.0.0.1:\(port): \(errno)")
        }
        let request =
            "GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
            + "Accept: text/event-stream\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        let thread = Thread { [self] in readLoop() }
        thread.start()
    }

    private func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            lock.lock()
            received += n
            lock.unlock()
        }
        close(fd)
    }

    var bytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    func stop() {
        lock.lock()
        let first = !stopped
        stopped = true
        lock.unlock()
        if first { shutdown(fd, Int32(SHUT_RDWR)) }
    }
}
