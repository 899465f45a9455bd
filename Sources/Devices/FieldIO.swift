import Config
import Foundation
import Logging

/// Something that happened in the field, for the historian, the alarm engine and live views.
public enum FieldEvent: Sendable {
    /// A device was polled (or failed to be).
    case update(DeviceUpdate)
    /// A valve's position, mode or fault changed, or a movement finished.
    case valve(String, ValveEvent)
    /// A command was sent or refused.
    case command(CommandRecord)
}

/// The journal entry of one command: who, from where, why, and what came of it.
public struct CommandRecord: Sendable, Hashable {
    public var device: String
    public var command: String
    public var origin: CommandOrigin
    public var at: Date
    /// Nil when acknowledged by the device; otherwise why not.
    public var error: String?
}

/// One device as the control room sees it now.
public struct DeviceSnapshot: Sendable, Hashable {
    public var device: Device
    public var readings: [Reading]
    /// Whether the last poll cycle got an answer to every request.
    public var answering: Bool
    public var lastError: String?
    public var valve: ValveStatus?
}

/// The field I/O of one plant: a thread per bus, the latest reading of every point with its quality, and valve
/// commands verified against their limit switches.
public final class FieldIO: Sendable {
    public let config: LeveeConfig
    private let logger: Logger
    private let modbus: [String: ModbusBus]
    private let gpio: [String: GPIOBus]
    private let state: LockedBox<State>
    private let ticker = LockedBox<Bool>(false)
    private let tickerExited = DispatchSemaphore(value: 0)

    private struct State {
        var readings: [String: [String: Reading]] = [:]
        var answering: [String: Bool] = [:]
        var lastError: [String: String] = [:]
        var valves: [String: ValveTracker] = [:]
        var movementWaiters: [String: [@Sendable (StrokeRecord) -> Void]] = [:]
        var subscribers: [Int: AsyncStream<FieldEvent>.Continuation] = [:]
        var nextSubscriber = 0
        var running = false
    }

    /// - Parameter openGPIOChip: how GPIO buses open their chip; tests may pass a fake. By default `sim:<path>`
    ///   is levee-sim's chip and anything else is a real chip through libgpiod.
    public init(config: LeveeConfig, logger: Logger) {
        self.config = config
        self.logger = logger
        var initial = State()
        for device in config.devices {
            if let v = device.valveSettings { initial.valves[device.id] = ValveTracker(valve: device.id, settings: v) }
            initial.answering[device.id] = false
        }
        let state = LockedBox(initial)
        self.state = state
        var modbus: [String: ModbusBus] = [:]
        var gpio: [String: GPIOBus] = [:]
        // The buses publish into the shared state through this closure; it must not capture `self` (not yet made).
        let sink: @Sendable (DeviceUpdate) -> Void = { update in
            FieldIO.ingest(update, into: state, config: config)
        }
        for bus in config.buses {
            let devices = config.devices(onBus: bus.id)
            var busLogger = logger
            busLogger[metadataKey: "bus"] = "\(bus.id)"
            if bus.isModbus {
                modbus[bus.id] = ModbusBus(bus: bus, devices: devices, logger: busLogger, publish: sink)
            } else {
                gpio[bus.id] = GPIOBus(bus: bus, devices: devices, logger: busLogger, publish: sink)
            }
        }
        self.modbus = modbus
        self.gpio = gpio
    }

    /// Starts every bus thread and the valve deadline ticker.
    public func start() {
        let already = state.withLock { s in
            defer { s.running = true }
            return s.running
        }
        guard !already else { return }
        for bus in modbus.values { bus.start() }
        for bus in gpio.values { bus.start() }
        let thread = Thread { [self] in
            while !ticker.withLock({ $0 }) {
                tick()
                Thread.sleep(forTimeInterval: 0.05)
            }
            tickerExited.signal()
        }
        thread.name = "levee-valve-ticker"
        thread.start()
    }

    /// Stops the buses after their transaction in flight; queued commands are still sent. Outputs are left as they
    /// are: nothing is re-energised or opened on the way down.
    public func stop() {
        let wasRunning = state.withLock { s in
            defer { s.running = false }
            return s.running
        }
        guard wasRunning else { return }
        for bus in modbus.values { bus.stop() }
        for bus in gpio.values { bus.stop() }
        ticker.withLock { $0 = true }
        tickerExited.wait()
        let subscribers = state.withLock { s in
            defer { s.subscribers = [:] }
            return Array(s.subscribers.values)
        }
        for c in subscribers { c.finish() }
    }

    // MARK: - Reading

    /// Every device with its readings as of now (a good value not refreshed for 3 poll periods reads stale).
    public func snapshot() -> [DeviceSnapshot] {
        let now = ContinuousClock.now
        return state.withLock { s in
            config.devices.map { device in
                let stale = Duration.milliseconds(device.pollMs * 3)
                let readings = (s.readings[device.id] ?? [:]).values
                    .map { $0.aged(at: now, staleAfter: stale) }
                    .sorted { $0.point < $1.point }
                return DeviceSnapshot(
                    device: device, readings: readings, answering: s.answering[device.id] ?? false,
                    lastError: s.lastError[device.id], valve: s.valves[device.id]?.status)
            }
        }
    }

