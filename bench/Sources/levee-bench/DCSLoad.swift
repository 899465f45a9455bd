import Foundation
import ModbusWire
import PlantSim

/// Part 6: ten DCS clients polling leveed's Modbus TCP server (`[dcs]`) at 10 Hz leave the field poll rate and the
/// trigger latency unchanged. The trigger part's plant and daemon, with `[dcs]` enabled; phases with and without
/// the clients alternate, and each figure is the ratio with / without.
@MainActor
struct DCSLoad {
    nonisolated static let clients = 10
    nonisolated static let hertz = 10
    /// Device blocks each client reads per cycle, besides the plant registers: 100 registers each.
    nonisolated static let blocksPerCycle = 8
    static let rounds = 4
    static let pressesPerPhase = 12

    let options: Options

    func run(_ report: Report) async throws {
        let section = "DCS load"
        let trigger = TriggerLatency(options: options)
        guard leveedHasRun(options.leveed) else {
            report.note(section, "TODO: `leveed run` not available in this build; not measured.")
            return
        }
        var rng = SeededGenerator(seed: options.seed &+ 6)
        let dir = options.work + "/dcs"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let tcpUnits = TriggerLatency.tcpServers.flatMap {
            FieldLayout.units(server: $0.0, count: $0.1, valves: $0.2, pollMs: TriggerLatency.pollMs)
        }
        let layout = FieldLayout(
            servers: TriggerLatency.tcpServers.map { .init(name: $0.0, transport: .tcp) }, units: tcpUnits)
        let valves = layout.units.filter { $0.model == .valve }.map(\.id)
        let gpioSocket = dir + "/gpio.sock"
        let plant = try Plant(
            scenario: Scenario.parse(
                layout.scenarioTOML(controlSocket: dir + "/sim-control.sock")
                    + trigger.scenarioButton(socket: gpioSocket), source: "dcs.toml"))
        let placement = trigger.placement
        try placement.start(plant)
        defer { plant.stop() }
        var ports: [String: Int] = [:]
        for server in TriggerLatency.tcpServers { ports[server.0] = plant.tcpPort(server: server.0) }

        let dcsPort = try freeLoopbackPort()
        let control = LeveedControl(socketPath: dir + "/leveed.sock")
        let config =
            layout.leveeTOML(ports: ports, historianPath: dir + "/levee.db", controlSocket: control.socketPath)
            + trigger.leveeButton(socket: gpioSocket)
            + "\n[dcs]\nenabled = true\nlisten = \"127.0.0.1:\(dcsPort)\"\nmax_clients = 16\n"
        let configPath = dir + "/levee.toml"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let (daemonPath, daemonArguments) = placement.client(options.leveed, ["run", "--config", configPath])
        let daemon = try Background(daemonPath, daemonArguments, logPath: dir + "/leveed.log")
        defer { daemon.stop() }
        try await trigger.waitUntilReady(control, daemon: daemon, devices: layout.units.count + 1)
        if let placement { Affinity.pinCurrentThread(to: placement.simulatorCPU) }
        defer { Affinity.restoreCurrentThread() }

        var planWithout: [Double] = []
        var planWith: [Double] = []
        var rateWithout: [Double] = []
        var rateWith: [Double] = []
        var answered = 0
        var failed = 0
        var latencies: [Double] = []
        for round in 0..<Self.rounds {
            for withClients in round % 2 == 0 ? [false, true] : [true, false] {
                let load = withClients ? DCSClients(port: dcsPort, cpu: placement?.simulatorCPU) : nil
                try await Task.sleep(for: .milliseconds(500))
                let servers = TriggerLatency.tcpServers.map(\.0)
                // press() resets the simulator's counters, so the field requests are summed up to each press.
                func fieldRequests() -> Int { servers.map { plant.requestCount(server: $0) }.reduce(0, +) }
                var requests = -fieldRequests()
                let start = ContinuousClock.now
                for _ in 0..<Self.pressesPerPhase {
                    try await Task.sleep(for: .milliseconds(Int.random(in: 250...450, using: &rng)))
                    guard daemon.isRunning else { throw BenchError("leveed run exited: \(daemon.output.suffix(2000))") }
                    requests += fieldRequests()
                    if case .success(let p) = try await trigger.press(plant, valves: valves, rtu: false) {
                        if withClients { planWith.append(p.tcpLast) } else { planWithout.append(p.tcpLast) }
                    }
                    try plant.releaseButton(line: TriggerLatency.buttonLine)
                    try await trigger.resetLatch(control)
                    for valve in valves { try plant.setValue(100, device: valve, signal: "position") }
                }
                requests += fieldRequests()
                let rate = Double(requests) / seconds(ContinuousClock.now - start)
                if withClients { rateWith.append(rate) } else { rateWithout.append(rate) }
                if let load {
                    let result = load.stop()
                    answered += result.answered
                    failed += result.failed
                    latencies += result.latencies
                }
            }
        }
        guard !planWith.isEmpty, !planWithout.isEmpty else { throw BenchError("no press gave the whole plan") }
        let pollRatio = median(rateWith) / median(rateWithout)
        report.add(
            Figure(
                name: "DCS 10×10 Hz: field poll rate", levee: "with \(fixed(median(rateWith), 0)) req/s",
                baseline: "without \(fixed(median(rateWithout), 0)) req/s", ratio: pollRatio, target: ">= 0.98",
                pass: pollRatio >= 0.98))
        for (label, p, target) in [("p50", 0.5, 1.10), ("p99", 0.99, 1.25)] {
            let with = percentile(planWith, p)
            let without = percentile(planWithout, p)
            report.add(
                Figure(
                    name: "DCS 10×10 Hz: trigger plan TCP \(label)", levee: "with \(fixed(with, 0)) µs",
                    baseline: "without \(fixed(without, 0)) µs", ratio: with / without,
                    target: "<= \(fixed(target, 2))", pass: with / without <= target))
        }
        report.note(
            section,
            "The trigger part's plant without its RTU line (\(layout.units.count) devices, each polled every "
                + "\(TriggerLatency.pollMs) ms, the button on the simulated chip) and leveed run (release) with [dcs] "
                + "enabled. \(Self.rounds) rounds, each a phase without and a phase with \(Self.clients) DCS clients "
                + "(order alternating), \(Self.pressesPerPhase) presses per phase. Each client reads the plant "
                + "registers and \(Self.blocksPerCycle) device blocks of 100 registers (FC03) every "
                + "\(1000 / Self.hertz) ms over its own connection, on the simulator's CPU.")
        report.note(
            section,
            "DCS clients: \(answered) requests answered, \(failed) failed; round trip "
                + "p50 \(fixed(percentile(latencies, 0.5), 0)), p99 \(fixed(percentile(latencies, 0.99), 0)), "
                + "max \(fixed(latencies.max() ?? .nan, 0)) µs. Field requests per phase, without: "
                + rateWithout.map { fixed($0, 0) }.joined(separator: ", ") + "; with: "
                + rateWith.map { fixed($0, 0) }.joined(separator: ", ") + " req/s.")
    }
}

