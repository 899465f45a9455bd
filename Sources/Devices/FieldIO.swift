import Config
import Foundation
import Logging
import SystemCalls

/// Something that happened in the field, for the historian, the alarm engine and live views.
public enum FieldEvent: Sendable {
    /// A device was polled (or failed to be).
    case update(DeviceUpdate)
    /// A valve's position, mode or fault changed, or a movement finished; with the valve's status as its tracker
    /// derived it at that moment, so that no consumer asks the field layer for it.
    case valve(String, ValveEvent, ValveStatus)
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
    /// From the request to the device's acknowledgement; nil when it was refused before the wire.
    public var latency: Duration? = nil
}

/// One device as the control room sees it now.
public struct DeviceSnapshot: Sendable, Hashable {
    public var device: Device
    public var readings: [Reading]
    /// Whether the last poll cycle got an answer to every request.
    public var answering: Bool
    public var lastError: String?
    public var valve: ValveStatus?
    /// For a pool: volume, free volume, fill rate and time until full.
    public var pool: PoolStatus? = nil
}

/// The field I/O of one plant: a thread per bus, the latest reading of every point with its quality, and valve
/// commands verified against their limit switches.
public final class FieldIO: Sendable {
    private let logger: Logger
    private let wiring: LockedBox<Wiring>
    private let state: LockedBox<State>
    private let sink: @Sendable (DeviceUpdate) -> Void

    /// The configuration in force and the buses built from it; swapped as a whole by `reconfigure`.
    private struct Wiring {
        var config: LeveeConfig
        var buses: [String: BusWorker] = [:]
    }

    /// The configuration in force.
    public var config: LeveeConfig { wiring.withLock { $0.config } }
    private var buses: [String: BusWorker] { wiring.withLock { $0.buses } }
    private let ticker = LockedBox<Bool>(false)
    private let tickerThread = LockedBox<WorkerThread?>(nil)

    private struct State {
        var readings: [String: [String: Reading]] = [:]
        var answering: [String: Bool] = [:]
        var lastError: [String: String] = [:]
        var valves: [String: ValveTracker] = [:]
        /// Valve ids in a stable order, and how old a valve's feedback may get before it counts as stale: the
        /// ticker walks these instead of the configuration, which would cost a search per valve per tick.
        var valveIDs: [String] = []
        var staleAfter: [String: Duration] = [:]
        /// Accident and first-flush pools, fed from their level point.
        var pools: [String: PoolMonitor] = [:]
        var movementWaiters: [String: [@Sendable (StrokeRecord) -> Void]] = [:]
        var subscribers: [Int: AsyncStream<FieldEvent>.Continuation] = [:]
        var nextSubscriber = 0
        var running = false
    }

    public init(config: LeveeConfig, logger: Logger) {
        self.logger = logger
        var initial = State()
        for device in config.devices {
            if let v = device.valveSettings {
                initial.valves[device.id] = ValveTracker(valve: device.id, settings: v)
                initial.valveIDs.append(device.id)
                initial.staleAfter[device.id] = .milliseconds(device.pollMs * 3)
            }
            initial.answering[device.id] = false
            if let l = device.levelSettings, l.isPool {
                initial.pools[device.id] = PoolMonitor(settings: l, rangeTop: device.points["level"]?.range?.upperBound)
            }
        }
        let state = LockedBox(initial)
        self.state = state
        // The buses publish into the shared state through this closure; it must not capture `self` (not yet made).
        sink = { update in FieldIO.ingest(update, into: state) }
        var wiring = Wiring(config: config)
        for bus in config.buses { Self.build(bus, config, logger, sink, into: &wiring) }
        self.wiring = LockedBox(wiring)
    }

    private static func build(
        _ bus: Bus, _ config: LeveeConfig, _ logger: Logger, _ sink: @escaping @Sendable (DeviceUpdate) -> Void,
        into wiring: inout Wiring
    ) {
        let devices = config.devices(onBus: bus.id)
        var busLogger = logger
        busLogger[metadataKey: "bus"] = "\(bus.id)"
        if bus.isModbus {
            wiring.buses[bus.id] = ModbusBus(bus: bus, devices: devices, logger: busLogger, publish: sink)
        } else {
            wiring.buses[bus.id] = GPIOBus(bus: bus, devices: devices, logger: busLogger, publish: sink)
        }
    }

