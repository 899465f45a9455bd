import Config
import Devices
import Foundation
import Logging
import ModbusWire
import PlantSim

/// Part 2: how long a command waits on a busy bus, from `FieldIO.send` being called to the write frame arriving at
/// the simulator.
///
/// The simulator runs in this process so that its `WriteRecord.receivedAt` and the caller's `ContinuousClock.now`
/// are the same clock. Commands are a valve's `stop` (write single register, holding 0 = 3), sent one at a time
/// to a random valve after a random pause, so that they land at random points of the poll in flight.
@MainActor
struct CommandLatency {
    static let tcpDevices = 200
    static let tcpCommands = 1000
    static let rtuDevices = 8
    static let rtuValves = 4
    static let rtuCommands = 100
    static let rtuBaud = 9600
    static let pollMs = 10
    static let baselineReads = 2000
    static let tcpTarget = 2.0

    let options: Options
    let logger: Logger

    func run(_ report: Report) async throws {
        var rng = SeededGenerator(seed: options.seed &+ 2)
        try await tcp(report, &rng)
        try await rtu(report, &rng)
    }

    // MARK: TCP

    private func tcp(_ report: Report, _ rng: inout SeededGenerator) async throws {
        let section = "Command latency, TCP"
        let dir = options.work + "/latency-tcp"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let layout = FieldLayout(
            servers: [.init(name: "field", transport: .tcp)],
            units: FieldLayout.units(
                server: "field", count: Self.tcpDevices, valves: Self.tcpDevices, pollMs: Self.pollMs))
        let plant = try Plant(
            scenario: Scenario.parse(layout.scenarioTOML(controlSocket: dir + "/control.sock"), source: "tcp.toml"))
        try placement.start(plant)
        defer { plant.stop() }
        guard let port = plant.tcpPort(server: "field") else { throw BenchError("simulator has no TCP port") }

        // Baseline: one read round trip by libmodbus on an idle link to the same simulator, before Levee starts.
        let (path, arguments) = placement.client(
            options.modbusLoop, ["latency", "127.0.0.1", "\(port)", "\(Self.baselineReads)", "1", "2", "0", "4"])
        let probe = try runTool(path, arguments)
        guard let oneRead = keyValues(probe)["p50_us"], let oneReadP99 = keyValues(probe)["p99_us"] else {
            throw BenchError("modbus_loop latency: \(probe)")
        }

        let config = try ConfigLoader.parse(layout.leveeTOML(ports: ["field": port]), file: "latency-tcp.toml")
        let valves = layout.units.map(\.id)
        let samples = try await commands(
            config: config, plant: plant, server: "field", valves: valves, count: Self.tcpCommands,
            warmUp: .seconds(1), maxPauseMicroseconds: 2000, rng: &rng)
        let p50 = percentile(samples, 0.5)
        let p99 = percentile(samples, 0.99)
        let ratio = p99 / oneRead
        report.add(
            Figure(
                name: "command latency TCP p99", levee: "levee p99 \(fixed(p99, 0)) µs",
                baseline: "1 idle loopback read (C) p50 \(fixed(oneRead, 0)) µs", ratio: ratio,
                target: "<= \(fixed(Self.tcpTarget, 2))", pass: ratio <= Self.tcpTarget))
        report.note(
            section,
            "\(Self.tcpDevices) valve actuators on one TCP bus (one connection), poll_ms \(Self.pollMs): the bus "
                + "thread always has a read in flight. PlantSim in-process (\(placement.map { "\($0)" } ?? "unpinned"), "
                + "the caller with FieldIO); \(Self.tcpCommands) `stop` commands (FC06) to random valves, a random "
                + "0-2 ms pause before each.")
        report.note(
            section,
            "send() → frame at simulator: p50 \(fixed(p50, 0)) µs, p90 \(fixed(percentile(samples, 0.9), 0)) µs, "
                + "p99 \(fixed(p99, 0)) µs, max "
                + "\(fixed(samples.max() ?? .nan, 0)) µs.")
        report.note(
            section,
            "Baseline: bench/c/modbus_loop.c, \(Self.baselineReads) single reads (FC02 0+4, unit 1) on an idle "
                + "connection, 1 ms apart, before Levee starts: p50 \(fixed(oneRead, 1)) µs (its own p99: "
                + "\(fixed(oneReadP99, 1)) µs, the machine's scheduling tail with no Levee involved).")
    }

    // MARK: RTU

