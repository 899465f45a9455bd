import Config
import Foundation
import Logging
import ModbusWire

/// One Modbus bus (a TCP endpoint or an RS-485 line) with its own thread.
///
/// libmodbus calls block for up to the response timeout, and Swift's cooperative pool has only as many threads as
/// cores, so every call runs on this bus's own thread. The thread runs writes ahead of polls: a queued write waits
/// at most for the one transaction already on the wire. Polls of one device are coalesced (`PollPlan`); a device
/// that stops answering is skipped for the rest of its cycle and, after a few failed cycles, only probed with
/// exponential backoff, so it never slows the other devices on the bus.
final class ModbusBus: BusWorker, @unchecked Sendable {
    // @unchecked: all mutable state below is guarded by `condition`, or touched only by the bus thread.
    private let publish: @Sendable (DeviceUpdate) -> Void

    // Guarded by `condition`.
    private var boosts: [String: ContinuousClock.Instant] = [:]
    private var pendingDevices: [Device]?

    // Bus thread only.
    private var connection: (any ModbusLink)?
    private var schedules: [Schedule]
    private var releases: [(due: ContinuousClock.Instant, device: Device, command: Command)] = []
    private var reconnectAt: ContinuousClock.Instant = .now
    private var reconnectDelay: Duration = .milliseconds(250)
    private var lastLinkError: String?
    /// The device on each unit id, to charge a dropped reply to; kept apart from `schedules`, which a poll holds
    /// exclusively while the link reports drops.
    private var deviceByUnit: [Int: String] = [:]
    /// Timeouts in a row on this bus with no answer from any device in between.
    private var silentTransactions = 0

    /// After this many timeouts in a row from every device on the bus, the link itself is suspect (a gateway that
    /// keeps its TCP connection open but stopped forwarding, a half-open connection to a PLC that rebooted): it is
    /// closed and reopened.
    static let silenceBeforeReopen = 3

    /// Poll interval while a device is boosted (a valve is moving): fine enough to time a stroke.
    static let boostedInterval: Duration = .milliseconds(200)

    struct Schedule {
        var device: Device
        var requests: [ReadRequest]
        var interval: Duration
        var nextDue: ContinuousClock.Instant
        var failedCycles = 0
        var readings: [String: Reading] = [:]
    }

    init(bus: Bus, devices: [Device], logger: Logger, publish: @escaping @Sendable (DeviceUpdate) -> Void) {
        self.publish = publish
        let now = ContinuousClock.now
        self.schedules = devices.map { Self.schedule(for: $0, on: bus, at: now) }
        self.deviceByUnit = Self.units(devices)
        super.init(bus: bus, logger: logger, threadName: "levee-bus-\(bus.id)")
    }

    private static func schedule(for device: Device, on bus: Bus, at now: ContinuousClock.Instant) -> Schedule {
        var s = Schedule(
            device: device,
            requests: PollPlan.requests(for: device, maxGap: device.maxGap ?? bus.maxGap),
            interval: .milliseconds(device.pollMs),
            nextDue: now)
        for (name, point) in device.points where point.modbus != nil {
            s.readings[name] = Reading(
                device: device.id, point: name, value: nil, quality: .initial, readAt: nil, readAtInstant: nil,
                updatedAt: Date())
        }
        return s
    }

    private static func units(_ devices: [Device]) -> [Int: String] {
        Dictionary(devices.map { ($0.unit ?? 1, $0.id) }, uniquingKeysWith: { first, _ in first })
    }

    /// Replaces the devices this bus polls, between two transactions. A device whose configuration is unchanged
    /// keeps its schedule, readings and health, so a reload does not put a gap in its polling.
    override func replaceDevices(_ devices: [Device]) -> Bool {
        condition.lock()
        pendingDevices = devices
        condition.signal()
        condition.unlock()
        return true
    }

    /// Polls `device` at `boostedInterval` until `until`, to time a movement closely.
    override func boost(device: String, until: ContinuousClock.Instant) {
        condition.lock()
        boosts[device] = until
        condition.signal()
        condition.unlock()
    }

    // MARK: - The bus thread

    private enum Job {
        case reconfigure([Device])
        /// Every write queued at that moment, in order.
        case writes([QueuedWrite])
        case release(Int)
        case poll(Int)
        case stop
    }

