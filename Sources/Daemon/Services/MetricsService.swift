import Alarm
import Config
import ControlAPI
import Devices
import Foundation
import Historian
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// The Prometheus metrics (swift-metrics with swift-prometheus), served as text at `/metrics`.
///
/// Counters the buses already keep (reads, failures, cycles and their time) are sampled every few seconds and
/// their increase added, so the poll loop pays nothing for metrics; command latency is recorded as each command
/// is acknowledged; alarms, the latch and the historian are gauges sampled with them.
///
/// Families (every name prefixed `levee_`): `poll_requests_total`, `poll_failures_total`, `poll_cycles_total` and
/// `poll_cycle_seconds_total` {bus, device} (mean poll latency = rate(seconds) / rate(cycles));
/// `command_latency_seconds` {bus} (histogram, request to acknowledgement); `device_quality_code` {device}
/// (its points' worst, in the historian's codes: 0 good, 1 stale, 2 comm-fail, 3 out-of-range, 4 bad-config, 5
/// initial; comm-fail counts as worst, then bad-config, out-of-range, stale, initial) and
/// `points` {quality} (how many points have it); `device_answering` {device}; `alarms_active` {priority};
/// `shutoff_latched`, `park_escalated`, `interlocks_bypassed`; `historian_queue_depth`,
/// `historian_write_latency_seconds`, `historian_dropped_readings_total`.
final class MetricsService: Service, Sendable {
    static let qualities = ["good", "stale", "comm-fail", "out-of-range", "bad-config", "initial"]

    /// How bad a quality code is: good, then initial, stale, out-of-range, bad-config, comm-fail.
    static func severity(_ code: Int) -> Int { [0, 2, 5, 3, 4, 1][min(code, 5)] }

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
                    Timer(label: "levee_command_latency_seconds", dimensions: [("bus", bus)]).record(duration: latency)
                }
            }
            group.addTask { [self] in
                var last: [String: BusStatistics] = [:]
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    sample(since: &last)
                    try? await Task.sleep(for: interval)
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    func sample(since last: inout [String: BusStatistics]) {
        for bus in field.config.buses {
            guard let now = field.statistics(bus: bus.id) else { continue }
            let before = last[bus.id] ?? BusStatistics()
            for (device, n) in now.reads {
                add(n - (before.reads[device] ?? 0), "levee_poll_requests_total", bus.id, device)
            }
            for (device, n) in now.failures {
                add(n - (before.failures[device] ?? 0), "levee_poll_failures_total", bus.id, device)
            }
            for (device, n) in now.droppedReplies {
                add(n - (before.droppedReplies[device] ?? 0), "levee_poll_replies_dropped_total", bus.id, device)
            }
            for (device, n) in now.cycles {
                add(n - (before.cycles[device] ?? 0), "levee_poll_cycles_total", bus.id, device)
            }
            for (device, s) in now.cycleSeconds {
                let delta = s - (before.cycleSeconds[device] ?? 0)
                if delta > 0 {
                    FloatingPointCounter(
                        label: "levee_poll_cycle_seconds_total", dimensions: [("bus", bus.id), ("device", device)]
                    ).increment(by: delta)
                }
            }
            Gauge(label: "levee_bus_link_up", dimensions: [("bus", bus.id)]).record(now.linkUp ? 1 : 0)
            last[bus.id] = now
        }
        var perQuality = Dictionary(uniqueKeysWithValues: Self.qualities.map { ($0, 0) })
        for device in field.snapshot() {
            Gauge(label: "levee_device_answering", dimensions: [("device", device.device.id)])
                .record(device.answering ? 1 : 0)
            // The device's worst point: one series per device, not per point, keeps the registry small.
            var worst = 0
            for r in device.readings {
                let code = Self.qualities.firstIndex(of: r.quality.rawValue) ?? Self.qualities.count
                if Self.severity(code) > Self.severity(worst) { worst = code }
                perQuality[r.quality.rawValue, default: 0] += 1
            }
            Gauge(label: "levee_device_quality_code", dimensions: [("device", device.device.id)]).record(worst)
        }
        for (quality, n) in perQuality {
            Gauge(label: "levee_points", dimensions: [("quality", quality)]).record(n)
        }
        let active = alarms.summary().alarms.filter(\.conditionActive)
        for priority in AlarmPriority.allCases {
            Gauge(label: "levee_alarms_active", dimensions: [("priority", priority.rawValue)])
                .record(active.filter { $0.priority == priority.rawValue }.count)
        }
        let d = defence.summary()
        Gauge(label: "levee_shutoff_latched").record(d.latched ? 1 : 0)
        Gauge(label: "levee_park_escalated").record(d.escalated ? 1 : 0)
        Gauge(label: "levee_interlocks_bypassed").record(d.bypasses.count)
        let h = historian.status
        Gauge(label: "levee_historian_queue_depth").record(h.bufferedReadings + h.bufferedRecords)
        Gauge(label: "levee_historian_write_latency_seconds").record(h.lastWriteLatency?.inSeconds ?? 0)
        Gauge(label: "levee_historian_dropped_readings").record(h.droppedReadings)
    }

    private func add(_ delta: Int, _ label: String, _ bus: String, _ device: String) {
        guard delta > 0 else { return }
        Counter(label: label, dimensions: [("bus", bus), ("device", device)]).increment(by: delta)
    }
}
