import Config
import Foundation
import Logging

/// One GPIO chip with its own thread: inputs (buttons, rain contacts) with edge events and debounce, and outputs
/// (siren, beacon relays) held in a defined state from start.
///
/// Wiring logic lives here, above the chip, so the real and the simulated chip share it:
/// - `active_low`: the contact pulls the line low when closed;
/// - `normally_closed`: the contact is closed in the normal state, so an open contact, and a cut wire, read active.
final class GPIOBus: BusWorker, @unchecked Sendable {
    // @unchecked: mutable state is guarded by `condition` or touched only by the bus thread.
    private let chipSpec: String
    private let publish: @Sendable (DeviceUpdate) -> Void
    private let openChip: @Sendable (String) throws(GPIOError) -> GPIOChip

    // Bus thread only.
    private var chip: GPIOChip?
    private var reopenAt = ContinuousClock.now
    private var inputs: [Input] = []
    private var outputs: [Int: (device: Device, line: GPIOLine)] = [:]
    private var nextHeartbeat: [String: ContinuousClock.Instant] = [:]
    /// Pulse commands waiting to write their release value.
    private var releases: [(due: ContinuousClock.Instant, write: QueuedWrite)] = []
    private let devices: [Device]

    struct Input {
        var device: Device
        var point: String
        var line: GPIOLine
        var stable: Bool?
        var candidate: (active: Bool, since: ContinuousClock.Instant)?
        var reading: Reading
    }

    init(
        bus: Bus, devices: [Device], logger: Logger,
        openChip: @escaping @Sendable (String) throws(GPIOError) -> GPIOChip = { spec throws(GPIOError) in
            try GPIOChips.open(spec)
        },
        publish: @escaping @Sendable (DeviceUpdate) -> Void
    ) {
        guard case .gpio(let chip) = bus.kind else { preconditionFailure("GPIOBus made for a Modbus bus") }
        self.chipSpec = chip
        self.devices = devices
        self.openChip = openChip
        self.publish = publish
        var inputs: [Input] = []
        var outputs: [Int: (device: Device, line: GPIOLine)] = [:]
        for device in devices {
            for (name, point) in device.points.sorted(by: { $0.key < $1.key }) {
                guard let line = point.gpio else { continue }
                // Output lines are watched too: their level is read back, so an output's state is measured,
                // never assumed from the last command.
                inputs.append(
                    Input(
                        device: device, point: name, line: line, stable: nil, candidate: nil,
                        reading: Reading(
                            device: device.id, point: name, value: nil, quality: .initial, readAt: nil,
                            readAtInstant: nil, updatedAt: Date())))
                if line.direction == .output { outputs[line.offset] = (device, line) }
            }
        }
        self.inputs = inputs
        self.outputs = outputs
        super.init(bus: bus, logger: logger, threadName: "levee-gpio-\(bus.id)")
    }

    // MARK: - The bus thread

    override func run() {
        while true {
            condition.lock()
            stats.lastActivity = clock.now
            let stop = stopping && writes.isEmpty
            let pending = writes
            writes = []
            condition.unlock()
            if stop { break }
            for w in pending { perform(w) }
            let now = clock.now
            for r in releases where r.due <= now { release(r.write) }
            releases.removeAll { $0.due <= now }
            guard let chip = ensureChip() else {
                Thread.sleep(forTimeInterval: 0.05)
                continue
            }
            do {
                let timeout = nextTimeout()
                let edges = try chip.waitForEdges(timeout: timeout)
                let now = clock.now
                for edge in edges { observe(offset: edge.offset, level: edge.level, at: now) }
                try settle(chip, at: clock.now)
            } catch {
                chipLost(error)
            }
        }
        chip?.close()
    }

