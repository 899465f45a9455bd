import ArgumentParser
import Config
import ControlAPI
import Foundation
import JournalLog
import LeveeVersion
import Logging
import Notify
import ServiceLifecycle
import Synchronization
import SystemCalls
import UnixSignals

/// `levee-notify --config FILE`: alarm notifications to the duty officer's phone, as a process apart from leveed.
///
/// It reads the same configuration file as leveed (`[notify]` for itself, `[daemon] control_socket` to reach
/// leveed), follows leveed's published status over one `watch` as levee-web does, and acknowledges alarms back
/// through the control socket as the person who replied. leveed never waits for it: a stuck modem or an unreachable
/// robot costs the duty officer a message, never the plant a trip.
@main
struct LeveeNotify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "levee-notify",
        abstract: "Send Levee's alarms to the on-call ladder by SMS, WeCom, DingTalk, webhook and e-mail.",
        discussion: """
            SIGTERM or SIGINT stop it; messages not yet delivered stay in the outbox and go after the next start. \
            Exits 0 at once when [notify] is not enabled, 78 (EX_CONFIG) when the configuration is invalid or a \
            channel's secret file cannot be read, which the unit does not restart, and 1 when the outbox cannot be \
            opened.
            """,
        version: LeveeVersion.current)

    @Option(name: .long, help: "The configuration file (the same as leveed's).")
    var config: String

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    /// How often escalations, rate windows and due retries are looked at, seconds (tests shorten it).
    @Option(name: .long, help: .hidden)
    var tickSeconds: Double = 1

    /// How often an SMS modem's SIM is read for replies, seconds.
    @Option(name: .long, help: .hidden)
    var smsPollSeconds: Double = 5

    func run() async throws {
        JournalLogHandler.bootstrap(level: logLevel)
        let logger = Logger(label: "levee-notify")
        let settings: LeveeConfig
        do {
            settings = try ConfigLoader.load(path: config)
        } catch {
            for line in error.lines { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            logger.critical("configuration invalid; not starting", metadata: ["file": "\(config)"])
            throw ExitCode(Self.configurationError)
        }
        guard settings.notify.enabled else {
            logger.notice("[notify] is not enabled: nothing to send; not starting", metadata: ["file": "\(config)"])
            return
        }
        let (replies, replyInput) = AsyncStream.makeStream(of: (String, String, String).self)
        var channels: [any MessageChannel] = []
        var modems: [SMSModemChannel] = []
        do {
            for c in settings.notify.channels {
                switch c.kind {
                case .sms:
                    let id = c.id
                    let modem = try SMSModemChannel(
                        id: c.id, device: c.device ?? "", baud: c.baud, sendTimeout: TimeInterval(c.timeoutSeconds),
                        pollInterval: smsPollSeconds
                    ) { d in replyInput.yield((d.sender, d.text, id)) }
                    modems.append(modem)
                    channels.append(modem)
                case .wecom, .dingtalk: channels.append(try RobotChannel(c))
                case .webhook: channels.append(try WebhookChannel(c, site: settings.site.id))
                case .email: channels.append(MailChannel(c))
                }
            }
        } catch {
            FileHandle.standardError.write(Data("\(config): \(error)\n".utf8))
            logger.critical("a channel cannot be set up; not starting", metadata: ["error": "\(error)"])
            throw ExitCode(Self.configurationError)
        }
        let outbox: Outbox
        let state: Dispatcher.State?
        do {
            let dir = (settings.notify.outboxPath as NSString).deletingLastPathComponent
            if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            outbox = try Outbox(path: settings.notify.outboxPath)
            state = try await outbox.loadState()
        } catch {
            logger.critical("outbox cannot be opened; not starting", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        let socket = settings.daemon.controlSocket
        let core = NotifyCore(
            config: settings, outbox: outbox, channels: channels, state: state, logger: logger
        ) { command, actor in
            await withCheckedContinuation { continuation in
                // The socket client blocks: a Dispatch thread, never the cooperative pool.
                DispatchQueue.global().async {
                    do {
                        continuation.resume(
                            returning: try ControlClient.send(command, socket: socket, actor: actor, timeout: 35))
                    } catch {
                        continuation.resume(
                            returning: .failure(ControlRefusal(.unavailable, "leveed cannot be reached: \(error)")))
                    }
                }
            }
        }
        for modem in modems { modem.start() }
        let follower = StatusFollower(socket: socket, logger: logger)
        follower.start()
        let runner = NotifyRunner(
            core: core, statuses: follower.statuses, replies: replies, tick: .milliseconds(Int64(tickSeconds * 1000)))
        var groupConfig = ServiceGroupConfiguration(
            services: [.init(service: runner)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        groupConfig.maximumGracefulShutdownDuration = .seconds(10)
        logger.notice(
            "levee-notify starting",
            metadata: [
                "socket": "\(socket)", "outbox": "\(settings.notify.outboxPath)",
                "channels": "\(settings.notify.channels.map(\.id).joined(separator: ","))",
            ])
        try await ServiceGroup(configuration: groupConfig).run()
        follower.stop()
        for modem in modems { await modem.stop() }
        logger.notice("levee-notify stopped")
    }

    /// EX_CONFIG from sysexits.h, named in the unit's `RestartPreventExitStatus=`.
    static let configurationError: Int32 = 78
}

/// The loops: statuses in order, replies in order, and the tick.
struct NotifyRunner: Service {
    let core: NotifyCore
    let statuses: AsyncStream<SiteStatus>
    let replies: AsyncStream<(String, String, String)>
    let tick: Duration

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await status in statuses.cancelOnGracefulShutdown() { await core.status(status) }
            }
            group.addTask {
                for await (sender, text, channel) in replies.cancelOnGracefulShutdown() {
                    await core.received(from: sender, text: text, via: channel)
                }
            }
            group.addTask {
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    await core.tick()
                    try? await Task.sleep(for: tick)
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }
}

/// leveed's published status, followed over one `watch` on a thread of its own (the socket client blocks), and
/// watched again a second after it drops.
final class StatusFollower: Sendable {
    let socket: String
    let logger: Logger
    let statuses: AsyncStream<SiteStatus>
    private let input: AsyncStream<SiteStatus>.Continuation
    private let stopping = Atomic<Bool>(false)

    init(socket: String, logger: Logger) {
        self.socket = socket
        self.logger = logger
        (statuses, input) = AsyncStream.makeStream(of: SiteStatus.self, bufferingPolicy: .bufferingNewest(32))
    }

    func start() {
        _ = WorkerThread(name: "levee-notify-watch") { [self] in follow() }
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        input.finish()
    }

    private func follow() {
        var reported = false
        while !stopping.load(ordering: .relaxed) {
            do throws(ControlError) {
                try ControlClient.watch(socket: socket, timeout: 5) { status in
                    input.yield(status)
                    if reported {
                        logger.notice("status watch on leveed's control socket resumed")
                        reported = false
                    }
                    return !stopping.load(ordering: .relaxed)
                }
            } catch {
                if !reported {
                    logger.warning(
                        "status watch on leveed's control socket lost; retrying", metadata: ["error": "\(error)"])
                    reported = true
                }
                Thread.sleep(forTimeInterval: 1)
            }
        }
    }
}
