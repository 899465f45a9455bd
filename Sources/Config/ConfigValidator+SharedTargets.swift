/// What one command writes, as far as two writers could collide on it.
///
/// A bit write is a read-modify-write of the whole register, so a register and any of its bits are one target:
/// two devices writing different bits of one register would still race and undo each other's change.
private enum WriteTarget: Hashable {
    case coil(bus: String, unit: Int, address: Int)
    case register(bus: String, unit: Int, address: Int)
}

/// A GPIO line on one chip.
private struct LineKey: Hashable {
    var bus: String
    var offset: Int
}

/// One use of a GPIO line by a device: a point (input or output) or a command (always an output).
private struct LineUse {
    var device: Int
    /// `points.state` or `commands.on`.
    var what: String
    var isOutput: Bool
}

extension ConfigValidator {
    /// Rejects two writers on one target and GPIO lines claimed twice.
    ///
    /// - Two devices' commands on the same coil or register (or bits of one register) would fight each other, and
    ///   the shutoff sequencer could not tell which device a write belongs to.
    /// - Within one device, two commands writing the same value to the same place are a copy-paste slip: `open`
    ///   and `close` would do the same thing.
    /// - A GPIO line can be requested by only one consumer, and a line cannot be both read and driven.
    mutating func checkSharedTargets(_ devices: [DeviceDraft], buses: [DefinedBus]) {
        var writers: [WriteTarget: (device: Int, command: String)] = [:]
        var lines: [LineKey: [LineUse]] = [:]
        for (position, draft) in devices.enumerated() {
            guard let bus = draft.busID else { continue }
            var sameDevice: [String: String] = [:]  // "<target> <value>" -> command name
            for name in draft.commands.keys.sorted() {
                let command = draft.commands[name]!
                let path = KeyPath(owner: draft.owner, keys: ["commands", name])
                let spelled = Self.describe(command.target)
                let valueKey = "\(spelled) \(command.value)"
                if let other = sameDevice[valueKey] {
                    report(path, "writes \(command.value) to \(spelled), the same as commands.\(other)")
                } else {
                    sameDevice[valueKey] = name
                }
                if case .gpio(let offset) = command.target {
                    lines[LineKey(bus: bus, offset: offset), default: []].append(
                        LineUse(device: position, what: "commands.\(name)", isOutput: true)
                    )
                    continue
                }
                guard let unit = draft.unit, let target = Self.writeTarget(command.target, bus: bus, unit: unit) else {
                    continue
                }
                if let first = writers[target] {
                    guard first.device != position else { continue }
                    let other = devices[first.device]
                    let otherCommand = other.commands[first.command]!
                    let isBit = Self.isBitWrite(command.target) || Self.isBitWrite(otherCommand.target)
                    report(
                        path,
                        "writes \(spelled) on bus \(quoted(bus)) unit \(unit), which \(other.owner) also writes "
                            + "(commands.\(first.command))"
                            + (isBit ? "; read-modify-writes of one register from two devices would race" : "")
                    )
                } else {
                    writers[target] = (position, name)
                }
            }
            for name in draft.points.keys.sorted() {
                guard let line = draft.points[name]?.gpio else { continue }
                lines[LineKey(bus: bus, offset: line.offset), default: []].append(
                    LineUse(device: position, what: "points.\(name)", isOutput: line.direction == .output)
                )
            }
        }
        checkLines(lines, devices: devices)
    }

    private mutating func checkLines(_ lines: [LineKey: [LineUse]], devices: [DeviceDraft]) {
        var found: [(device: Int, issue: ConfigIssue)] = []
        for (key, uses) in lines {
            let first = uses[0]
            var reported: Set<Int> = []
            for use in uses where use.device != first.device && !reported.contains(use.device) {
                reported.insert(use.device)
                let path = KeyPath(
                    owner: devices[use.device].owner, keys: use.what.split(separator: ".").map(String.init))
                found.append(
                    (
                        use.device,
                        ConfigIssue(
                            keyPath: path.description,
                            message: "uses GPIO line \(key.offset) on bus \(quoted(key.bus)), which "
                                + "\(devices[first.device].owner) also uses (\(first.what))"
                        )
                    )
                )
            }
            for device in Set(uses.map(\.device)) {
                let mine = uses.filter { $0.device == device }
                guard let input = mine.first(where: { !$0.isOutput }), let output = mine.first(where: \.isOutput)
                else { continue }
                let path = KeyPath(
                    owner: devices[device].owner, keys: output.what.split(separator: ".").map(String.init))
                found.append(
                    (
                        device,
                        ConfigIssue(
                            keyPath: path.description,
                            message: "drives GPIO line \(key.offset), which \(input.what) reads as an input"
                        )
                    )
                )
            }
        }
        // Dictionary order is random; report in device order, then by text, so output is stable.
        found.sort { ($0.device, $0.issue.description) < ($1.device, $1.issue.description) }
        issues.append(contentsOf: found.map(\.issue))
    }

    private static func writeTarget(_ target: Command.Target, bus: String, unit: Int) -> WriteTarget? {
        switch target {
        case .coil(let address): .coil(bus: bus, unit: unit, address: address)
        case .register(let address), .registerBit(let address, _): .register(bus: bus, unit: unit, address: address)
        case .gpio: nil
        }
    }

    private static func isBitWrite(_ target: Command.Target) -> Bool {
        if case .registerBit = target { return true }
        return false
    }

    /// The target in words: `coil 10`, `holding register 20`, `bit 3 of holding register 20`, `GPIO line 5`.
    static func describe(_ target: Command.Target) -> String {
        switch target {
        case .coil(let address): "coil \(address)"
        case .register(let address): "holding register \(address)"
        case .registerBit(let address, let bit): "bit \(bit) of holding register \(address)"
        case .gpio(let offset): "GPIO line \(offset)"
        }
    }
}
