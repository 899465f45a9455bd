extension ConfigValidator {
    static let modbusCommandKeys: Set<String> = ["function", "address", "bit"]
    static let gpioCommandKeys: Set<String> = ["line"]
    static let commonCommandKeys: Set<String> = ["value", "pulse_ms", "release_value"]

    /// `[devices.commands]`: names the kind accepts (`PointRole.commands(for:)`), each a write the bus can make.
    mutating func validateCommands(_ device: ConfigTable, kind: DeviceKind?, bus: BusRef?) -> [String: Command] {
        guard let commands = table(device, "commands") else { return [:] }
        let allowed = kind.map(PointRole.commands(for:))
        var result: [String: Command] = [:]
        for name in commands.entries.keys.sorted() {
            var isKnown = true
            if let kind, let allowed, !allowed.contains(name) {
                isKnown = false
                if allowed.isEmpty {
                    reportTable(commands.path, "a \(kind.rawValue) device takes no commands, got \(quoted(name))")
                } else {
                    let detail =
                        Suggestion.closest(to: name, in: allowed).map { " (did you mean \(quoted($0))?)" }
                        ?? " (\(kind.rawValue) commands: \(allowed.sorted().joined(separator: ", ")))"
                    reportTable(commands.path, "unknown command \(quoted(name)) for a \(kind.rawValue) device" + detail)
                }
            }
            guard let body = table(commands, name) else { continue }
            if let command = command(body, name: name, bus: bus), isKnown {
                result[name] = command
            }
        }
        return result
    }

    /// One command: a coil, a holding register or one bit of it, or a GPIO line, with an optional pulse.
    private mutating func command(_ c: ConfigTable, name: String, bus: BusRef?) -> Command? {
        let isGPIO = bus?.family.map { $0 == .gpio } ?? (c.has("line") && !c.has("function"))
        checkKeys(
            c,
            allowed: Self.commonCommandKeys.union(isGPIO ? Self.gpioCommandKeys : Self.modbusCommandKeys),
            elsewhere: misplacedKeys(
                isGPIO: isGPIO, bus: bus, modbusKeys: Self.modbusCommandKeys, gpioKeys: Self.gpioCommandKeys
            )
        )
        var target: Command.Target?
        let binaryOn: String?
        if isGPIO {
            target = lineOffset(c).map { .gpio(offset: $0) }
            binaryOn = "a GPIO line"
        } else {
            let function = choice(c, "function", among: ["coil", "holding"], required: true)
            let address = integer(c, "address", required: true, in: 0...65535)
            let bit = integer(c, "bit", in: 0...15)
            if function == "coil", c.has("bit") {
                report(c.path.appending("bit"), "applies only to holding registers (a coil is one bit)")
            }
            if let address {
                switch function {
                case "coil": target = .coil(address: address)
                case "holding" where c.has("bit"): target = bit.map { .registerBit(address: address, bit: $0) }
                case "holding": target = .register(address: address)
                default: target = nil
                }
            }
            binaryOn = function == "coil" ? "a coil" : (c.has("bit") ? "a register bit" : nil)
        }
        let value = commandValue(c, "value", binaryOn: binaryOn) ?? 1
        let pulse = integer(c, "pulse_ms", in: 1...60000)
        let release = commandValue(c, "release_value", binaryOn: binaryOn) ?? 0
        if c.has("release_value"), !c.has("pulse_ms") {
            report(c.path.appending("release_value"), "is only used with pulse_ms")
        } else if pulse != nil, release == value {
            report(
                c.path.appending("release_value"),
                "\(release) equals value, so the pulse would never release; give a different release_value"
            )
        }
        guard let target else { return nil }
        return Command(name: name, target: target, value: value, pulseMs: pulse, releaseValue: release)
    }

    /// A value to write: an integer (or `true`/`false`), 0 or 1 for single bits, 0...65535 for a register.
    private mutating func commandValue(_ c: ConfigTable, _ key: String, binaryOn: String?) -> Int? {
        guard let node = c[key] else { return nil }
        let path = c.path.appending(key)
        let n: Int
        switch node {
        case .integer(let v): n = v
        case .boolean(let b): n = b ? 1 : 0
        default:
            report(path, "must be an integer or true/false, got \(node.typeName)")
            return nil
        }
        if let binaryOn {
            guard n == 0 || n == 1 else {
                report(path, "\(n) must be 0 or 1 on \(binaryOn)")
                return nil
            }
        } else if !(0...65535).contains(n) {
            report(path, "\(n) is outside 0...65535")
            return nil
        }
        return n
    }
}
