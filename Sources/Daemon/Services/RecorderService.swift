import Config
import Devices
import Foundation
import Historian
import Logging
import Messages
import ServiceLifecycle

/// Writes what happens in the field to the historian: readings (store-on-change is the historian's), device
/// state changes, valve movements with their measured stroke times, and every command with who, where and why.
///
/// It subscribes when made, before the field starts, so the first readings are not missed, and drains the field's
/// event stream until the field service finishes it on shutdown.
struct RecorderService: Service {
    let field: FieldIO
    let historian: Historian
    let logger: Logger
    let events: AsyncStream<FieldEvent>
    /// The devices of the drill under way, whose state changes are journaled as drill.
    let drillDevices: @Sendable () -> Set<String>

    init(
        field: FieldIO, historian: Historian, logger: Logger,
        drillDevices: @escaping @Sendable () -> Set<String> = { [] }
    ) {
        self.field = field
        self.historian = historian
        self.logger = logger
        self.drillDevices = drillDevices
        self.events = field.events()
    }

    func run() async throws {
        var answering: [String: Bool] = [:]
        for await event in events {
            switch event {
            case .update(let update):
                record(update)
                if let was = answering[update.device], was != update.healthy {
                    let message =
                        update.healthy
                        ? Message(.deviceAnswering, ["device": .text(update.device)])
                        : Message(
                            .deviceNotAnswering, ["device": .text(update.device), "error": .text(update.error ?? "")])
                    await durable(
                        StoredEvent(
                            kind: "device-state", source: update.device, text: message, at: Date(),
                            drill: drillDevices().contains(update.device)))
                }
                answering[update.device] = update.healthy
            case .valve(let id, let e, _):
                await record(valve: id, e)
            case .command(let c):
                await durable(
                    StoredCommand(
                        device: c.device, command: c.command, user: c.origin.user, source: c.origin.source,
                        reason: c.origin.reason, requestedAt: c.at, result: c.error == nil ? "acknowledged" : "refused",
                        error: c.error, drill: c.origin.drill))
            }
        }
        // The stream ends when the field stops, during shutdown; the group expects each service to return only
        // when its own turn to stop comes.
        try? await gracefulShutdown()
    }

    private func record(_ update: DeviceUpdate) {
        guard let device = field.config.device(update.device) else { return }
        historian.record(
            update.readings.map { r in
                // A good value is stamped with the time it was read; a bad quality with the time it was found bad.
                let time = (r.quality == .good || r.quality == .outOfRange) ? (r.readAt ?? r.updatedAt) : r.updatedAt
                return StoredReading(
                    point: "\(r.device).\(r.point)", value: r.value, quality: r.quality.rawValue, readAt: time,
                    deadband: device.points[r.point]?.deadband ?? 0)
            })
    }

    private func record(valve id: String, _ event: ValveEvent) async {
        let now = Date()
        // A drill valve's movements belong to the drill, whoever moved it.
        let inDrill = drillDevices().contains(id)
        switch event {
        case .positionChanged(let from, let to):
            await durable(
                StoredEvent(
                    kind: "device-state", source: id,
                    text: Message(
                        .devicePosition,
                        ["device": .text(id), "from": .message(from.word), "to": .message(to.word)]),
                    at: now, drill: inDrill))
        case .modeChanged(let from, let to):
            await durable(
                StoredEvent(
                    kind: "device-state", source: id,
                    text: Message(
                        .deviceMode, ["device": .text(id), "from": .message(from.word), "to": .message(to.word)]),
                    at: now, drill: inDrill))
        case .faultBitChanged(let on):
            await durable(
                StoredEvent(
                    kind: "fault", source: id,
                    text: Message(on ? .deviceActuatorFaultOn : .deviceActuatorFaultOff, ["device": .text(id)]),
                    at: now, drill: inDrill))
        case .movementFinished(let r):
            let detail = String(format: "%.2f", r.seconds)
            if let origin = r.origin {
                // The command's own journal row gets its outcome and measured stroke time.
                let (result, error): (String, String?) =
                    switch r.outcome {
                    case .reached: ("confirmed", nil)
                    case .reachedUntimed: ("confirmed", "stroke not timed: its start was not seen")
                    case .alreadyThere: ("confirmed", "already \(r.target)")
                    case .failed(let reason): ("failed", reason)
                    }
                await durable(
                    StoredCommand(
                        device: id, command: r.target.commandName, user: origin.user, source: origin.source,
                        reason: origin.reason, requestedAt: r.startedAt, result: result, error: error,
                        strokeSeconds: r.measuredSeconds, drill: origin.drill))
            }
            switch r.outcome {
            case .reached:
                let who = r.commanded ? "commanded" : "by hand or another system"
                await durable(
                    StoredEvent(
                        kind: "stroke", source: id, message: "\(id) reached \(r.target) in \(detail) s (\(who))",
                        at: now, details: #"{"seconds":\#(detail),"commanded":\#(r.commanded)}"#,
                        drill: inDrill || r.origin?.drill == true))
            case .reachedUntimed:
                // Never a number that understates the stroke: the movement began before leveed saw it.
                await durable(
                    StoredEvent(
                        kind: "stroke", source: id,
                        message:
                            "\(id) reached \(r.target) (commanded; stroke not timed: it began before leveed saw it)",
                        at: now, details: #"{"seconds":null,"commanded":\#(r.commanded)}"#,
                        drill: inDrill || r.origin?.drill == true))
            case .failed(let reason):
                await durable(
                    StoredEvent(
                        kind: "fault", source: id, message: "\(id) \(reason)", at: now,
                        details: #"{"seconds":\#(detail)}"#, drill: inDrill || r.origin?.drill == true))
            case .alreadyThere:
                break
            }
        }
    }

    /// Writes an event durably; when the database cannot take it, the historian keeps it queued and writes it on
    /// recovery, so nothing is lost — the error is only logged.
    private func durable(_ event: StoredEvent) async {
        do {
            try await historian.recordEvent(event)
        } catch {
            logger.warning(
                "event not yet durable",
                metadata: ["kind": "\(event.kind)", "source": "\(event.source)", "error": "\(error)"])
        }
    }

    private func durable(_ command: StoredCommand) async {
        do {
            try await historian.recordCommand(command)
        } catch {
            logger.warning(
                "command record not yet durable", metadata: ["device": "\(command.device)", "error": "\(error)"])
        }
    }
}

extension ValvePosition {
    /// The position's word in the catalogue.
    var word: Message {
        switch self {
        case .open: Message(.positionOpen)
        case .closed: Message(.positionClosed)
        case .travelling: Message(.positionTravelling)
        case .fault: Message(.positionFault)
        case .unknown: Message(.positionUnknown)
        }
    }
}

extension ValveMode {
    /// The mode's word in the catalogue.
    var word: Message {
        switch self {
        case .remote: Message(.modeRemote)
        case .local: Message(.modeLocal)
        case .unknown: Message(.modeUnknown)
        }
    }
}
