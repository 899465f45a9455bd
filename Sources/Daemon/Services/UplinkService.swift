import Config
import ControlAPI
import Devices
import Foundation
import HJ212
import Historian
import Logging
import ServiceLifecycle
import Uplink

/// The HJ 212-2017 link to the ecology bureau's platform (`[uplink]`).
///
/// The uplink runs on its own thread (`UplinkClient`); this service feeds it the mapped points' current readings
/// every second, with their quality and whether a maintenance bypass covers them (flag M), journals what it
/// reports, and raises `uplink.link-down` while the platform is unreachable. Minute and hourly data come from the
/// historian, so what could not be sent is sent after the link returns, oldest first.
final class UplinkService: Service, Sendable {
    let settings: UplinkSettings
    private let client: UplinkClient
    private let source: HistorianUplinkSource
    private let field: FieldIO
    private let defence: DefenceService
    private let alarms: AlarmService
    private let historian: Historian
    private let logger: Logger
    private let points: [(device: String, point: String, name: String)]
    private let events: AsyncStream<UplinkEvent>
    private let eventInput: AsyncStream<UplinkEvent>.Continuation

    init(
        config: LeveeConfig, settings: UplinkSettings, field: FieldIO, defence: DefenceService,
        alarms: AlarmService, historian: Historian, logger: Logger
    ) throws {
        self.settings = settings
        self.field = field
        self.defence = defence
        self.alarms = alarms
        self.historian = historian
        self.logger = logger
        self.points = settings.factors.keys.sorted().compactMap { name in
            let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
            return parts.count == 2 ? (parts[0], parts[1], name) : nil
        }
        let configuration = UplinkConfiguration(
            host: settings.host, port: settings.port, mn: settings.mn, pw: settings.pw,
            st: SystemCode(rawValue: String(settings.st)), factors: settings.factors,
            realTimeIntervalSeconds: settings.realtimeIntervalSeconds,
            minuteIntervalMinutes: settings.minuteIntervalMinutes, minuteData: settings.minuteData,
            hourlyData: settings.hourlyData, ackTimeoutSeconds: Double(settings.timeoutSeconds),
            retries: settings.retries, maxSegmentLength: settings.maxSegment,
            timeZone: TimeZone(identifier: config.site.timeZone) ?? HJ212Time.china.timeZone,
            backfillHorizonSeconds: Double(settings.backfillDays) * 86_400, allowTimeSet: settings.allowTimeSet)
        let problems = configuration.problems
        guard problems.isEmpty else { throw UplinkSetupError(problems: problems) }
        source = HistorianUplinkSource(historian: historian)
        (events, eventInput) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1024))
        let input = eventInput
        client = UplinkClient(
            configuration: configuration, store: HistorianUplinkStore(historian: historian), source: source,
            logger: logger, onEvent: { input.yield($0) })
    }

    func run() async throws {
        feed()
        client.start()
        logger.notice(
            "HJ 212 uplink starting",
            metadata: [
                "server": "\(settings.host):\(settings.port)", "mn": "\(settings.mn)", "points": "\(points.count)",
            ])
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                for await event in events { await handle(event) }
            }
            group.addTask { [self] in
                var down = false
                var ticks = 0
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    feed()
                    ticks += 1
                    // A link down for less than a connect attempt or two is not worth an operator's attention.
                    let isDown = !client.status.connected && ticks > 15
                    if isDown != down {
                        down = isDown
                        await alarms.raise(
                            .linkDown(link: "uplink"), active: down,
                            detail: down
                                ? "platform \(settings.host):\(settings.port): \(client.status.lastError ?? "not connected")"
                                : nil)
                    }
                }
            }
            try? await gracefulShutdown()
            eventInput.finish()
            group.cancelAll()
        }
        await client.stop()
    }

    /// Hands the mapped points' readings to the uplink; a point whose interlock is bypassed is under maintenance.
    private func feed() {
        let shutoff = defence.summary()
        let bypassedInterlocks = Set(shutoff.bypasses.map(\.interlock))
        let bypassed = Set(shutoff.interlocks.filter { bypassedInterlocks.contains($0.id) }.map(\.point))
        let now = Date()
        let samples = points.map { p -> UplinkSample in
            let reading = field.reading(p.device, p.point)
            return UplinkSample(
                point: p.name, value: reading?.value, quality: reading?.quality.rawValue ?? "initial",
                bypassed: bypassed.contains(p.name), at: reading?.readAt ?? now)
        }
        source.update(samples)
    }

    private func handle(_ event: UplinkEvent) async {
        switch event {
        case .journal(let entry):
            await historian.journal(
                StoredEvent(
                    kind: "uplink", source: "hj212", message: entry.message, at: Date(),
                    details: entry.metadata.isEmpty ? nil : Self.json(entry.metadata)),
                logger: logger)
        case .setClock(let date):
            // Only with allow_time_set: the platform is trusted with this machine's clock.
            var spec = timespec(
                tv_sec: Int(date.timeIntervalSince1970),
                tv_nsec: Int((date.timeIntervalSince1970.truncatingRemainder(dividingBy: 1)) * 1e9))
            let rc = clock_settime(CLOCK_REALTIME, &spec)
            let what =
                rc == 0 ? "clock set by the platform to \(date)" : "clock not set: \(String(cString: strerror(errno)))"
            logger.warning("\(what)")
            await historian.journal(
                StoredEvent(kind: "uplink", source: "hj212", message: what, at: Date()), logger: logger)
        case .acknowledged:
            break
        }
    }

    static func json(_ metadata: [String: String]) -> String? {
        (try? JSONSerialization.data(withJSONObject: metadata, options: [.sortedKeys]))
            .map { String(decoding: $0, as: UTF8.self) }
    }

    func summary() -> UplinkSummary {
        let s = client.status
        return UplinkSummary(
            server: "\(settings.host):\(settings.port)", connected: s.connected, lastError: s.lastError,
            lastAcknowledged: s.lastAcknowledgement?.at, backlog: s.backlog)
    }
}

/// An `[uplink]` table the uplink cannot work with, beyond what the configuration check finds.
struct UplinkSetupError: Error, CustomStringConvertible {
    var problems: [String]
    var description: String { "uplink: " + problems.joined(separator: "; ") }
}
