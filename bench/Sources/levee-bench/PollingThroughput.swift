import Config
import Devices
import Foundation
import Logging

/// Part 1: read transactions per second Levee's poller gets through one saturated Modbus TCP bus, against a plain
/// C loop on libmodbus sending the very same requests to the very same simulator process.
///
/// Arrangement: `levee-sim run` (release) is a separate process for both sides; Levee's `FieldIO` runs in this
/// process, the C loop in its own. 200 valve actuators polled every 10 ms ask for 60,000 reads/s, more than the
/// loopback link can carry, so the bus thread never waits for a due poll. The C loop replays `PollPlan`'s requests
/// for those devices round-robin, one at a time on one connection, as the bus thread does.
///
/// It runs twice, once per `CPUPlacement`. Within one, the two sides are measured in pairs of short rounds back
/// to back (alternating which goes first), and the ratio is the median of the pairs' ratios, so that other work on
/// the machine moves both sides of a pair alike.
@MainActor
struct PollingThroughput {
    static let devices = 200
    static let pollMs = 10
    static let rounds = 3
    static let windowSeconds = 3.0
    static let warmUp = Duration.seconds(1)
    static let target = 0.9

    let options: Options
    let logger: Logger

    func run(_ report: Report) async throws {
        let section = "Polling throughput"
        let dir = options.work + "/throughput"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let layout = FieldLayout(
            servers: [.init(name: "field", transport: .tcp)],
            units: FieldLayout.units(server: "field", count: Self.devices, valves: Self.devices, pollMs: Self.pollMs))
        let scenarioPath = dir + "/scenario.toml"
        try layout.scenarioTOML(controlSocket: dir + "/control.sock")
            .write(toFile: scenarioPath, atomically: true, encoding: .utf8)

        report.note(
            section,
            "levee-sim (release) as a separate process on 127.0.0.1; Levee's FieldIO in levee-bench, the C loop "
                + "(bench/c/modbus_loop.c) in its own process; one TCP connection each.")
        let placements: [CPUPlacement?] = CPUPlacement.available ? [.separate, .shared] : [nil]
        if !CPUPlacement.available {
            report.note(section, "CPU pinning unavailable (taskset or a second CPU missing): placement left to chance.")
        }
        for placement in placements {
            try await measure(placement, layout: layout, scenarioPath: scenarioPath, dir: dir, report, section)
        }
        report.note(
            section,
            "Both rows are the same work; they differ only in where the threads run (see bench/README.md). On a "
                + "real network a transaction takes 100s of µs to ms, so Levee's fixed cost per read weighs less.")
    }

