import Alarm
import Config
import ControlAPI
import Devices
import Foundation
import Historian
import Logging
import Prometheus
import ServiceLifecycle

/// The Prometheus metrics (swift-prometheus's registry), served as text at `/metrics`.
///
/// Counters the buses already keep (reads, failures, cycles and their time) are sampled every few seconds and
/// their increase added, so the poll loop pays nothing for metrics; command latency is recorded as each command
/// is acknowledged; alarms, the latch and the historian are gauges sampled with them.
///
/// Every family is made from one of the descriptors in `MetricsService.Family`, which carry its `# HELP` text;
/// counters end in `_total`. Families (every name prefixed `levee_`): `poll_requests_total`,
/// `poll_failures_total`, `poll_replies_dropped_total`, `poll_cycles_total` and `poll_cycle_seconds_total` {bus,
/// device} (mean poll latency = rate(seconds) / rate(cycles)); `bus_link_up` {bus}; `command_latency_seconds` {bus}
/// (histogram, request to acknowledgement); `device_quality_code` {device} (its points' worst, in the historian's
/// codes: 0 good, 1 stale, 2 comm-fail, 3 out-of-range, 4 bad-config, 5 initial; comm-fail counts as worst, then
/// bad-config, out-of-range, stale, initial) and `points` {quality} (how many points have it); `device_answering`
/// {device}; `alarms_active` {priority}; `shutoff_latched`, `park_escalated`, `interlocks_bypassed`;
/// `historian_queue_depth`, `historian_write_latency_seconds`, `historian_dropped_readings_total` (a counter).
final class MetricsService: Service, Sendable {
    static let qualities = ["good", "stale", "comm-fail", "out-of-range", "bad-config", "initial"]

    /// How bad a quality code is: good, then initial, stale, out-of-range, bad-config, comm-fail.
    static func severity(_ code: Int) -> Int { [0, 2, 5, 3, 4, 1][min(code, 5)] }

    /// Every family's name, unit suffix and help text: the one place a metric is named.
    struct Family: Sendable {
        let metric: String
        let unit: String
        let help: String

        var descriptor: MetricNameDescriptor {
            MetricNameDescriptor(namespace: "levee", metricName: metric, unitName: unit, helpText: help)
        }

        private static func name(_ metric: String, _ unit: String, _ help: String) -> Family {
            Family(metric: metric, unit: unit, help: help)
        }

        static let pollRequests = name(
            "poll_requests", "total", "Modbus requests sent to a device, by bus and device.")
        static let pollFailures = name(
            "poll_failures", "total",
            "Requests to a device that got no valid answer (timeout, exception, bad reply), by bus and device.")
        static let pollRepliesDropped = name(
            "poll_replies_dropped", "total",
            "Replies dropped unread because they failed a check (late, duplicated, wrong unit or CRC).")
        static let pollCycles = name("poll_cycles", "total", "Completed poll cycles of a device, by bus and device.")
        static let pollCycleSeconds = name(
            "poll_cycle_seconds", "total",
            "Seconds spent in a device's poll cycles; divided by the cycles' rate, the mean cycle time.")
        static let busLinkUp = name("bus_link_up", "", "1 while the bus's link (TCP connection or serial port) is up.")
        static let commandLatency = name(
            "command_latency", "seconds", "Time from a command sent to a device to its acknowledgement, by bus.")
        static let deviceAnswering = name("device_answering", "", "1 while the device answers its polls.")
        static let deviceQuality = name(
            "device_quality", "code",
            "The worst quality of the device's points: 0 good, 1 stale, 2 comm-fail, 3 out-of-range, "
                + "4 bad-config, 5 initial.")
        static let points = name("points", "", "Points with each quality.")
        static let alarmsActive = name("alarms_active", "", "Alarms whose condition is active, by priority.")
        static let shutoffLatched = name("shutoff_latched", "", "1 while the shutoff latch is set.")
        static let parkEscalated = name("park_escalated", "", "1 while the plant has escalated to the park.")
        static let interlocksBypassed = name(
            "interlocks_bypassed", "", "Automatic trips bypassed for maintenance now.")
        static let historianQueueDepth = name(
            "historian_queue_depth", "", "Readings and records waiting to be written to the historian's database.")
        static let historianWriteLatency = name(
            "historian_write_latency", "seconds", "Duration of the historian's last write transaction.")
        static let historianDroppedReadings = name(
            "historian_dropped_readings", "total",
            "Readings the historian dropped because its buffer was full while the database could not be written.")
    }

    /// The command latency histogram's buckets: swift-prometheus's defaults, 5 ms to 10 s.
    static let latencyBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    /// What the previous sample saw, so counters grow by the increase since.
    struct Sampled {
        var buses: [String: BusStatistics] = [:]
        var droppedReadings = 0
    }

    let registry: PrometheusCollectorRegistry
    private let field: FieldIO
    private let historian: Historian
    private let alarms: AlarmService
    private let defence: DefenceService
    private let events: AsyncStream<FieldEvent>
    private let interval: Duration