/// Ten Modbus TCP masters on threads of their own, each polling at 10 Hz until stopped.
final class DCSClients: @unchecked Sendable {
    // @unchecked: `stopping` and `results` are guarded by `lock`; each thread owns its socket.
    private let lock = NSLock()
    private var stopping = false
    private var results: [(answered: Int, failed: Int, latencies: [Double])] = []
    private var running = 0

    init(port: Int, cpu: Int?) {
        for _ in 0..<DCSLoad.clients {
            lock.withLock { running += 1 }
            let thread = Thread { [self] in
                if let cpu { Affinity.pinCurrentThread(to: cpu) }
                let r = poll(port: port)
                lock.withLock {
                    results.append(r)
                    running -= 1
                }
            }
            thread.start()
        }
    }

    func stop() -> (answered: Int, failed: Int, latencies: [Double]) {
        lock.withLock { stopping = true }
        while lock.withLock({ running > 0 }) { usleep(10_000) }
        return results.reduce((0, 0, [])) { ($0.0 + $1.answered, $0.1 + $1.failed, $0.2 + $1.latencies) }
    }

    private func poll(port: Int) -> (answered: Int, failed: Int, latencies: [Double]) {
        var answered = 0
        var failed = 0
        var latencies: [Double] = []
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { return (0, 1, []) }
        var tv = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var transaction: UInt16 = 0
        let requests: [ModbusRequest] =
            [.read(.holdingRegister, address: 0, count: 19)]
            + (0..<DCSLoad.blocksPerCycle).map { .read(.holdingRegister, address: UInt16(1000 + 100 * $0), count: 100) }
        var next = ContinuousClock.now
        while !lock.withLock({ stopping }) {
            for request in requests {
                transaction &+= 1
                let frame = MBAPHeader.frame(transactionID: transaction, unitID: 1, pdu: request.pdu)
                let start = ContinuousClock.now
                let sent = frame.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                var reply = [UInt8](repeating: 0, count: 300)
                var got = 0
                // Header first, then the rest the header announces.
                while sent == frame.count, got < 7 || got < 6 + Int(UInt16(reply[4]) << 8 | UInt16(reply[5])) {
                    let n = reply.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, $0.count - got, 0) }
                    if n <= 0 { break }
                    got += n
                }
                if got >= 9, reply[7] & 0x80 == 0 {
                    answered += 1
                    latencies.append(seconds(ContinuousClock.now - start) * 1e6)
                } else {
                    failed += 1
                }
            }
            next += .milliseconds(1000 / DCSLoad.hertz)
            let wait = ContinuousClock.now.duration(to: next)
            if wait > .zero { usleep(UInt32(seconds(wait) * 1e6)) }
        }
        return (answered, failed, latencies)
    }
}
