import Foundation
import ModbusWire
import PlantSim

/// Part 5: how fast the one-key shutoff reaches the field in the real daemon. The time runs from the button's edge
/// to the first command frame at the simulator, and to the last frame of the plant-wide plan, while about 200
/// devices are polled.
///
/// `leveed run` (release) runs as a subprocess on a generated configuration. PlantSim runs in this process, so the
/// button edge (`Plant.gpioEdgeLog()`) and the frames (`WriteRecord.receivedAt`) are stamped by one clock.
@MainActor
struct TriggerLatency {
    /// TCP servers: (name, devices, of which valve actuators). The valves are in the plan; the gas transmitters
    /// after them are only polled.
    static let tcpServers = [("plc-a", 100, 4), ("plc-b", 100, 4)]
    static let rtuServer = "rtu0"
    static let rtuValves = 4
    static let rtuBaud = 9600
    /// The footprint part's plant: every device once a second. (CommandLatency measures a saturated bus.)
    static let pollMs = 1000
    static let buttonLine = 0
    static let presses = 100
    static let pauseMilliseconds = 250...450
    static let baselineReads = 2000
    /// The first frame's allowance on top of one transaction, in µs.
    static let allowanceMicroseconds = 2000.0
    static let rtuTarget = 1.2
    static let writeFunctions: Set<UInt8> = [0x05, 0x06, 0x0F, 0x10]

    let options: Options

    /// One press, every time in µs after t0 (the edge's delivery to leveed) unless named otherwise.
    struct Press {
        /// From the line changing to leveed collecting the edge.
        var pressToDelivery: Double
        var tcpFirst: Double
        var tcpLast: Double
        /// The most plan frames one TCP bus carried.
        var tcpFramesPerBus: Int
        /// The longest time from one TCP bus's first plan frame to its last.
        var tcpBusSpread: Double
        /// From the first TCP bus's first plan frame to the last TCP bus's first.
        var tcpBusSkew: Double
        var rtuFirst: Double
        var rtuLast: Double
        /// When the simulator answers the last RTU plan frame: the plan's end on the wire.
        var rtuDone: Double
        /// Wire time of this press's RTU plan frames.
        var rtuWire: Double
        var rtuFrames: Int
    }

