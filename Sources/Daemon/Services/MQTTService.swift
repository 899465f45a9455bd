import Alarm
import Config
import ControlAPI
import Defence
import Foundation
import Historian
import Logging
import MQTTLink
import Messages
import ParkLink
import ServiceLifecycle
import Synchronization

/// The plant's MQTT link to its park (docs/mqtt.md): publishes the state under `<prefix>/<site>/…`, and takes the
/// park's signed commands from `<prefix>/<site>/cmd` when `accept_commands` allows it.
///
/// Control never waits for the network: publishing hands messages to the client's outbox, which sends them in
/// order when the broker is reachable; alarms, escalations and acknowledgements are kept on disk meanwhile.
/// A command is verified (allow-list, HMAC, timestamp and nonce), journaled, acknowledged `accepted` or `refused`,
/// carried out through the same handler as a local request, and acknowledged again with its result.
final class MQTTService: Service, Sendable {
    let client: MQTTClient
    let settings: MQTTSettings
    let topics: ParkTopics
    let site: String
    private let publisher: Mutex<PlantPublisher>
    /// Nil when no park may command this plant: the command topic is not even subscribed.
    private let gate: Mutex<ParkCommandGate?>
    private let handler: @Sendable (ControlCommand, Requester) async -> ControlResult
    /// The status the publisher built last: the link never builds one of its own.
    private let status: @Sendable () -> SiteStatus?
    private let historian: Historian
    private let alarms: AlarmService
    private let logger: Logger
    private let noncePath: String
    private let commands: AsyncStream<MQTTMessage>
    private let commandInput: AsyncStream<MQTTMessage>.Continuation
    /// Set by the network thread when the client (re)connects: the next tick re-sends the retained state.
    private let reconnected = ReconnectFlag()