    override func run() {
        do {
            switch bus.kind {
            case .modbusTCP(let host, let port):
                connection = ModbusTCPClient(host: host, port: port, timeoutMs: bus.timeoutMs)
            case .modbusRTU(let rtu):
                connection = try ModbusRTUClient(device: rtu, timeoutMs: bus.timeoutMs)
            case .gpio:
                preconditionFailure("Modbus bus made for GPIO bus \(bus.id)")
            }
        } catch {
            logger.error("bus cannot be set up", metadata: ["bus": "\(bus.id)", "error": "\(error)"])
        }
        connection?.onDrop = { [unowned self] unit, fault in self.dropped(unit: unit, fault) }
        while true {
            switch nextJob() {
            case .stop:
                connection?.close()
                return
            case .reconfigure(let devices):
                let now = clock.now
                schedules = devices.map { d in
                    schedules.first { $0.device == d } ?? Self.schedule(for: d, on: bus, at: now)
                }
                deviceByUnit = Self.units(devices)
                logger.info("bus devices replaced", metadata: ["bus": "\(bus.id)", "devices": "\(devices.count)"])
            case .writes(let batch): perform(batch)
            case .release(let i):
                let r = releases.remove(at: i)
                release(r.device, r.command)
            case .poll(let i): poll(&schedules[i])
            }
        }
    }

    private func nextJob() -> Job {
        condition.lock()
        defer { condition.unlock() }
        while true {
            stats.lastActivity = clock.now
            if !writes.isEmpty {
                defer { writes = [] }
                return .writes(writes)
            }
            if stopping { return .stop }
            if let devices = pendingDevices {
                pendingDevices = nil
                return .reconfigure(devices)
            }
            let now = clock.now
            if let i = releases.indices.min(by: { releases[$0].due < releases[$1].due }), releases[i].due <= now {
                return .release(i)
            }
            // The hot path of a busy bus: index the schedules in place rather than copying each one, and look up
            // boosts only when a valve is moving.
            var earliest: (Int, ContinuousClock.Instant)?
            let anyBoost = !boosts.isEmpty
            for i in schedules.indices {
                var due = schedules[i].nextDue
                if anyBoost, let b = boosts[schedules[i].device.id] {
                    if b < now {
                        boosts[schedules[i].device.id] = nil
                    } else {
                        due = min(due, schedules[i].nextDue - schedules[i].interval + Self.boostedInterval)
                    }
                }
                if earliest == nil || due < earliest!.1 { earliest = (i, due) }
            }
            if let r = releases.map(\.due).min(), earliest == nil || r < earliest!.1 { earliest = (-1, r) }
            guard let (index, due) = earliest else {
                condition.wait()
                continue
            }
            if due <= now, index >= 0 { return .poll(index) }
            if due <= now { continue }
            let wait = due - now
            _ = condition.wait(until: Date().addingTimeInterval(wait.inSeconds))
        }
    }

    /// Runs any writes queued while a poll was in progress; called between the poll's transactions.
    private func drainWrites() {
        while true {
            condition.lock()
            let batch = writes
            writes = []
            condition.unlock()
            guard !batch.isEmpty else { return }
            perform(batch)
        }
    }

    private func count(_ key: WritableKeyPath<BusStatistics, [String: Int]>, _ device: String) {
        condition.lock()
        stats.lastActivity = clock.now
        stats[keyPath: key][device, default: 0] += 1
        condition.unlock()
    }

    /// Opens the link if it is down. Commands pass `force` to try at once, ignoring the reconnect backoff.
    private func ensureLink(force: Bool) throws(ModbusError) -> any ModbusLink {
        guard let connection else {
            throw ModbusError(code: EINVAL, operation: "bus \(bus.id) could not be set up")
        }
        if connection.isConnected { return connection }
        let now = clock.now
        if !force && now < reconnectAt {
            throw ModbusError(code: ENOTCONN, operation: lastLinkError ?? "connect \(connection.label)")
        }
        do {
            try connection.connect()
            reconnectDelay = .milliseconds(250)
            lastLinkError = nil
            condition.lock()
            stats.connects += 1
            stats.linkUp = true
            stats.linkError = nil
            condition.unlock()
            logger.info("bus link up", metadata: ["bus": "\(bus.id)", "endpoint": "\(connection.label)"])
            return connection
        } catch {
            reconnectAt = now + reconnectDelay
            reconnectDelay = min(reconnectDelay * 2, .seconds(5))
            if lastLinkError != error.description {
                logger.warning(
                    "bus link down", metadata: ["bus": "\(bus.id)", "error": "\(error)"])
            }
            lastLinkError = error.description
            condition.lock()
            stats.linkUp = false
            stats.linkError = error.description
            condition.unlock()
            throw error
        }
    }