    private func measure(
        _ placement: CPUPlacement?, layout: FieldLayout, scenarioPath: String, dir: String, _ report: Report,
        _ section: String
    ) async throws {
        let simCommand = placement.map {
            CPUPlacement.command(options.leveeSim, ["run", scenarioPath], cpu: $0.simulatorCPU)
        }
        let sim = try SimulatorProcess(
            command: simCommand ?? (options.leveeSim, ["run", scenarioPath]), logPath: dir + "/levee-sim.log")
        defer { sim.stop() }
        guard let port = sim.ports["field"] else { throw BenchError("levee-sim printed no port for \"field\"") }

        let config = try ConfigLoader.parse(layout.leveeTOML(ports: ["field": port]), file: "throughput.toml")
        let requests = config.pollRequests(bus: "field")
        let requestsPath = dir + "/requests.txt"
        try requests.map { "\($0.unit) \($0.request.table.readFunction) \($0.request.address) \($0.request.count)\n" }
            .joined().write(toFile: requestsPath, atomically: true, encoding: .utf8)
        let demand = Double(requests.count) * 1000 / Double(Self.pollMs)

        // One short C run first, discarded: the simulator's first connection pays for thread start and page faults.
        _ = try measureC(port: port, requestsPath: requestsPath, seconds: 1, placement)
        var levee: [Double] = []
        var baseline: [Double] = []
        for round in 0..<Self.rounds {
            let leveeFirst = round % 2 == 1
            if leveeFirst { levee.append(try await measureLevee(config, placement, section, report)) }
            baseline.append(
                try measureC(port: port, requestsPath: requestsPath, seconds: Self.windowSeconds, placement))
            if !leveeFirst { levee.append(try await measureLevee(config, placement, section, report)) }
            progress("  round \(round + 1): levee \(grouped(levee.last!)) req/s, C \(grouped(baseline.last!)) req/s")
        }
        let l = median(levee)
        let c = median(baseline)
        let ratios = zip(levee, baseline).map { $0 / $1 }
        let ratio = median(ratios)
        let label =
            switch placement {
            case .separate: "polling throughput, 2 CPUs"
            case .shared: "polling throughput, 1 CPU"
            case nil: "polling throughput"
            }
        report.add(
            Figure(
                name: label, levee: "levee \(grouped(l)) req/s", baseline: "C libmodbus loop \(grouped(c)) req/s",
                ratio: ratio, target: ">= \(fixed(Self.target, 2))", pass: ratio >= Self.target))
        let where_ = placement.map { "\($0)" } ?? "unpinned"
        report.note(
            section,
            "\(label) (\(where_)): \(Self.devices) valve actuators on one TCP bus, poll_ms \(Self.pollMs): "
                + "\(requests.count) reads per cycle (FC02 0+4, FC04 0+1, FC03 1+1 per unit, as PollPlan plans "
                + "them), demand \(grouped(demand)) req/s; the C loop replays the same \(requests.count) requests "
                + "round-robin. \(Self.rounds) pairs of \(fixed(Self.windowSeconds, 0)) s rounds: levee "
                + "\(levee.map(grouped).joined(separator: ", ")) req/s; C \(baseline.map(grouped).joined(separator: ", ")) "
                + "req/s; pair ratios \(ratios.map { fixed($0, 2) }.joined(separator: ", ")). Per read, back to back: "
                + "levee \(fixed(1e6 / l, 1)) µs, C \(fixed(1e6 / c, 1)) µs.")
        if l > 0.9 * demand {
            report.note(section, "WARNING: Levee reached 90 % of the poll demand; the bus may not have been saturated.")
        }
    }

    /// Answered requests per second of the C loop.
    private func measureC(port: Int, requestsPath: String, seconds: Double, _ placement: CPUPlacement?) throws
        -> Double
    {
        let arguments = ["throughput", "127.0.0.1", "\(port)", "\(seconds)", requestsPath]
        let (path, args) =
            placement.map { CPUPlacement.command(options.modbusLoop, arguments, cpu: $0.clientCPU) }
            ?? (options.modbusLoop, arguments)
        let out = try runTool(path, args)
        let kv = keyValues(out)
        guard let rate = kv["rate"] else { throw BenchError("modbus_loop printed no rate: \(out)") }
        if let failed = kv["failed"], failed > 0 { progress("  C loop: \(Int(failed)) failed requests") }
        return rate
    }

    /// Answered reads per second of Levee's bus thread, from `FieldIO.statistics(bus:)` over the window.
    private func measureLevee(
        _ config: LeveeConfig, _ placement: CPUPlacement?, _ section: String, _ report: Report
    ) async throws -> Double {
        let io = FieldIO(config: config, logger: logger)
        // The bus thread (and the valve ticker) inherit the CPU of the thread that starts them.
        if let placement { Affinity.pinCurrentThread(to: placement.clientCPU) }
        io.start()
        Affinity.restoreCurrentThread()
        try await Task.sleep(for: Self.warmUp)
        let before = io.statistics(bus: "field")
        let t0 = ContinuousClock.now
        try await Task.sleep(for: .milliseconds(Int(Self.windowSeconds * 1000)))
        let after = io.statistics(bus: "field")
        let t1 = ContinuousClock.now
        io.stop()
        guard let before, let after else { throw BenchError("FieldIO has no bus \"field\"") }
        func total(_ s: BusStatistics, _ key: KeyPath<BusStatistics, [String: Int]>) -> Int {
            s[keyPath: key].values.reduce(0, +)
        }
        let reads = total(after, \.reads) - total(before, \.reads)
        let failures = total(after, \.failures) - total(before, \.failures)
        let cycles = total(after, \.cycles) - total(before, \.cycles)
        if failures > 0 { report.note(section, "levee: \(failures) failed reads in one round") }
        if cycles > 0, abs(reads - cycles * 3) > 6 {  // a cycle cut by the window edge counts partly
            report.note(section, "levee: \(reads) reads in \(cycles) cycles (expected 3 per valve cycle)")
        }
        return Double(reads - failures) / seconds(t1 - t0)
    }
}