    func run(_ report: Report) async throws {
        let section = "Trigger latency"
        guard leveedHasRun(options.leveed) else {
            progress("trigger: leveed run not available")
            report.add(
                Figure(
                    name: "trigger latency", levee: "leveed run not available", baseline: "-", ratio: nil,
                    target: "-", pass: nil))
            report.note(section, "TODO: `leveed run --config FILE` does not exist yet in this build; not measured.")
            return
        }
        var rng = SeededGenerator(seed: options.seed &+ 5)
        let dir = options.work + "/trigger"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let rtu = FieldLayout.Server(
            name: Self.rtuServer, transport: .rtu(link: dir + "/ttyRTU0", baud: Self.rtuBaud, parity: "even"))
        let tcpUnits = Self.tcpServers.flatMap {
            FieldLayout.units(server: $0.0, count: $0.1, valves: $0.2, pollMs: Self.pollMs)
        }
        let rtuUnits = FieldLayout.units(
            server: Self.rtuServer, count: Self.rtuValves, valves: Self.rtuValves, pollMs: Self.pollMs)
        let layout = FieldLayout(
            servers: Self.tcpServers.map { .init(name: $0.0, transport: .tcp) } + [rtu], units: tcpUnits + rtuUnits)
        let valves = layout.units.filter { $0.model == .valve }.map(\.id)
        let gpioSocket = dir + "/gpio.sock"
        let plant = try Plant(
            scenario: Scenario.parse(
                layout.scenarioTOML(controlSocket: dir + "/sim-control.sock") + scenarioButton(socket: gpioSocket),
                source: "trigger.toml"))
        try placement.start(plant)
        defer { plant.stop() }
        var ports: [String: Int] = [:]
        for server in Self.tcpServers { ports[server.0] = plant.tcpPort(server: server.0) }
        guard let probePort = ports[Self.tcpServers[0].0] else { throw BenchError("simulator has no TCP port") }

        // Baseline: one read round trip by libmodbus on an idle link to the same simulator, before leveed starts.
        let (probePath, probeArguments) = placement.client(
            options.modbusLoop, ["latency", "127.0.0.1", "\(probePort)", "\(Self.baselineReads)", "1", "2", "0", "4"])
        let probe = try runTool(probePath, probeArguments)
        guard let oneRead = keyValues(probe)["p50_us"], let oneReadP99 = keyValues(probe)["p99_us"] else {
            throw BenchError("modbus_loop latency: \(probe)")
        }

        let configPath = dir + "/levee.toml"
        let control = LeveedControl(socketPath: dir + "/leveed.sock")
        let config =
            layout.leveeTOML(ports: ports, historianPath: dir + "/levee.db", controlSocket: control.socketPath)
            + leveeButton(socket: gpioSocket)
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let (daemonPath, daemonArguments) = placement.client(options.leveed, ["run", "--config", configPath])
        let daemon = try Background(daemonPath, daemonArguments, logPath: dir + "/leveed.log")
        defer { daemon.stop() }
        try await waitUntilReady(control, daemon: daemon, devices: layout.units.count + 1)

        // This thread presses the button and watches the write log: it sits with the simulator, away from leveed.
        if let placement { Affinity.pinCurrentThread(to: placement.simulatorCPU) }
        defer { Affinity.restoreCurrentThread() }
        var presses: [Press] = []
        var failures: [String] = []
        for _ in 0..<Self.presses {
            try await Task.sleep(for: .milliseconds(Int.random(in: Self.pauseMilliseconds, using: &rng)))
            guard daemon.isRunning else { throw BenchError("leveed run exited: \(daemon.output.suffix(2000))") }
            switch try await press(plant, valves: valves) {
            case .success(let p): presses.append(p)
            case .failure(let reason): failures.append(reason.description)
            }
            try plant.releaseButton(line: Self.buttonLine)
            try await resetLatch(control)
            // The valves stopped part-way (or closed); put them back open, as an operator's restore would.
            for valve in valves { try plant.setValue(100, device: valve, signal: "position") }
        }
        guard !presses.isEmpty else {
            throw BenchError("no press gave the whole plan: \(failures.prefix(3).joined(separator: "; "))")
        }

        // MARK: Figures

        let firstBound = oneRead + Self.allowanceMicroseconds
        let framesPerBus = presses.map(\.tcpFramesPerBus).max() ?? 0
        let planBound = firstBound + Double(framesPerBus) * oneRead
        let rtuWire = median(presses.map(\.rtuWire))
        for (label, p) in [("p50", 0.5), ("p99", 0.99)] {
            let first = percentile(presses.map(\.tcpFirst), p)
            report.add(
                Figure(
                    name: "trigger 1st frame TCP \(label)", levee: "levee \(label) \(fixed(first, 0)) µs",
                    baseline: "1 read (C) \(fixed(oneRead, 0)) µs + 2 ms = \(fixed(firstBound, 0)) µs",
                    ratio: first / firstBound, target: "<= 1.00", pass: first <= firstBound))
        }
        for (label, p) in [("p50", 0.5), ("p99", 0.99)] {
            let last = percentile(presses.map(\.tcpLast), p)
            report.add(
                Figure(
                    name: "trigger plan TCP \(label)", levee: "levee \(label) \(fixed(last, 0)) µs",
                    baseline: "\(fixed(firstBound, 0)) µs + \(framesPerBus) × 1 read = \(fixed(planBound, 0)) µs",
                    ratio: last / planBound, target: "<= 1.00", pass: last <= planBound))
        }
        for (label, p) in [("p50", 0.5), ("p99", 0.99)] {
            let done = percentile(presses.map(\.rtuDone), p)
            report.add(
                Figure(
                    name: "trigger plan RTU \(label)", levee: "levee \(label) \(fixed(done / 1000, 1)) ms",
                    baseline: "wire: \(Self.rtuValves) frames \(fixed(rtuWire / 1000, 1)) ms", ratio: done / rtuWire,
                    target: "<= \(fixed(Self.rtuTarget, 2))", pass: done / rtuWire <= Self.rtuTarget))
        }

        // MARK: Notes

        let tcpDevices = Self.tcpServers.reduce(0) { $0 + $1.1 }
        let servers = Self.tcpServers.map { "\($0.0) \($0.1) on its own TCP port (\($0.2) valve actuators)" }
        let placed = placement.map { "\($0): leveed and the C probe on CPU \($0.clientCPU)" } ?? "unpinned"
        report.note(
            section,
            "leveed run (release) polls \(layout.units.count) devices every \(Self.pollMs) ms: "
                + servers.joined(separator: ", ") + ", the rest gas transmitters; \(Self.rtuServer) "
                + "\(Self.rtuValves) valve actuators on one RTU line at \(Self.rtuBaud) baud 8E1 (a read on the wire "
                + "about a quarter of the time at this rate). The button is line \(Self.buttonLine) of the simulated GPIO chip, normally "
                + "closed, debounce_ms 0. PlantSim runs in this process (\(placed); the thread pressing the button "
                + "with the simulator).")
        report.note(
            section,
            "The plant-wide plan closes all \(valves.count) valves (close coil, FC05), every step at once through "
                + "its bus's priority path. \(presses.count + failures.count) presses, each after a random "
                + "\(Self.pauseMilliseconds.lowerBound)-\(Self.pauseMilliseconds.upperBound) ms pause. Between "
                + "presses the bench releases the button, resets the latch on the control socket and puts the valves "
                + "back open in the simulator.")
        report.note(
            section,
            "t0 is the moment the simulated chip builds the `EVENTS` reply that carries the press to leveed: what a "
                + "real chip's blocking edge read would return. A frame's time is `WriteRecord.receivedAt`, when the "
                + "request had been read whole (on RTU from the pty, where it arrives at once). Both come from "
                + "ContinuousClock in this process.")
        report.note(
            section,
            "TCP (\(tcpDevices) devices): t0 → first plan frame \(spread(presses.map(\.tcpFirst), 1, "µs")); t0 → "
                + "last TCP plan frame \(spread(presses.map(\.tcpLast), 1, "µs")). Where the time after the first "
                + "frame goes: one bus's first to last plan frame \(spread(presses.map(\.tcpBusSpread), 1, "µs")), "
                + "against \(framesPerBus - 1) more frames × 1 read = \(fixed(Double(framesPerBus - 1) * oneRead, 0)) µs "
                + "back to back; one bus's first frame to the other's \(spread(presses.map(\.tcpBusSkew), 1, "µs")).")
        let timing = SerialTiming(baud: Self.rtuBaud, parity: true)
        let fc05 = (timing.duration(ofBytes: 16) + timing.interFrameGap) * 1000
        report.note(
            section,
            "RTU: t0 → first plan frame (it waits out any read on the wire) "
                + "\(spread(presses.map(\.rtuFirst), 1000, "ms")); last frame arrives "
                + "\(spread(presses.map(\.rtuLast), 1000, "ms")); the plan ends on the wire when the simulator "
                + "answers that frame, its arrival plus its own transaction (FC05, 8 + 8 bytes at 11 bits a "
                + "character plus 3.5 characters = \(fixed(fc05, 2)) ms): \(spread(presses.map(\.rtuDone), 1000, "ms"))"
                + ". The bound: \(presses[0].rtuFrames) such frames = \(fixed(rtuWire / 1000, 2)) ms "
                + "(SerialTiming, as the simulator delays replies).")
        report.note(
            section,
            "From the press itself: leveed polls the simulated chip (`EVENTS`, then sleeps up to 4 ms), so the line "
                + "change → t0 is \(spread(presses.map(\.pressToDelivery), 1000, "ms")), and the line change → first "
                + "TCP frame \(spread(presses.map { $0.pressToDelivery + $0.tcpFirst }, 1000, "ms")). A real chip "
                + "wakes its reader at the edge. A configured debounce (20 ms by default) adds its whole length.")
        report.note(
            section,
            "Baseline: bench/c/modbus_loop.c, \(Self.baselineReads) single reads (FC02 0+4, unit 1) on an idle "
                + "connection to \(Self.tcpServers[0].0), 1 ms apart, before leveed starts: p50 \(fixed(oneRead, 1)) µs"
                + " (p99 \(fixed(oneReadP99, 1)) µs).")
        if !failures.isEmpty {
            report.note(
                section,
                "\(failures.count) of \(presses.count + failures.count) presses left out: "
                    + failures.prefix(3).joined(separator: "; "))
        }
    }