    private func linkLost(_ error: ModbusError) {
        // A failed (re)connect already set its own backoff; only a link that was up is reopened at once.
        guard connection?.isConnected == true else { return }
        connection?.close()
        lastLinkError = error.description
        reconnectAt = clock.now  // try once at once: a dropped TCP connection usually reconnects straight away
        condition.lock()
        stats.linkUp = false
        stats.linkError = error.description
        condition.unlock()
        logger.warning("bus link lost", metadata: ["bus": "\(bus.id)", "error": "\(error)"])
    }

    /// A reply the link dropped unread: counted against the device it came from and logged with the reason.
    private func dropped(unit: Int, _ fault: ReplyFault) {
        let device = deviceByUnit[unit]
        condition.lock()
        if let device {
            stats.droppedReplies[device, default: 0] += 1
            stats.lastDropReason[device] = fault.description
        } else {
            stats.droppedUnattributed += 1
        }
        condition.unlock()
        logger.warning(
            "reply dropped",
            metadata: [
                "bus": "\(bus.id)", "device": "\(device ?? "?")", "unit": "\(unit)", "reason": "\(fault)",
            ])
    }

    // MARK: Writes

    /// Puts a batch of writes on the wire back to back (a shutoff's commands to one bus arrive together), then
    /// runs their completions in order: journaling and valve tracking cost time a command waiting behind them
    /// should not pay. The completions still run before the next poll, so no feedback overtakes them.
    /// Writes queued while the batch was on the wire join it (the shutoff enqueues its commands one by one).
    private func perform(_ batch: [QueuedWrite]) {
        var done: [(QueuedWrite, Result<WriteReceipt, CommandError>)] = []
        var next = batch
        while !next.isEmpty {
            done += next.map { ($0, perform($0)) }
            condition.lock()
            next = writes
            writes = []
            condition.unlock()
        }
        for (w, result) in done { w.completion(result) }
    }

    private func perform(_ w: QueuedWrite) -> Result<WriteReceipt, CommandError> {
        let device = w.device
        count(\.writes, device.id)
        do {
            try write(device, w.command, value: w.command.value, force: true)
            let ack = clock.now
            if let pulse = w.command.pulseMs {
                releases.append((ack + .milliseconds(pulse), device, w.command))
            }
            return .success(
                WriteReceipt(
                    device: device.id, command: w.command.name, requestedAt: w.requestedAt, acknowledgedAt: ack,
                    acknowledgedDate: Date()))
        } catch {
            count(\.failures, device.id)
            if error.kind == .link { linkLost(error) }
            return .failure(
                CommandError(
                    kind: .notAcknowledged, device: device.id,
                    message: "\(device.id): command \"\(w.command.name)\" not acknowledged: \(describe(error))"))
        }
    }

    private func release(_ device: Device, _ command: Command) {
        count(\.writes, device.id)
        do {
            try write(device, command, value: command.releaseValue, force: true)
        } catch {
            count(\.failures, device.id)
            if error.kind == .link { linkLost(error) }
            logger.error(
                "pulse release not acknowledged",
                metadata: ["device": "\(device.id)", "command": "\(command.name)", "error": "\(error)"])
        }
    }

    private func write(_ device: Device, _ command: Command, value: Int, force: Bool) throws(ModbusError) {
        let link = try ensureLink(force: force)
        let unit = device.unit ?? 1
        switch command.target {
        case .coil(let address):
            try link.writeCoil(unit: unit, address: address, value: value != 0)
        case .register(let address):
            try link.writeRegister(unit: unit, address: address, value: UInt16(truncatingIfNeeded: value))
        case .registerBit(let address, let bit):
            // Read-modify-write: configuration rejects two devices writing bits of one register, so no other
            // writer of this register exists within Levee.
            let current = try link.read(unit: unit, table: .holdingRegister, address: address, count: 1)[0]
            let mask = UInt16(1) << UInt16(bit)
            try link.writeRegister(unit: unit, address: address, value: value != 0 ? current | mask : current & ~mask)
        case .gpio:
            preconditionFailure("GPIO command routed to Modbus bus \(bus.id)")
        }
    }

    // MARK: Polls