    /// What a reload changed.
    public struct ReloadReport: Sendable, Hashable, CustomStringConvertible {
        public var busesAdded: [String] = []
        public var busesRemoved: [String] = []
        public var busesRestarted: [String] = []
        public var devicesAdded: [String] = []
        public var devicesRemoved: [String] = []
        public var devicesChanged: [String] = []

        public var description: String {
            func list(_ name: String, _ ids: [String]) -> String? {
                ids.isEmpty ? nil : "\(name): \(ids.joined(separator: ", "))"
            }
            let parts = [
                list("buses added", busesAdded), list("buses removed", busesRemoved),
                list("buses restarted", busesRestarted), list("devices added", devicesAdded),
                list("devices removed", devicesRemoved), list("devices changed", devicesChanged),
            ].compactMap { $0 }
            return parts.isEmpty ? "no changes" : parts.joined(separator: "; ")
        }
    }

    /// Applies a new, already validated configuration while running. Devices whose configuration did not change
    /// keep polling without a gap: a Modbus bus whose own settings are unchanged swaps its device list between two
    /// transactions. A bus whose settings changed (address, timeout, chip) is restarted, and so is a GPIO bus whose
    /// lines changed, because line requests are exclusive.
    @discardableResult
    public func reconfigure(to new: LeveeConfig) -> ReloadReport {
        var report = ReloadReport()
        var toStop: [() -> Void] = []
        var toStart: [() -> Void] = []
        let running = state.withLock { $0.running }
        wiring.withLock { w in
            let old = w.config
            let oldDevices = Dictionary(uniqueKeysWithValues: old.devices.map { ($0.id, $0) })
            let newDevices = Dictionary(uniqueKeysWithValues: new.devices.map { ($0.id, $0) })
            report.devicesAdded = new.devices.map(\.id).filter { oldDevices[$0] == nil }
            report.devicesRemoved = old.devices.map(\.id).filter { newDevices[$0] == nil }
            report.devicesChanged = new.devices.filter { d in oldDevices[d.id].map { $0 != d } ?? false }.map(\.id)
            var next = Wiring(config: new)
            for bus in new.buses {
                let sameBus = old.bus(bus.id) == bus
                let sameDevices = old.devices(onBus: bus.id) == new.devices(onBus: bus.id)
                if sameBus, let b = w.buses[bus.id],
                    sameDevices || b.replaceDevices(new.devices(onBus: bus.id))
                {
                    next.buses[bus.id] = b
                } else {
                    if old.bus(bus.id) == nil {
                        report.busesAdded.append(bus.id)
                    } else {
                        report.busesRestarted.append(bus.id)
                    }
                    if let b = w.buses[bus.id] { toStop.append(b.stop) }
                    Self.build(bus, new, logger, sink, into: &next)
                    if let b = next.buses[bus.id] { toStart.append(b.start) }
                }
            }
            for bus in old.buses where new.bus(bus.id) == nil {
                report.busesRemoved.append(bus.id)
                if let b = w.buses[bus.id] { toStop.append(b.stop) }
            }
            w = next
        }
        state.withLock { s in
            for id in report.devicesRemoved {
                s.readings[id] = nil
                s.answering[id] = nil
                s.lastError[id] = nil
                s.valves[id] = nil
                s.staleAfter[id] = nil
                s.pools[id] = nil
            }
            for device in new.devices
            where report.devicesAdded.contains(device.id) || report.devicesChanged.contains(device.id) {
                s.answering[device.id] = s.answering[device.id] ?? false
                if let l = device.levelSettings, l.isPool {
                    s.pools[device.id] = PoolMonitor(settings: l, rangeTop: device.points["level"]?.range?.upperBound)
                } else {
                    s.pools[device.id] = nil
                }
                if let v = device.valveSettings {
                    s.staleAfter[device.id] = .milliseconds(device.pollMs * 3)
                    if s.valves[device.id] == nil || s.valves[device.id]?.strokeSeconds != v.strokeSeconds
                        || s.valves[device.id]?.deadlineSeconds != v.deadlineSeconds
                    {
                        s.valves[device.id] = ValveTracker(valve: device.id, settings: v)
                    }
                } else {
                    s.valves[device.id] = nil
                    s.staleAfter[device.id] = nil
                }
                // Points that no longer exist must not linger in the snapshot.
                if let table = s.readings[device.id] {
                    s.readings[device.id] = table.filter { device.points[$0.key] != nil }
                }
            }
            s.valveIDs = new.devices.filter { s.valves[$0.id] != nil }.map(\.id)
        }
        if running {
            for stop in toStop { stop() }
            for start in toStart { start() }
        }
        logger.notice("configuration applied", metadata: ["changes": "\(report)"])
        return report
    }