    // MARK: One press

    struct PressFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Presses the button and waits for every plan valve's first write frame.
    /// - Parameter rtu: whether the plan has RTU steps (the DCS part's plant has none; its RTU figures are then 0).
    func press(_ plant: Plant, valves: [String], rtu hasRTU: Bool = true) async throws -> Result<Press, PressFailure> {
        let wanted = Set(valves)
        plant.resetObservations()
        let before = ContinuousClock.now
        try plant.pressButton(line: Self.buttonLine)
        let deadline = ContinuousClock.now + .seconds(3)
        var writes: [String: WriteRecord] = [:]
        while writes.count < wanted.count, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(2))
            for w in plant.writeLog() where Self.writeFunctions.contains(w.function) {
                if let device = w.device, wanted.contains(device), writes[device] == nil { writes[device] = w }
            }
        }
        guard writes.count == wanted.count else {
            return .failure(PressFailure(description: "\(writes.count) of \(wanted.count) plan frames within 3 s"))
        }
        let edge = plant.gpioEdgeLog().last {
            $0.line == Self.buttonLine && $0.level == 0 && $0.changedAt >= before
        }
        guard let edge, let t0 = edge.deliveredAt else {
            return .failure(PressFailure(description: "the press edge was not collected"))
        }
        func micro(_ instant: ContinuousClock.Instant) -> Double { seconds(instant - t0) * 1e6 }
        let tcp = writes.values.filter { $0.server != Self.rtuServer }
        let rtu = writes.values.filter { $0.server == Self.rtuServer }.sorted { $0.receivedAt < $1.receivedAt }
        guard let tcpFirst = tcp.map(\.receivedAt).min(), let tcpLast = tcp.map(\.receivedAt).max(),
            !hasRTU || !rtu.isEmpty
        else { return .failure(PressFailure(description: "a bus carried no plan frame")) }
        let timing = SerialTiming(baud: Self.rtuBaud, parity: true)
        /// The frame's transaction on the line: request, reply (8 bytes for every write function) and the silence.
        func wire(_ w: WriteRecord) -> Double {
            (timing.duration(ofBytes: requestBytes(w) + 8) + timing.interFrameGap) * 1e6
        }
        let buses = Dictionary(grouping: tcp, by: \.server).values.map { frames in
            let times = frames.map { micro($0.receivedAt) }
            return (count: frames.count, first: times.min()!, last: times.max()!)
        }
        return .success(
            Press(
                pressToDelivery: seconds(t0 - edge.changedAt) * 1e6, tcpFirst: micro(tcpFirst),
                tcpLast: micro(tcpLast), tcpFramesPerBus: buses.map(\.count).max() ?? 0,
                tcpBusSpread: buses.map { $0.last - $0.first }.max() ?? 0,
                tcpBusSkew: (buses.map(\.first).max() ?? 0) - (buses.map(\.first).min() ?? 0),
                rtuFirst: rtu.first.map { micro($0.receivedAt) } ?? 0,
                rtuLast: rtu.last.map { micro($0.receivedAt) } ?? 0,
                rtuDone: rtu.last.map { micro($0.receivedAt) + wire($0) } ?? 0, rtuWire: rtu.map(wire).reduce(0, +),
                rtuFrames: rtu.count))
    }

    /// Bytes of a write's RTU request frame: unit, function, address, then the value or the quantity, byte count
    /// and data, then the CRC.
    private func requestBytes(_ w: WriteRecord) -> Int {
        switch w.function {
        case 0x0F: 9 + (w.values.count + 7) / 8
        case 0x10: 9 + 2 * w.values.count
        default: 8
        }
    }

    // MARK: The daemon

    /// Waits until leveed answers on its control socket with every device answering its polls and no latch.
    func waitUntilReady(_ control: LeveedControl, daemon: Background, devices: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        var last = "no reply"
        while ContinuousClock.now < deadline {
            guard daemon.isRunning else { throw BenchError("leveed run exited: \(daemon.output.suffix(2000))") }
            if let status = try? control.status() {
                let answering = status.devices.filter(\.answering).count
                last = "\(answering) of \(status.devices.count) devices answering"
                if status.devices.count == devices, answering == devices, status.defence?.latched != true { return }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw BenchError("leveed not ready after 60 s (\(last)): \(daemon.output.suffix(2000))")
    }

    /// Resets the latch. leveed refuses while it still sees the button pressed, so this retries until it has seen
    /// the release.
    func resetLatch(_ control: LeveedControl) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        var last = ""
        while ContinuousClock.now < deadline {
            guard let refusal = try control.reset(reason: "levee-bench trigger latency") else { return }
            last = refusal
            if try control.status().defence?.latched == false { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw BenchError("leveed did not reset its latch within 5 s: \(last)")
    }

    // MARK: Configuration

    /// The simulated chip with the one-key button, for the levee-sim scenario.
    func scenarioButton(socket: String) -> String {
        """

        [gpio]
        socket = "\(socket)"
        chip = "levee-sim"
        num_lines = 8

        [[gpio.lines]]
        offset = \(Self.buttonLine)
        name = "shutoff-button"
        role = "button"
        contact = "nc"

        """
    }

    /// The GPIO bus and the button device, for the Levee configuration.
    func leveeButton(socket: String) -> String {
        """

        [buses.io]
        type = "gpio"
        chip = "sim:\(socket)"

        [[devices]]
        id = "shutoff-button"
        name = "一键关断按钮"
        type = "digital-input"
        bus = "io"
        line = "boundary"
        role = "button"
        poll_ms = 500
        points.state = { line = \(Self.buttonLine), normally_closed = true, debounce_ms = 0 }

        """
    }

    // MARK: Placement

    /// The simulator on one CPU, Levee and the C baseline on another.
    var placement: CPUPlacement? { .loopback }

    /// "p50 X, p90 Y, p99 Z, max W unit", with values in µs divided by `scale`.
    private func spread(_ samples: [Double], _ scale: Double, _ unit: String) -> String {
        let digits = scale == 1 ? 0 : 2
        return "p50 \(fixed(percentile(samples, 0.5) / scale, digits)), "
            + "p90 \(fixed(percentile(samples, 0.9) / scale, digits)), "
            + "p99 \(fixed(percentile(samples, 0.99) / scale, digits)), "
            + "max \(fixed((samples.max() ?? .nan) / scale, digits)) \(unit)"
    }
}