    init(
        registry: PrometheusCollectorRegistry, field: FieldIO, historian: Historian, alarms: AlarmService,
        defence: DefenceService, interval: Duration = .seconds(5)
    ) {
        self.registry = registry
        self.field = field
        self.historian = historian
        self.alarms = alarms
        self.defence = defence
        self.interval = interval
        self.events = field.events()
    }

    /// The text format Prometheus scrapes, sampled now.
    func exposition() -> String {
        registry.emitToString()
    }

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                for await event in events {
                    guard case .command(let c) = event, let latency = c.latency else { continue }
                    let bus = field.config.device(c.device)?.bus ?? "?"
                    let histogram = registry.makeDurationHistogram(
                        descriptor: Family.commandLatency.descriptor, labels: [("bus", bus)],
                        buckets: Self.latencyBuckets)
                    histogram.record(latency)
                }
            }
            group.addTask { [self] in
                var last = Sampled()
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    sample(since: &last)
                    try? await Task.sleep(for: interval)
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    func sample(since last: inout Sampled) {
        for bus in field.config.buses {
            guard let now = field.statistics(bus: bus.id) else { continue }
            let before = last.buses[bus.id] ?? BusStatistics()
            // Every polled device's counters exist from the first sample, at 0 until something happens, so that
            // rate() and increase() see the first failure too.
            let devices = Set(now.reads.keys).union(now.failures.keys).union(now.droppedReplies.keys)
                .union(now.cycles.keys)
            for device in devices {
                add(now.reads[device], before.reads[device], Family.pollRequests, bus.id, device)
                add(now.failures[device], before.failures[device], Family.pollFailures, bus.id, device)
                add(
                    now.droppedReplies[device], before.droppedReplies[device], Family.pollRepliesDropped, bus.id,
                    device)
                add(now.cycles[device], before.cycles[device], Family.pollCycles, bus.id, device)
                let seconds = registry.makeCounter(
                    descriptor: Family.pollCycleSeconds.descriptor, labels: [("bus", bus.id), ("device", device)])
                let delta = (now.cycleSeconds[device] ?? 0) - (before.cycleSeconds[device] ?? 0)
                if delta > 0 { seconds.increment(by: delta) }
            }
            gauge(Family.busLinkUp, [("bus", bus.id)], now.linkUp ? 1 : 0)
            last.buses[bus.id] = now
        }
        var perQuality = Dictionary(uniqueKeysWithValues: Self.qualities.map { ($0, 0) })
        for device in field.snapshot() {
            gauge(Family.deviceAnswering, [("device", device.device.id)], device.answering ? 1 : 0)
            // The device's worst point: one series per device, not per point, keeps the registry small.
            var worst = 0
            for r in device.readings {
                let code = Self.qualities.firstIndex(of: r.quality.rawValue) ?? Self.qualities.count
                if Self.severity(code) > Self.severity(worst) { worst = code }
                perQuality[r.quality.rawValue, default: 0] += 1
            }
            gauge(Family.deviceQuality, [("device", device.device.id)], Double(worst))
        }
        for (quality, n) in perQuality {
            gauge(Family.points, [("quality", quality)], Double(n))
        }
        let active = alarms.summary().alarms.filter(\.conditionActive)
        for priority in AlarmPriority.allCases {
            let n = active.filter { $0.priority == priority.rawValue }.count
            gauge(Family.alarmsActive, [("priority", priority.rawValue)], Double(n))
        }
        let d = defence.summary()
        gauge(Family.shutoffLatched, [], d.latched ? 1 : 0)
        gauge(Family.parkEscalated, [], d.escalated ? 1 : 0)
        gauge(Family.interlocksBypassed, [], Double(d.bypasses.count))
        let h = historian.status
        gauge(Family.historianQueueDepth, [], Double(h.bufferedReadings + h.bufferedRecords))
        gauge(Family.historianWriteLatency, [], h.lastWriteLatency?.inSeconds ?? 0)
        // A counter from the first sample on (at 0 when nothing was dropped), so rate() and increase() work.
        let dropped = registry.makeCounter(descriptor: Family.historianDroppedReadings.descriptor, labels: [])
        if h.droppedReadings > last.droppedReadings {
            dropped.increment(by: Int64(h.droppedReadings - last.droppedReadings))
        }
        last.droppedReadings = max(last.droppedReadings, h.droppedReadings)
    }

    /// Adds a bus counter's increase since the last sample (none when it did not grow).
    private func add(_ now: Int?, _ before: Int?, _ family: Family, _ bus: String, _ device: String) {
        let counter = registry.makeCounter(descriptor: family.descriptor, labels: [("bus", bus), ("device", device)])
        let delta = (now ?? 0) - (before ?? 0)
        if delta > 0 { counter.increment(by: Int64(delta)) }
    }

    private func gauge(_ family: Family, _ labels: [(String, String)], _ value: Double) {
        registry.makeGauge(descriptor: family.descriptor, labels: labels).set(value)
    }
}