    /// The latest reading of one point, aged as in `snapshot()`.
    public func reading(_ device: String, _ point: String) -> Reading? {
        guard let d = config.device(device) else { return nil }
        let now = ContinuousClock.now
        return state.withLock { $0.readings[device]?[point] }?.aged(at: now, staleAfter: .milliseconds(d.pollMs * 3))
    }

    public func valveStatus(_ id: String) -> ValveStatus? {
        state.withLock { $0.valves[id]?.status }
    }

    /// Counters of one bus: requests per device, failures, connects.
    public func statistics(bus id: String) -> BusStatistics? {
        modbus[id]?.statistics ?? gpio[id]?.statistics
    }

    /// A stream of everything that happens from now on. Slow consumers lose the oldest events beyond `buffer`.
    public func events(buffer: Int = 10_000) -> AsyncStream<FieldEvent> {
        let (stream, continuation) = AsyncStream<FieldEvent>.makeStream(bufferingPolicy: .bufferingNewest(buffer))
        let id = state.withLock { s in
            let id = s.nextSubscriber
            s.nextSubscriber += 1
            s.subscribers[id] = continuation
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    private static func ingest(_ update: DeviceUpdate, into state: LockedBox<State>, config: LeveeConfig) {
        let now = ContinuousClock.now
        let date = Date()
        let (subscribers, valveEvents) = state.withLock { s -> ([AsyncStream<FieldEvent>.Continuation], [ValveEvent]) in
            var table = s.readings[update.device] ?? [:]
            for r in update.readings { table[r.point] = r }
            s.readings[update.device] = table
            s.answering[update.device] = update.healthy
            if let e = update.error { s.lastError[update.device] = e } else { s.lastError[update.device] = nil }
            var events: [ValveEvent] = []
            if var tracker = s.valves[update.device] {
                events = feed(&tracker, table, at: now, date: date)
                s.valves[update.device] = tracker
                resumeWaiters(update.device, events, &s)
            }
            return (Array(s.subscribers.values), events)
        }
        for c in subscribers {
            c.yield(.update(update))
            for e in valveEvents { c.yield(.valve(update.device, e)) }
        }
    }

    private static func feed(
        _ tracker: inout ValveTracker, _ table: [String: Reading], at now: ContinuousClock.Instant, date: Date
    ) -> [ValveEvent] {
        let remote: Bool? =
            if let r = table["remote"] { r.state } else if let l = table["local"] { l.state.map { !$0 } } else { nil }
        return tracker.feedback(
            openLimit: table["open_limit"]?.state, closedLimit: table["closed_limit"]?.state, remote: remote,
            fault: table["fault"]?.state ?? table["torque_trip"]?.state, at: now, date: date)
    }

    private static func resumeWaiters(_ valve: String, _ events: [ValveEvent], _ s: inout State) {
        for case .movementFinished(let record) in events where record.commanded {
            for w in s.movementWaiters.removeValue(forKey: valve) ?? [] { w(record) }
        }
    }

    /// Checks valve deadlines, and makes a valve whose feedback went stale "unknown" rather than keep its last
    /// position.
    private func tick() {
        let now = ContinuousClock.now
        let date = Date()
        let (subscribers, events) = state.withLock {
            s -> ([AsyncStream<FieldEvent>.Continuation], [(String, ValveEvent)]) in
            var all: [(String, ValveEvent)] = []
            for (id, var tracker) in s.valves {
                guard let device = config.device(id) else { continue }
                let stale = Duration.milliseconds(device.pollMs * 3)
                let table = (s.readings[id] ?? [:]).mapValues { $0.aged(at: now, staleAfter: stale) }
                var events = Self.feed(&tracker, table, at: now, date: date)
                events += tracker.tick(at: now, date: date)
                s.valves[id] = tracker
                Self.resumeWaiters(id, events, &s)
                all += events.map { (id, $0) }
            }
            return (Array(s.subscribers.values), all)
        }
        guard !events.isEmpty else { return }
        for c in subscribers { for (id, e) in events { c.yield(.valve(id, e)) } }
    }

    // MARK: - Commands

    /// Sends one named command to a device through its bus's priority path and returns once the device has
    /// acknowledged the write. For a valve this proves the command arrived, not that the valve moved: use
    /// `moveValve` to wait for the limit switch.
    /// - Throws: `CommandError` naming the device: unknown device or command, a valve in local mode, or a write
    ///   the device did not acknowledge.
    @discardableResult
    public func send(_ commandName: String, to deviceID: String, origin: CommandOrigin) async throws(CommandError)
        -> WriteReceipt
    {
        let result: Result<WriteReceipt, CommandError> = await withCheckedContinuation { continuation in
            dispatch(commandName, to: deviceID, origin: origin) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Checks a command and hands it to its bus. `completion` runs exactly once: at once for a refusal, otherwise
    /// on the bus thread right after the device acknowledged the write (or failed to), before that thread polls
    /// again, so whatever it records is in place before any later feedback is ingested.
    private func dispatch(
        _ commandName: String, to deviceID: String, origin: CommandOrigin,
        completion: @escaping @Sendable (Result<WriteReceipt, CommandError>) -> Void
    ) {
        let requestedAt = ContinuousClock.now
        guard let device = config.device(deviceID) else {
            return completion(
                .failure(
                    CommandError(
                        kind: .unknownDevice, device: deviceID,
                        message: "no device \"\(deviceID)\" in the configuration")))
        }
        guard let command = device.commands[commandName] else {
            let known = device.commands.keys.sorted().joined(separator: ", ")
            return completion(
                .failure(
                    journal(
                        device, commandName, origin,
                        CommandError(
                            kind: .unknownCommand, device: deviceID,
                            message:
                                "\(deviceID): no command \"\(commandName)\" (it has: \(known.isEmpty ? "none" : known))"
                        ))))
        }
        if device.kind == .valve, let status = valveStatus(deviceID), status.mode == .local {
            let place = device.location.map { " at \($0)" } ?? ""
            return completion(
                .failure(
                    journal(
                        device, commandName, origin,
                        CommandError(
                            kind: .localMode, device: deviceID,
                            message:
                                "\(deviceID) (\(device.name)\(place)) is in local (manual) mode: remote command \"\(commandName)\" refused; it must be operated at the valve or switched to remote"
                        ))))
        }
        let write = QueuedWrite(
            device: device, command: command, requestedAt: requestedAt,
            completion: { [self] result in
                switch result {
                case .success: journal(device, commandName, origin, nil)
                case .failure(let error): journal(device, commandName, origin, error)
                }
                completion(result)
            })
        if let bus = modbus[device.bus] {
            bus.enqueue(write)
        } else if let bus = gpio[device.bus] {
            bus.enqueue(write)
        } else {
            completion(
                .failure(
                    CommandError(
                        kind: .unknownDevice, device: deviceID, message: "\(deviceID): bus \(device.bus) is not running"
                    )))
        }
    }

    @discardableResult
    private func journal(_ device: Device, _ command: String, _ origin: CommandOrigin, _ error: CommandError?)
        -> CommandError
    {
        let record = CommandRecord(
            device: device.id, command: command, origin: origin, at: Date(), error: error?.message)
        if let error {
            logger.warning(
                "command refused or failed",
                metadata: [
                    "device": "\(device.id)", "command": "\(command)", "user": "\(origin.user)",
                    "source": "\(origin.source)", "error": "\(error.message)",
                ])
        } else {
            logger.notice(
                "command sent",
                metadata: [
                    "device": "\(device.id)", "command": "\(command)", "user": "\(origin.user)",
                    "source": "\(origin.source)", "reason": "\(origin.reason)",
                ])
        }
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for c in subscribers { c.yield(.command(record)) }
        return error ?? CommandError(kind: .unknownCommand, device: device.id, message: "")
    }

    /// Commands a valve to an end position and waits until its limit switch confirms it, or until its stroke
    /// time times the margin has passed. The valve is polled fast while it moves so the stroke is timed closely.
    /// - Returns: the movement with its measured time; `.failed` outcome when it did not get there in time.
    /// - Throws: `CommandError` when the command could not be sent at all (local mode, no acknowledgement).
    public func moveValve(_ id: String, to target: ValveTarget, origin: CommandOrigin) async throws(CommandError)
        -> StrokeRecord
    {
        guard let device = config.device(id), let settings = device.valveSettings else {
            throw CommandError(kind: .unknownDevice, device: id, message: "no valve \"\(id)\" in the configuration")
        }
        let result: Result<StrokeRecord, CommandError> = await withCheckedContinuation { continuation in
            dispatch(target.commandName, to: id, origin: origin) { [self] result in
                let receipt: WriteReceipt
                switch result {
                case .success(let r): receipt = r
                case .failure(let error): return continuation.resume(returning: .failure(error))
                }
                // On the bus thread, right after the acknowledgement: no later poll of this valve is ingested
                // before the tracker knows the command, so the stroke is timed from the acknowledgement.
                modbus[device.bus]?.boost(
                    device: id,
                    until: receipt.acknowledgedAt + .milliseconds(Int(settings.deadlineSeconds * 1000) + 500))
                let (subscribers, events) = state.withLock { s in
                    guard var tracker = s.valves[id] else {
                        return ([AsyncStream<FieldEvent>.Continuation](), [ValveEvent]())
                    }
                    let events = tracker.commanded(target, at: receipt.acknowledgedAt, date: receipt.acknowledgedDate)
                    s.valves[id] = tracker
                    if events.isEmpty {
                        s.movementWaiters[id, default: []].append { continuation.resume(returning: .success($0)) }
                    }
                    return (Array(s.subscribers.values), events)
                }
                for c in subscribers { for e in events { c.yield(.valve(id, e)) } }
                for case .movementFinished(let record) in events { continuation.resume(returning: .success(record)) }
            }
        }
        return try result.get()
    }
}