    private func rtu(_ report: Report, _ rng: inout SeededGenerator) async throws {
        let section = "Command latency, RTU"
        let dir = options.work + "/latency-rtu"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let layout = FieldLayout(
            servers: [.init(name: "rtu0", transport: .rtu(link: dir + "/ttyRTU0", baud: Self.rtuBaud))],
            units: FieldLayout.units(
                server: "rtu0", count: Self.rtuDevices, valves: Self.rtuValves, pollMs: Self.pollMs))
        let plant = try Plant(
            scenario: Scenario.parse(layout.scenarioTOML(controlSocket: dir + "/control.sock"), source: "rtu.toml"))
        try placement.start(plant)
        defer { plant.stop() }
        let config = try ConfigLoader.parse(layout.leveeTOML(ports: [:]), file: "latency-rtu.toml")

        // The bound: the longest read the poller may have on the wire when the command arrives (request, reply
        // and the 3.5-character silence that must follow), plus the write request frame itself (8 bytes).
        let timing = SerialTiming(baud: Self.rtuBaud)
        let reads = config.pollRequests(bus: "rtu0").map(\.request)
        guard let longest = reads.max(by: { $0.rtuReplyBytes < $1.rtuReplyBytes }) else {
            throw BenchError("no poll requests on rtu0")
        }
        let readWire = timing.duration(ofBytes: longest.rtuRequestBytes + longest.rtuReplyBytes) + timing.interFrameGap
        let writeFrame = timing.duration(ofBytes: 8)
        let bound = (readWire + writeFrame) * 1e6

        let valves = layout.units.filter { $0.model == .valve }.map(\.id)
        let samples = try await commands(
            config: config, plant: plant, server: "rtu0", valves: valves, count: Self.rtuCommands,
            warmUp: .seconds(2), maxPauseMicroseconds: 40_000, rng: &rng)
        let p50 = percentile(samples, 0.5)
        let p99 = percentile(samples, 0.99)
        let ratio = p99 / bound
        report.add(
            Figure(
                name: "command latency RTU p99", levee: "levee p99 \(fixed(p99 / 1000, 1)) ms",
                baseline: "wire: 1 read + write frame \(fixed(bound / 1000, 1)) ms", ratio: ratio,
                target: "<= 1.00", pass: ratio <= 1))
        report.note(
            section,
            "\(Self.rtuDevices) devices (\(Self.rtuValves) valve actuators, \(Self.rtuDevices - Self.rtuValves) gas "
                + "transmitters) on one RTU line, \(Self.rtuBaud) baud 8N1, PlantSim RTU server on a pty "
                + "in-process, poll_ms \(Self.pollMs); \(Self.rtuCommands) `stop` commands, a random 0-40 ms pause "
                + "before each.")
        report.note(
            section,
            "send() → frame at simulator: p50 \(fixed(p50 / 1000, 1)) ms, p90 "
                + "\(fixed(percentile(samples, 0.9) / 1000, 1)) ms, p99 \(fixed(p99 / 1000, 1)) ms, max "
                + "\(fixed((samples.max() ?? .nan) / 1000, 1)) ms.")
        report.note(
            section,
            "Bound (SerialTiming): longest poll read FC0\(longest.table.readFunction) \(longest.count) → "
                + "\(longest.rtuRequestBytes) + \(longest.rtuReplyBytes) bytes + 3.5 characters = "
                + "\(fixed(readWire * 1000, 2)) ms, plus the 8-byte write request \(fixed(writeFrame * 1000, 2)) ms. "
                + "The pty delivers the write instantly, so the write's own frame time is slack in practice.")
    }

    // MARK: Placement

    /// The simulator on one CPU, Levee and the C baseline on another.
    private var placement: CPUPlacement? { .loopback }

    // MARK: Commands

    /// Sends `count` `stop` commands to random valves while the bus polls, and returns each one's time from the
    /// call to `send` to its frame's arrival at the simulator, in microseconds.
    private func commands(
        config: LeveeConfig, plant: Plant, server: String, valves: [String], count: Int, warmUp: Duration,
        maxPauseMicroseconds: Int, rng: inout SeededGenerator
    ) async throws -> [Double] {
        let io = FieldIO(config: config, logger: logger)
        // The bus thread inherits this thread's CPU; the caller stays there too, as the client side.
        if let placement { Affinity.pinCurrentThread(to: placement.clientCPU) }
        io.start()
        defer {
            io.stop()
            Affinity.restoreCurrentThread()
        }
        try await Task.sleep(for: warmUp)
        plant.resetObservations()
        let origin = CommandOrigin(user: "levee-bench", source: "levee-bench", reason: "latency benchmark")
        var sent: [(device: String, at: ContinuousClock.Instant)] = []
        sent.reserveCapacity(count)
        for _ in 0..<count {
            let device = valves.randomElement(using: &rng)!
            try await Task.sleep(for: .microseconds(Int.random(in: 0...maxPauseMicroseconds, using: &rng)))
            let t0 = ContinuousClock.now
            try await io.send("stop", to: device, origin: origin)
            sent.append((device, t0))
        }
        let writes = plant.writeLog(server: server).filter { $0.function == 0x06 }
        guard writes.count == sent.count else {
            throw BenchError("\(sent.count) commands sent but \(writes.count) writes seen by the simulator")
        }
        var samples: [Double] = []
        for (command, write) in zip(sent, writes) {
            guard write.device == command.device else {
                throw BenchError("write log out of order: \(write) for a command to \(command.device)")
            }
            samples.append(seconds(write.receivedAt - command.at) * 1e6)
        }
        return samples
    }
}