    private func ensureChip() -> GPIOChip? {
        if let chip { return chip }
        let now = clock.now
        guard now >= reopenAt else { return nil }
        do {
            let c = try openChip(chipSpec)
            for input in inputs where input.line.direction == .input { try c.requestInput(offset: input.line.offset) }
            for (offset, o) in outputs {
                // Outputs are driven to their configured initial state as soon as they are requested.
                try c.requestOutput(offset: offset, level: o.line.initial != o.line.activeLow)
            }
            chip = c
            condition.lock()
            stats.connects += 1
            stats.linkUp = true
            stats.linkError = nil
            condition.unlock()
            logger.info("GPIO chip open", metadata: ["bus": "\(bus.id)", "chip": "\(chipSpec)"])
            // Read every input at once so the first state is known without waiting for an edge.
            let levels = try c.read(offsets: inputs.map(\.line.offset))
            for (i, level) in levels.enumerated() {
                accept(index: i, active: active(inputs[i].line, level: level), at: clock.now)
            }
            for i in inputs.indices { nextHeartbeat[inputs[i].device.id] = clock.now }
            publishAll(force: true)
            return c
        } catch {
            chipLost(error)
            return nil
        }
    }

    private func chipLost(_ error: GPIOError) {
        chip?.close()
        chip = nil
        reopenAt = clock.now + .seconds(5)
        condition.lock()
        let changed = stats.linkError != error.description
        stats.linkUp = false
        stats.linkError = error.description
        condition.unlock()
        if changed {
            logger.error("GPIO chip unavailable", metadata: ["bus": "\(bus.id)", "error": "\(error)"])
        }
        let date = Date()
        for i in inputs.indices {
            inputs[i].reading.quality = .commFail
            inputs[i].reading.updatedAt = date
            inputs[i].stable = nil
            inputs[i].candidate = nil
        }
        for device in Set(inputs.map(\.device.id)) {
            // A failed attempt is a cycle, as a failed Modbus poll is: the device has been tried.
            condition.lock()
            stats.cycles[device, default: 0] += 1
            condition.unlock()
            publish(
                DeviceUpdate(
                    device: device, readings: inputs.filter { $0.device.id == device }.map(\.reading),
                    healthy: false, error: "\(device): \(error)"))
        }
    }

    private func active(_ line: GPIOLine, level: Bool) -> Bool {
        let contactClosed = level != line.activeLow
        return line.normallyClosed ? !contactClosed : contactClosed
    }

    private func observe(offset: Int, level: Bool, at now: ContinuousClock.Instant) {
        for i in inputs.indices where inputs[i].line.offset == offset {
            let a = active(inputs[i].line, level: level)
            if a == inputs[i].stable {
                inputs[i].candidate = nil
            } else if inputs[i].candidate?.active != a {
                inputs[i].candidate = (a, now)
            }
        }
    }

    /// Accepts debounced changes and sends heartbeats.
    private func settle(_ chip: GPIOChip, at now: ContinuousClock.Instant) throws(GPIOError) {
        let due = inputs.indices.filter { i in
            guard let c = inputs[i].candidate else { return false }
            return now - c.since >= .milliseconds(inputs[i].line.debounceMs)
        }
        if !due.isEmpty {
            // Confirm with the level now: a bounce that went back leaves the state as it was.
            let levels = try chip.read(offsets: due.map { inputs[$0].line.offset })
            for (k, i) in due.enumerated() {
                let a = active(inputs[i].line, level: levels[k])
                inputs[i].candidate = nil
                if a != inputs[i].stable {
                    accept(index: i, active: a, at: now)
                    publishDevice(inputs[i].device.id, at: now)
                }
            }
        }
        let heartbeatDue = nextHeartbeat.filter { $0.value <= now }.map(\.key)
        if !heartbeatDue.isEmpty {
            // A periodic read refreshes the time of every value and catches an edge the chip did not report.
            let indices = inputs.indices.filter { heartbeatDue.contains(inputs[$0].device.id) }
            let levels = try chip.read(offsets: indices.map { inputs[$0].line.offset })
            for (k, i) in indices.enumerated() {
                observe(offset: inputs[i].line.offset, level: levels[k], at: now)
                if inputs[i].candidate == nil { touch(index: i, at: now) }
            }
            for id in heartbeatDue { publishDevice(id, at: now) }
        }
    }