    /// Polls one device. It works on the schedule in place (`schedules[i]` passed inout, never copied), so its
    /// readings dictionary is not duplicated on every poll; nothing called from here touches `schedules`.
    private func poll(_ s: inout Schedule) {
        let start = clock.now
        let unit = s.device.unit ?? 1
        var healthy = true
        var problem: String?
        var requests = s.requests
        var r = 0
        while r < requests.count {
            drainWrites()
            let request = requests[r]
            count(\.reads, s.device.id)
            do {
                let link = try ensureLink(force: false)
                let words = try link.read(
                    unit: unit, table: request.table, address: request.address, count: request.count)
                silentTransactions = 0
                let now = clock.now
                let date = Date()
                for slot in request.points {
                    let (value, quality) = PollPlan.decode(slot, from: words, range: s.device.points[slot.name]?.range)
                    s.readings[slot.name] = Reading(
                        device: s.device.id, point: slot.name, value: value, quality: quality, readAt: date,
                        readAtInstant: now, updatedAt: date)
                }
                r += 1
            } catch {
                count(\.failures, s.device.id)
                if case .exception(let code) = error.kind,
                    let exception = ModbusExceptionCode(rawValue: code), exception.meansBadConfiguration
                {
                    // The device says this request can never work. If it spans gaps, the gaps may be what it
                    // rejects: split the request into its contiguous runs and remember the split.
                    let parts = request.splitAtGaps()
                    if parts.count > 1 {
                        requests.replaceSubrange(r...r, with: parts)
                        s.requests = requests
                        logger.notice(
                            "device rejected a coalesced read; reading its runs separately",
                            metadata: ["device": "\(s.device.id)", "request": "\(describe(request))"])
                        continue
                    }
                    mark(request, .badConfig, in: &s)
                    problem =
                        "\(s.device.id): \(describe(request)) rejected (\(exception)): check the register map"
                    r += 1
                    continue
                }
                // No usable answer: this request and every later one of the cycle are comm-fail. Skipping the
                // rest is what keeps a dead device from eating the bus time of the live ones.
                healthy = false
                problem = "\(s.device.id) (unit \(unit) on \(bus.id)): \(describe(request)): \(describe(error))"
                switch error.kind {
                case .link: linkLost(error)
                case .timeout:
                    // A late reply is dropped by the link (by transaction id on TCP, by slave address on RTU), so a
                    // timeout costs only the device that was slow. Silence from every device is the link's fault.
                    silentTransactions += 1
                    if silentTransactions >= Self.silenceBeforeReopen {
                        silentTransactions = 0
                        linkLost(
                            ModbusError(
                                code: ETIMEDOUT, operation: "every device on \(bus.id) silent; reopening the link"))
                    }
                case .exception, .badReply: silentTransactions = 0
                default: break
                }
                for rest in requests[r...] { mark(rest, .commFail, in: &s) }
                break
            }
        }

        let now = clock.now
        if healthy {
            if s.failedCycles > 0 {
                logger.info("device answering again", metadata: ["device": "\(s.device.id)", "bus": "\(bus.id)"])
            }
            s.failedCycles = 0
            s.nextDue = s.nextDue + s.interval
            if s.nextDue <= start { s.nextDue = start + s.interval }
        } else {
            s.failedCycles += 1
            if s.failedCycles == 1 {
                logger.warning(
                    "device stopped answering",
                    metadata: ["device": "\(s.device.id)", "bus": "\(bus.id)", "error": "\(problem ?? "")"])
            }
            let over = s.failedCycles - bus.failCyclesBeforeBackoff
            if over >= 0 {
                // Probe a dead device less and less often, up to the cap, so that it costs the bus at most one
                // timeout per probe.
                let factor = Double(1 << min(over + 1, 16))
                let backoff = min(s.interval.inSeconds * factor, max(bus.backoffMaxSeconds, s.interval.inSeconds))
                s.nextDue = now + .milliseconds(Int(backoff * 1000))
            } else {
                s.nextDue = start + s.interval
            }
        }
        condition.lock()
        stats.lastActivity = now
        stats.cycles[s.device.id, default: 0] += 1
        stats.cycleSeconds[s.device.id, default: 0] += (now - start).inSeconds
        condition.unlock()
        publish(DeviceUpdate(device: s.device.id, readings: Array(s.readings.values), healthy: healthy, error: problem))
    }

    /// Sets the quality of a request's points, keeping their last value and read time for context.
    private func mark(_ request: ReadRequest, _ quality: Quality, in s: inout Schedule) {
        let date = Date()
        for slot in request.points {
            s.readings[slot.name]?.quality = quality
            s.readings[slot.name]?.updatedAt = date
        }
    }

    private func describe(_ request: ReadRequest) -> String {
        "read \(request.table.rawValue) \(request.address)..\(request.address + request.count - 1)"
    }

    private func describe(_ error: ModbusError) -> String {
        switch error.kind {
        case .timeout: "no answer within \(bus.timeoutMs) ms" + (error.reason.map { " (\($0))" } ?? "")
        case .exception(let code):
            "exception \(code) (\(ModbusExceptionCode(rawValue: code).map { "\($0)" } ?? "unknown"))"
        default: error.description
        }
    }

}
