import ArgumentParser
import Config
import ControlAPI
import Defence
import Devices
import Foundation
import Historian
import JournalLog
import Logging
import Prometheus
import ServiceLifecycle
import UnixSignals

/// `leveed run --config FILE`: the daemon.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Poll the field devices, record them, and serve the control socket until SIGTERM.",
        discussion: """
            SIGTERM or SIGINT shut down gracefully: commands in flight are finished, the historian is flushed, \
            nothing is opened or re-energised, and the exit code is 0. SIGHUP reloads the configuration file; a \
            file with mistakes is refused and the running configuration kept. Under systemd (Type=notify) leveed \
            reports READY=1 after the first poll of every device, a STATUS= summary, and WATCHDOG=1 from its scan \
            loops.
            """)

    @Option(name: .long, help: "The configuration file.")
    var config: String

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        JournalLogHandler.bootstrap(level: logLevel)
        let logger = Logger(label: "leveed")
        FileLimit.raise(logger: logger)

        let settings: LeveeConfig
        do {
            settings = try ConfigLoader.load(path: config)
        } catch {
            for line in error.lines { printToStandardError(line) }
            logger.critical(
                "configuration invalid; not starting",
                metadata: ["file": "\(config)", "issues": "\(error.issues.count)"])
            throw ExitCode(1)
        }
        let unready = PlanReadiness.problems(settings, file: config)
        guard unready.isEmpty else {
            for line in unready { printToStandardError(line) }
            logger.critical(
                "shutoff plan not ready; not starting", metadata: ["file": "\(config)", "issues": "\(unready.count)"])
            throw ExitCode(1)
        }

        let secrets: LinkSecrets
        do {
            secrets = try LinkSecrets.load(settings)
        } catch {
            for line in error.lines { printToStandardError("\(config): \(line)") }
            logger.critical("a secret file cannot be read; not starting", metadata: ["file": "\(config)"])
            throw ExitCode(1)
        }

        // The historian is never a precondition for safety: when its database cannot be opened (damaged, disk full,
        // unwritable, a newer version's), it starts in fault, raises its alarm, keeps records in memory and retries;
        // polling, alarms, the button, the interlocks and the latch start regardless.
        do {
            try FileManager.default.createDirectory(
                atPath: (settings.historian.path as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true)
        } catch {
            logger.error(
                "historian directory cannot be created",
                metadata: ["path": "\(settings.historian.path)", "error": "\(error)"])
        }
        let historian = Historian(
            configuration: HistorianConfiguration(
                path: settings.historian.path, heartbeatSeconds: settings.historian.heartbeatSeconds,
                readingsRetentionDays: Double(settings.historian.retentionDays.readings),
                eventsRetentionDays: Double(settings.historian.retentionDays.events),
                commandsRetentionDays: Double(settings.historian.retentionDays.commands),
                bufferLimit: settings.historian.bufferLimit),
            logger: logger)
        do {
            try await historian.recordEvent(
                StoredEvent(
                    kind: "config-load", source: "leveed",
                    message: "started with \(config): \(settings.buses.count) buses, \(settings.devices.count) devices",
                    at: Date()))
        } catch {
            logger.warning("start event not yet durable", metadata: ["error": "\(error)"])
        }

        let field = FieldIO(config: settings, logger: logger)
        let alarms: AlarmService
        do {
            alarms = try AlarmService(config: settings, field: field, historian: historian, logger: logger)
        } catch {
            logger.critical("alarms cannot be set up; not starting", metadata: ["error": "\(error)"])
            historian.close()
            throw ExitCode(1)
        }
        let defence = DefenceService(
            config: settings, field: field, historian: historian, alarms: alarms, logger: logger)
        alarms.drillDevices.withLock { $0 = { defence.drillDevices } }
        // Made before the field starts, so it still sees the first readings; after the shutoff, whose drill it asks.
        let recorder = RecorderService(
            field: field, historian: historian, logger: logger, drillDevices: { defence.drillDevices })
        let firstFlush = FirstFlushService(
            config: settings, field: field, alarms: alarms, historian: historian, logger: logger)
        firstFlush.follow(defence)
        // The metrics are made on the registry itself, each with its help text; nothing goes through
        // swift-metrics' global factory, whose families would have no # HELP line.
        let registry = PrometheusCollectorRegistry()
        let metrics = MetricsService(
            registry: registry, field: field, historian: historian, alarms: alarms, defence: defence)
        let links = LinkRegistry()
        let handler: @Sendable (ControlCommand, Requester) async -> ControlResult = { command, requester in
            await ControlHandler.handle(
                command, peer: requester, field: field, historian: historian, alarms: alarms, defence: defence,
                links: links, metrics: metrics)
        }
        // The site status, built once a second and on each change, for every subscriber (MQTT, watchers).
        let publisher = StatusPublisher(field: field, signals: [defence.statusChanged, alarms.statusChanged]) {
            ControlHandler.status(field: field, historian: historian, alarms: alarms, defence: defence, links: links)
        }
        // The journal rides the same feed: each entry the historian commits goes to every journal watcher.
        historian.observeJournal { publisher.publishJournal($0) }
        // The park link (MQTT) and, on a park instance, the plants; both need the handler, so come after it.
        var mqtt: MQTTService?
        var park: ParkService?
        if let mqttSettings = settings.mqtt {
            do {
                let service = try MQTTService(
                    config: settings, settings: mqttSettings, secrets: secrets, handler: handler,
                    status: { publisher.current() }, historian: historian, alarms: alarms, logger: logger)
                mqtt = service
                if let parkSettings = settings.park {
                    park = try ParkService(
                        config: settings, settings: parkSettings, secrets: secrets, mqtt: service, defence: defence,
                        alarms: alarms, historian: historian, logger: logger)
                }
            } catch {
                logger.critical("MQTT link cannot be set up; not starting", metadata: ["error": "\(error)"])
                historian.close()
                throw ExitCode(1)
            }
        }
        var uplink: UplinkService?
        if let uplinkSettings = settings.uplink {
            do {
                uplink = try UplinkService(
                    config: settings, settings: uplinkSettings, field: field, defence: defence, alarms: alarms,
                    historian: historian, logger: logger)
            } catch {
                logger.critical("HJ 212 uplink cannot be set up; not starting", metadata: ["error": "\(error)"])
                historian.close()
                throw ExitCode(1)
            }
        }
        links.register(mqtt: mqtt, park: park, uplink: uplink)
        var dcs: DCSService?
        if settings.dcs.enabled {
            do {
                dcs = try DCSService.make(
                    config: settings, field: field, historian: historian, alarms: alarms, defence: defence,
                    links: links, logger: logger)
            } catch {
                logger.critical("DCS Modbus link cannot be set up; not starting", metadata: ["error": "\(error)"])
                historian.close()
                throw ExitCode(1)
            }
        }
        links.register(dcs: dcs)
        let control: ControlServer
        do {
            control = try ControlServer(
                path: settings.daemon.controlSocket, logger: logger, handler: handler,
                watch: { publisher.subscribe() }, journal: { publisher.subscribeJournal() })
        } catch {
            logger.critical("control socket cannot be set up; not starting", metadata: ["error": "\(error)"])
            historian.close()
            throw ExitCode(1)
        }
        do {
            try control.bind()
        } catch {
            logger.critical("control socket unavailable; not starting", metadata: ["error": "\(error)"])
            historian.close()
            throw ExitCode(1)
        }
        let notifier = SystemdNotifier()
        // The HTTP API runs as levee-web, its own process: it reloads its accounts on its own SIGHUP.
        let reload = ReloadService(path: config, field: field, historian: historian, logger: logger)

        // Started in this order, stopped in reverse: the control socket and notifier go first, then the field
        // (finishing commands in flight), then the recorder (draining the field's last events), the historian last.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: HistorianService(historian: historian, logger: logger)),
            .init(service: recorder),
            .init(service: alarms),
            .init(service: defence),
            .init(service: firstFlush),
            .init(service: metrics),
            .init(service: FieldService(field: field, logger: logger)),
            .init(
                service: NotifyService(
                    field: field, historian: historian, alarms: alarms, notifier: notifier, logger: logger)),
            .init(service: reload),
            .init(service: publisher),
            .init(service: control),
        ]
        // The links beyond the plant stop before the historian they journal to.
        let linkServices: [(any Service)?] = [mqtt, park, uplink, dcs]
        services += linkServices.compactMap { $0 }.map { .init(service: $0) }
        var groupConfig = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        groupConfig.maximumGracefulShutdownDuration = .seconds(20)
        groupConfig.maximumCancellationDuration = .seconds(5)
        logger.notice(
            "leveed starting",
            metadata: ["site": "\(settings.site.id)", "config": "\(config)", "database": "\(settings.historian.path)"])
        try await ServiceGroup(configuration: groupConfig).run()
        logger.notice("leveed stopped")
    }
}