    private func accept(index i: Int, active: Bool, at now: ContinuousClock.Instant) {
        inputs[i].stable = active
        touch(index: i, at: now)
    }

    private func touch(index i: Int, at now: ContinuousClock.Instant) {
        guard let stable = inputs[i].stable else { return }
        let date = Date()
        inputs[i].reading.value = stable ? 1 : 0
        inputs[i].reading.quality = .good
        inputs[i].reading.readAt = date
        inputs[i].reading.readAtInstant = now
        inputs[i].reading.updatedAt = date
    }

    private func publishDevice(_ id: String, at now: ContinuousClock.Instant) {
        guard let device = devices.first(where: { $0.id == id }) else { return }
        nextHeartbeat[id] = now + .milliseconds(device.pollMs)
        condition.lock()
        stats.cycles[id, default: 0] += 1
        condition.unlock()
        publish(
            DeviceUpdate(
                device: id, readings: inputs.filter { $0.device.id == id }.map(\.reading), healthy: true, error: nil))
    }

    private func publishAll(force: Bool) {
        for id in Set(inputs.map(\.device.id)) { publishDevice(id, at: clock.now) }
    }

    private func nextTimeout() -> Duration {
        let now = clock.now
        var deadline = now + .milliseconds(50)  // writes are picked up within this
        for input in inputs {
            if let c = input.candidate { deadline = min(deadline, c.since + .milliseconds(input.line.debounceMs)) }
        }
        for due in nextHeartbeat.values { deadline = min(deadline, due) }
        for r in releases { deadline = min(deadline, r.due) }
        return max(.zero, deadline - now)
    }

    /// Ends a pulse: writes the command's release value to the same line.
    private func release(_ w: QueuedWrite) {
        guard case .gpio(let offset) = w.command.target, let chip else { return }
        let activeLow = outputs[offset]?.line.activeLow ?? false
        do {
            try chip.write(offset: offset, level: (w.command.releaseValue != 0) != activeLow)
            let now = clock.now
            for i in inputs.indices where inputs[i].line.offset == offset && inputs[i].line.direction == .output {
                accept(index: i, active: active(inputs[i].line, level: try chip.read(offsets: [offset])[0]), at: now)
                publishDevice(inputs[i].device.id, at: now)
            }
        } catch {
            logger.error(
                "pulse release failed",
                metadata: ["device": "\(w.device.id)", "command": "\(w.command.name)", "error": "\(error)"])
        }
    }

    private func perform(_ w: QueuedWrite) {
        condition.lock()
        stats.writes[w.device.id, default: 0] += 1
        condition.unlock()
        guard case .gpio(let offset) = w.command.target else { preconditionFailure("non-GPIO command on GPIO bus") }
        let activeLow = outputs[offset]?.line.activeLow ?? false
        do {
            guard let chip = ensureChip() else {
                throw GPIOError(chip: chipSpec, operation: "open", code: ENODEV, detail: statistics.linkError)
            }
            try chip.write(offset: offset, level: (w.command.value != 0) != activeLow)
            let now = clock.now
            for i in inputs.indices where inputs[i].line.offset == offset && inputs[i].line.direction == .output {
                let level = try chip.read(offsets: [offset])[0]
                inputs[i].candidate = nil
                accept(index: i, active: active(inputs[i].line, level: level), at: now)
                publishDevice(inputs[i].device.id, at: now)
            }
            if let pulse = w.command.pulseMs { releases.append((now + .milliseconds(pulse), w)) }
            w.completion(
                .success(
                    WriteReceipt(
                        device: w.device.id, command: w.command.name, requestedAt: w.requestedAt,
                        acknowledgedAt: now, acknowledgedDate: Date())))
        } catch {
            w.completion(
                .failure(
                    CommandError(
                        kind: .notAcknowledged, device: w.device.id,
                        message: "\(w.device.id): command \"\(w.command.name)\" failed: \(error)")))
        }
    }
}