    init(
        config: LeveeConfig, settings: MQTTSettings, secrets: LinkSecrets,
        handler: @escaping @Sendable (ControlCommand, Requester) async -> ControlResult,
        status: @escaping @Sendable () -> SiteStatus?, historian: Historian, alarms: AlarmService, logger: Logger
    ) throws {
        self.status = status
        self.settings = settings
        self.site = config.site.id
        self.handler = handler
        self.historian = historian
        self.alarms = alarms
        self.logger = logger
        self.topics = try ParkTopics(prefix: settings.topicPrefix)
        var publisher = try PlantPublisher(
            topics: topics, site: site,
            options: PlantPublisher.Options(
                role: config.park == nil ? .plant : .park, refreshInterval: settings.refreshSeconds))
        publisher.resendAll()
        self.publisher = Mutex(publisher)
        self.noncePath = config.historian.path + ".park-nonces.json"

        if settings.acceptCommands || !settings.parks.isEmpty {
            var gate = try ParkCommandGate(
                plant: site, acceptRemote: settings.acceptCommands,
                parks: settings.parks.map { park in
                    ParkCommandGate.Park(
                        id: park.id, keys: secrets.parkKeys[park.id] ?? [],
                        allow: Set(park.allow.compactMap(ParkCommand.Operation.init(rawValue:))))
                },
                maxSkew: Double(settings.maxClockSkewSeconds))
            if let data = FileManager.default.contents(atPath: noncePath) {
                do {
                    gate.restore(try RememberedNonce.decode(Array(data)), now: Date())
                } catch {
                    // Without the ids seen before the restart, a command captured then could be replayed now:
                    // refuse everything issued before this start instead.
                    logger.error(
                        "park command ids unreadable; refusing commands issued before this start",
                        metadata: ["file": "\(noncePath)", "error": "\(error)"])
                    gate.refuseIssuedBefore(Date())
                }
            } else {
                gate.refuseIssuedBefore(Date())
            }
            self.gate = Mutex(gate)
        } else {
            self.gate = Mutex(nil)
        }

        var options = MQTTOptions(
            host: settings.host, port: settings.port, clientID: settings.clientID ?? "levee-\(config.site.id)")
        options.username = settings.username
        options.password = secrets.brokerPassword
        if let ca = settings.tlsCAFile {
            options.tls = MQTTOptions.TLS(
                caFile: ca, certFile: settings.tlsCertFile, keyFile: settings.tlsKeyFile,
                insecureSkipHostnameCheck: settings.tlsInsecure)
        }
        options.keepalive = .seconds(settings.keepAliveSeconds)
        options.protocolVersion = settings.protocolVersion == "5" ? .v5 : .v311
        let will = publisher.lastWill(connectingAt: Date())
        options.will = MQTTOptions.Will(topic: will.topic, payload: will.payload, qos: .atLeastOnce, retain: true)
        options.outbox.maxMessages = settings.outboxLimit
        options.outbox.coalesceRetained = true
        options.persistencePath = config.historian.path + ".mqtt-outbox"
        let reconnected = self.reconnected
        self.client = try MQTTClient(options: options, logger: logger) { status in
            if status.state == .connected { reconnected.flag.store(true, ordering: .relaxed) }
        }
        (commands, commandInput) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(256))
    }

    func run() async throws {
        client.start()
        // The outbox's journal could not be opened (disk full, unwritable): the link runs on its in-memory outbox,
        // and the operator must know that durable messages would not survive a restart.
        var journalFault: String?
        await watchJournal(&journalFault)
        if gate.withLock({ $0 != nil }) {
            let input = commandInput
            try client.subscribe(topics.command(site), qos: .atLeastOnce) { message in input.yield(message) }
        }
        logger.notice(
            "MQTT link starting",
            metadata: [
                "broker": "\(settings.host):\(settings.port)", "prefix": "\(settings.topicPrefix)",
                "accept_commands": "\(settings.acceptCommands)",
            ])
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                for await message in commands { await handleCommand(message) }
            }
            group.addTask { [self, journalFault] in
                var linkDown = false
                var journalFault = journalFault
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    await publishState()
                    await watchJournal(&journalFault)
                    let down = client.status.state != .connected
                    if down != linkDown {
                        linkDown = down
                        let detail = Message(
                            .detailBrokerUnreachable, ["broker": .text("\(settings.host):\(settings.port)")])
                        await alarms.raise(
                            .linkDown(link: "mqtt"), active: down, detail: nil,
                            text: down
                                ? HealthCondition.linkDown(link: "mqtt").title(measured: nil).with(detail: detail) : nil
                        )
                    }
                    try? await Task.sleep(for: .seconds(settings.publishIntervalSeconds))
                }
            }
            try? await gracefulShutdown()
            commandInput.finish()
            group.cancelAll()
        }
        // A clean stop: say so, rather than leave the park to learn it from the last will a keepalive later.
        publish(publisher.withLock { $0.offline(at: Date()) })
        await client.stop(drain: .seconds(2))
    }

    /// Raises the outbox journal's alarm while it cannot be written (the client keeps retrying it, and writes
    /// every durable message once it can), and clears it when it writes again.
    private func watchJournal(_ last: inout String?) async {
        let fault = client.statistics.journalFault
        guard (fault == nil) != (last == nil) else { return }
        last = fault
        await alarms.raise(
            .linkDown(link: "mqtt-outbox"), active: fault != nil,
            detail: fault.map { "outbox journal unavailable, durable messages kept in memory only: \($0)" })
    }

    /// The link's state for `leveectl status` and the dashboard.
    func summary() -> MQTTLinkSummary {
        let status = client.status
        let stats = client.statistics
        return MQTTLinkSummary(
            broker: "\(settings.host):\(settings.port)", state: "\(status.state)",
            lastError: status.lastError.map { "\($0)" }, queued: stats.queued, dropped: Int(stats.dropped),
            acceptsCommands: settings.acceptCommands, parks: settings.parks.map(\.id))
    }

    /// Publishes one message through the outbox; only a message the client refuses outright (a bad topic, a
    /// stopped client) is lost, and that is logged.
    func publish(_ message: ParkMessage) {
        do {
            try client.publish(
                topic: message.topic, payload: message.payload,
                qos: message.qos == .atLeastOnce ? .atLeastOnce : .atMostOnce,
                retain: message.retain, durable: message.durable)
        } catch {
            logger.error("MQTT message not queued", metadata: ["topic": "\(message.topic)", "error": "\(error)"])
        }
    }

    private func publishState() async {
        guard let status = status() else { return }
        let now = Date()
        let messages = publisher.withLock { p in
            // After each (re)connection: say "online" (replacing the last will's retained "offline"), then every
            // retained topic again, in case the broker lost them.
            guard reconnected.flag.exchange(false, ordering: .relaxed) else { return p.update(status, now: now) }
            p.resendAll()
            return [p.online(at: now)] + p.update(status, now: now)
        }
        for message in messages { publish(message) }
    }

    static let internalRequester = Requester(
        user: Trigger.daemonUser, from: "mqtt link", isAdmin: false, viaHTTP: false)

    // MARK: - Park commands

    private func handleCommand(_ message: MQTTMessage) async {
        let now = Date()
        let checked = gate.withLock { g -> (Result<ParkCommand, ParkCommandRefusal>, [RememberedNonce])? in
            guard let verdict = g?.verify(message.payload, now: now) else { return nil }
            return (verdict, g?.rememberedNonces ?? [])
        }
        guard let (verdict, nonces) = checked else { return }
        switch verdict {
        case .failure(let refusal):
            logger.warning(
                "park command refused",
                metadata: [
                    "reason": "\(refusal.reason.code)", "park": "\(refusal.park ?? "?")", "id": "\(refusal.id ?? "?")",
                ])
            await journal(
                "park command \(refusal.id ?? "(no id)") from \(refusal.park ?? "(unknown)") refused: \(refusal)",
                source: refusal.park ?? "mqtt")
            if let ack = ParkCommandAck(refusal, plant: site, at: now) { publish(ack.message(topics: topics)) }
        case .success(let command):
            // Saved before the command runs, so that a crash while it runs cannot reopen its replay window.
            do {
                try AtomicFile.write(Data(RememberedNonce.encode(nonces)), to: noncePath)
            } catch {
                logger.error("park command ids not saved", metadata: ["file": "\(noncePath)", "error": "\(error)"])
            }
            await journal(
                "park command \(command.id) from \(command.park) accepted: \(command.op)"
                    + "\(command.plan.map { " plan \($0)" } ?? "") by \(command.user): \(command.reason)",
                source: command.park)
            publish(ParkCommandAck(command, result: .accepted, at: Date()).message(topics: topics))
            let ack: ParkCommandAck
            switch await execute(command) {
            case .success(let reply):
                ack = ParkCommandAck(command, result: .done, reason: nil, message: reply.message, at: Date())
            case .failure(let refusal):
                ack = ParkCommandAck(command, result: .failed, reason: "failed", message: refusal.message, at: Date())
            }
            publish(ack.message(topics: topics))
        }
    }

    /// Carries out an accepted command through the control handler, as the park's user; the park command's id
    /// rides in `from`, so every command row it causes names the park, its user and the command.
    private func execute(_ command: ParkCommand) async -> ControlResult {
        let requester = Requester(
            user: "\(command.park)/\(command.user)", from: "mqtt park \(command.park) command \(command.id)",
            isAdmin: false,
            viaHTTP: false, viaPark: true)
        let reason = "park \(command.park): \(command.reason)"
        switch command.operation {
        case .shutoff:
            return await handler(.shutoff(plan: command.plan, reason: reason), requester)
        case .drill:
            return await handler(.drillStart(plan: command.plan, live: command.live ?? true, reason: reason), requester)
        case .drillCheck:
            let response = await handler(.drillCheck(plan: command.plan), requester)
            guard case .success(.drillCheck(let check)) = response else { return response }
            guard check.ready else {
                let problems = check.items.flatMap { item in item.problems.map { "\(item.device): \($0)" } }
                return .failure(ControlRefusal(.conflict, "not ready: " + problems.joined(separator: "; ")))
            }
            return .success(.done("ready: \(check.items.count) steps"))
        case nil:
            return .failure(ControlRefusal(.badRequest, "unknown op \(command.op)"))
        }
    }

    private func journal(_ message: String, source: String) async {
        await historian.journal(
            StoredEvent(kind: "park-command", source: source, message: message, at: Date()), logger: logger)
    }
}

/// Set by the network thread when the client connects, read and cleared by the publishing loop.
final class ReconnectFlag: Sendable {
    let flag = Atomic<Bool>(false)
}