    /// Whether every bus thread has gone round its loop recently: what the systemd watchdog is fed from, so a
    /// hung scan loop gets the process restarted. A thread may legitimately sit in one transaction for its
    /// timeout, or wait for its next poll, so "recently" is generous.
    public func scanLoopsAlive(at now: ContinuousClock.Instant = .now) -> (alive: Bool, stalled: [String]) {
        let (config, buses) = wiring.withLock { ($0.config, $0.buses) }
        var stalled: [String] = []
        for bus in config.buses {
            let longestPoll = config.devices(onBus: bus.id).map(\.pollMs).max() ?? 1000
            let limit = Duration.milliseconds(max(10_000, 2 * longestPoll, 4 * bus.timeoutMs + 5000))
            let last = buses[bus.id]?.statistics.lastActivity
            if let last, now - last > limit { stalled.append(bus.id) }
        }
        return (stalled.isEmpty, stalled)
    }

    /// Whether every device has been polled at least once since start (answering or not): when systemd is told
    /// the daemon is ready.
    public var everyDeviceTried: Bool {
        let (config, buses) = wiring.withLock { ($0.config, $0.buses) }
        return config.devices.allSatisfy { d in (buses[d.bus]?.statistics.cycles[d.id] ?? 0) > 0 }
    }

    /// Starts every bus thread and the valve deadline ticker.
    public func start() {
        let already = state.withLock { s in
            defer { s.running = true }
            return s.running
        }
        guard !already else { return }
        for bus in buses.values { bus.start() }
        let thread = WorkerThread(name: "levee-valve-ticker") { [self] in
            while !ticker.withLock({ $0 }) {
                tick()
                // Stroke deadlines are seconds long; a tenth of a second is fine enough to judge them.
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        tickerThread.withLock { $0 = thread }
    }

    /// Stops the buses after their transaction in flight; queued commands are still sent. Outputs are left as they
    /// are: nothing is re-energised or opened on the way down.
    public func stop() {
        let wasRunning = state.withLock { s in
            defer { s.running = false }
            return s.running
        }
        guard wasRunning else { return }
        for bus in buses.values { bus.stop() }
        ticker.withLock { $0 = true }
        tickerThread.withLock { $0 }?.join()
        let subscribers = state.withLock { s in
            defer { s.subscribers = [:] }
            return Array(s.subscribers.values)
        }
        for c in subscribers { c.finish() }
    }

    // MARK: - Reading

    /// Every device with its readings as of now (a good value not refreshed for 3 poll periods reads stale).
    /// - Parameter ids: only these devices (a caller watching a few need not age every reading of the plant).
    public func snapshot(of ids: Set<String>? = nil) -> [DeviceSnapshot] {
        let now = ContinuousClock.now
        let config = self.config
        let devices = ids.map { ids in config.devices.filter { ids.contains($0.id) } } ?? config.devices
        return state.withLock { s in
            devices.map { device in
                let stale = Duration.milliseconds(device.pollMs * 3)
                let readings = (s.readings[device.id] ?? [:]).values
                    .map { $0.aged(at: now, staleAfter: stale) }
                    .sorted { $0.point < $1.point }
                return DeviceSnapshot(
                    device: device, readings: readings, answering: s.answering[device.id] ?? false,
                    lastError: s.lastError[device.id], valve: s.valves[device.id]?.status,
                    // A pool's figures are as current as its level: none while the level is not usable.
                    pool: readings.first { $0.point == "level" }?.quality.isUsable == true
                        ? s.pools[device.id]?.status(at: now) : nil)
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
        buses[id]?.statistics
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

    private static func ingest(_ update: DeviceUpdate, into state: LockedBox<State>) {
        let now = ContinuousClock.now
        let date = Date()
        var update = update
        let (subscribers, valveEvents, valve) = state.withLock {
            s -> ([AsyncStream<FieldEvent>.Continuation], [ValveEvent], ValveStatus?) in
            // Updated in place: copying the device's table first would duplicate it on every poll.
            for r in update.readings { s.readings[update.device, default: [:]][r.point] = r }
            if s.pools[update.device] != nil, let level = update.readings.first(where: { $0.point == "level" }),
                level.quality.isUsable, let v = level.value
            {
                s.pools[update.device]!.feed(level: v, at: level.readAtInstant ?? now)
            }
            s.answering[update.device] = update.healthy
            if let e = update.error { s.lastError[update.device] = e } else { s.lastError[update.device] = nil }
            var events: [ValveEvent] = []
            var status: ValveStatus?
            if var tracker = s.valves[update.device] {
                events = feed(&tracker, s.readings[update.device] ?? [:], at: now, date: date)
                status = tracker.status
                s.valves[update.device] = tracker
                resumeWaiters(update.device, events, &s)
            }
            return (Array(s.subscribers.values), events, status)
        }
        update.valve = valve
        for c in subscribers {
            c.yield(.update(update))
            if let valve { for e in valveEvents { c.yield(.valve(update.device, e, valve)) } }
        }
    }

    /// Feeds a valve's tracker from its readings; with `staleAfter`, a reading not refreshed in time counts as
    /// unreadable, so a stalled bus turns the position to unknown instead of freezing the last one.
    private static func feed(
        _ tracker: inout ValveTracker, _ table: [String: Reading], at now: ContinuousClock.Instant, date: Date,
        staleAfter: Duration? = nil
    ) -> [ValveEvent] {
        func state(_ name: String) -> Bool? {
            guard let r = table[name] else { return nil }
            if let limit = staleAfter, let at = r.readAtInstant, now - at > limit { return nil }
            return r.state
        }
        let remote: Bool? =
            if table["remote"] != nil { state("remote") } else if table["local"] != nil {
                state("local").map { !$0 }
            } else { nil }
        return tracker.feedback(
            openLimit: state("open_limit"), closedLimit: state("closed_limit"), remote: remote,
            fault: state("fault") ?? state("torque_trip"), at: now, date: date)
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
            s -> ([AsyncStream<FieldEvent>.Continuation], [(String, ValveEvent, ValveStatus)]) in
            var all: [(String, ValveEvent, ValveStatus)] = []
            for id in s.valveIDs {
                guard s.valves[id] != nil else { continue }
                // Mutated in place through the dictionary: no copy of the tracker or of the readings table.
                var events = Self.feed(
                    &s.valves[id]!, s.readings[id] ?? [:], at: now, date: date, staleAfter: s.staleAfter[id])
                events += s.valves[id]!.tick(at: now, date: date)
                if !events.isEmpty {
                    Self.resumeWaiters(id, events, &s)
                    let status = s.valves[id]!.status
                    all += events.map { (id, $0, status) }
                }
            }
            return (all.isEmpty ? [] : Array(s.subscribers.values), all)
        }
        guard !events.isEmpty else { return }
        for c in subscribers { for (id, e, status) in events { c.yield(.valve(id, e, status)) } }
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
    /// again, so whatever it records is in place before any later feedback is ingested. Internal, not private, so
    /// that a test can queue commands synchronously.
    func dispatch(
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
                case .success(let receipt):
                    journal(device, commandName, origin, nil, latency: receipt.acknowledgedAt - receipt.requestedAt)
                case .failure(let error): journal(device, commandName, origin, error)
                }
                completion(result)
            })
        if let bus = buses[device.bus] {
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
    private func journal(
        _ device: Device, _ command: String, _ origin: CommandOrigin, _ error: CommandError?, latency: Duration? = nil
    ) -> CommandError {
        let record = CommandRecord(
            device: device.id, command: command, origin: origin, at: Date(), error: error?.message, latency: latency)
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
        let result: Result<StrokeRecord, CommandError> = await withCheckedContinuation { continuation in
            startMove(id, to: target, origin: origin, acknowledged: { _ in }) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Commands a valve and returns once the device acknowledged the command; verification goes on, and its
    /// outcome (reached with the measured time, or failed) arrives as a `.valve(.movementFinished)` event.
    public func commandValve(_ id: String, to target: ValveTarget, origin: CommandOrigin) async throws(CommandError)
        -> WriteReceipt
    {
        let result: Result<WriteReceipt, CommandError> = await withCheckedContinuation { continuation in
            issue(target.commandName, to: id, origin: origin) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Hands a command to its bus's priority queue before returning, without suspending, for a caller that must
    /// put several commands on their buses in the same instant (the one-key shutoff: a task per command would
    /// wait its turn on the cooperative pool). `completion` runs once: at once for a refusal, otherwise on the bus
    /// thread at the acknowledgement. A valve's open or close is tracked like `commandValve`: its verification
    /// goes on, and the outcome arrives as a `.valve(.movementFinished)` event.
    public func issue(
        _ commandName: String, to deviceID: String, origin: CommandOrigin,
        completion: @escaping @Sendable (Result<WriteReceipt, CommandError>) -> Void
    ) {
        guard config.device(deviceID)?.kind == .valve, let target = ValveTarget(command: commandName) else {
            return dispatch(commandName, to: deviceID, origin: origin, completion: completion)
        }
        let once = LockedBox(false)
        let finish: @Sendable (Result<WriteReceipt, CommandError>) -> Void = { r in
            if once.withLock({ done in
                defer { done = true }
                return !done
            }) {
                completion(r)
            }
        }
        startMove(deviceID, to: target, origin: origin, acknowledged: { finish(.success($0)) }) { outcome in
            if case .failure(let e) = outcome { finish(.failure(e)) }
        }
    }

    private func startMove(
        _ id: String, to target: ValveTarget, origin: CommandOrigin,
        acknowledged: @escaping @Sendable (WriteReceipt) -> Void,
        finished: @escaping @Sendable (Result<StrokeRecord, CommandError>) -> Void
    ) {
        guard let device = config.device(id), let settings = device.valveSettings else {
            return finished(
                .failure(
                    CommandError(kind: .unknownDevice, device: id, message: "no valve \"\(id)\" in the configuration")))
        }
        dispatch(target.commandName, to: id, origin: origin) { [self] result in
            let receipt: WriteReceipt
            switch result {
            case .success(let r): receipt = r
            case .failure(let error): return finished(.failure(error))
            }
            // On the bus thread, right after the acknowledgement: no later poll of this valve is ingested
            // before the tracker knows the command, so the stroke is timed from the acknowledgement.
            buses[device.bus]?.boost(
                device: id,
                until: receipt.acknowledgedAt + .milliseconds(Int(settings.deadlineSeconds * 1000) + 500))
            let (subscribers, events, status) = state.withLock { s in
                guard var tracker = s.valves[id] else {
                    return ([AsyncStream<FieldEvent>.Continuation](), [ValveEvent](), ValveStatus?.none)
                }
                let events = tracker.commanded(
                    target, at: receipt.acknowledgedAt, date: receipt.acknowledgedDate, origin: origin)
                s.valves[id] = tracker
                if events.isEmpty {
                    s.movementWaiters[id, default: []].append { finished(.success($0)) }
                }
                return (Array(s.subscribers.values), events, tracker.status)
            }
            acknowledged(receipt)
            if let status { for c in subscribers { for e in events { c.yield(.valve(id, e, status)) } } }
            for case .movementFinished(let record) in events { finished(.success(record)) }
        }
    }
}
