import ModbusWire

extension ConfigValidator {
    static let modbusPointKeys: Set<String> = [
        "function", "address", "type", "bit", "word_order", "scale", "offset", "invert",
    ]
    static let gpioPointKeys: Set<String> = [
        "line", "direction", "active_low", "normally_closed", "debounce_ms", "initial",
    ]
    static let commonPointKeys: Set<String> = ["unit", "range", "deadband"]

    /// `[devices.points]`: each point's name must be one its kind knows (`PointRole`), and its body must suit the
    /// device's bus: Modbus keys on a Modbus bus, a GPIO line on a GPIO bus.
    mutating func validatePoints(_ device: ConfigTable, kind: DeviceKind?, bus: BusRef?) -> [String: Point] {
        guard let points = table(device, "points") else { return [:] }
        let known = kind.map { PointRole.required(for: $0).union(PointRole.optional(for: $0)) }
        var result: [String: Point] = [:]
        for name in points.entries.keys.sorted() {
            var isKnown = true
            if let kind, let known, !known.contains(name) {
                let detail =
                    Suggestion.closest(to: name, in: known).map { " (did you mean \(quoted($0))?)" }
                    ?? " (\(kind.rawValue) points: \(known.sorted().joined(separator: ", ")))"
                reportTable(points.path, "unknown point \(quoted(name)) for a \(kind.rawValue) device" + detail)
                isKnown = false
            }
            // The body is checked even under an unknown name, so one pass finds its mistakes too.
            guard let body = table(points, name) else { continue }
            if let point = point(body, name: name, kind: kind, bus: bus), isKnown {
                result[name] = point
            }
        }
        return result
    }

    /// One point, Modbus or GPIO by the device's bus (or, when the bus is unknown, by whether it gives `line`).
    private mutating func point(_ p: ConfigTable, name: String, kind: DeviceKind?, bus: BusRef?) -> Point? {
        let isGPIO = bus?.family.map { $0 == .gpio } ?? (p.has("line") && !p.has("function"))
        checkKeys(
            p,
            allowed: Self.commonPointKeys.union(isGPIO ? Self.gpioPointKeys : Self.modbusPointKeys),
            elsewhere: misplacedKeys(
                isGPIO: isGPIO, bus: bus, modbusKeys: Self.modbusPointKeys, gpioKeys: Self.gpioPointKeys
            )
        )
        let unit = string(p, "unit") ?? ""
        let range = range(p)
        let deadband = number(p, "deadband", in: 0...Self.engineeringValues.upperBound) ?? 0
        let source: Point.Source? =
            isGPIO ? gpioLine(p, kind: kind).map { .gpio($0) } : modbusPoint(p).map { .modbus($0) }
        guard let source else { return nil }
        return Point(name: name, source: source, unit: unit, range: range, deadband: deadband)
    }

    /// Messages for keys of the other bus family, which name the bus so the person sees why they do not apply.
    func misplacedKeys(isGPIO: Bool, bus: BusRef?, modbusKeys: Set<String>, gpioKeys: Set<String>)
        -> [String: String]
    {
        guard let bus, let family = bus.family else { return [:] }
        var result: [String: String] = [:]
        if isGPIO {
            for key in modbusKeys {
                result[key] = "is a Modbus key, but bus \(quoted(bus.id)) is a gpio bus; give line instead"
            }
        } else {
            for key in gpioKeys {
                result[key] =
                    "is a GPIO key, but bus \(quoted(bus.id)) is a \(family.rawValue) bus; give function and address"
            }
        }
        return result
    }

    /// `range = [min, max]` with min < max, both engineering values (`engineeringValues`).
    private mutating func range(_ p: ConfigTable) -> ClosedRange<Double>? {
        guard let items = array(p, "range") else { return nil }
        let path = p.path.appending("range")
        guard items.count == 2, let low = items[0].finiteNumber, let high = items[1].finiteNumber else {
            let bounds = ConfigValidator.engineeringValues
            report(
                path,
                "must be [min, max] such as [0, 100], each within \(formatted(bounds.lowerBound))...\(formatted(bounds.upperBound))"
            )
            return nil
        }
        guard low < high else {
            report(path, "[\(formatted(low)), \(formatted(high))] must have min < max")
            return nil
        }
        return low...high
    }

    // MARK: Modbus points

    static let valueTypeNames = ["bool", "bit", "int16", "uint16", "int32", "uint32", "float32"]

    /// A Modbus point: the table, an address whose whole value fits below 65536, a type the table can hold, and
    /// for 32-bit types an explicit word order, because vendors disagree and a wrong guess reads plausible garbage.
    private mutating func modbusPoint(_ p: ConfigTable) -> ModbusPoint? {
        let table = choice(p, "function", RegisterTable.self, required: true)
        let address = integer(p, "address", required: true, in: 0...65535)
        let typeName = choice(p, "type", among: Self.valueTypeNames)
        let bitNumber = integer(p, "bit", in: 0...15)
        let order = choice(p, "word_order", WordOrder.self)
        var scale = number(p, "scale", in: -1e6...1e6) ?? 1
        if scale == 0 {
            report(p.path.appending("scale"), "0 must be non-zero (engineering = raw * scale + offset)")
            scale = 1
        }
        let offset = number(p, "offset", in: Self.engineeringValues) ?? 0
        let invert = boolean(p, "invert") ?? false
        guard let table else { return nil }

        let resolvedName = typeName ?? (table.isBitTable ? "bool" : "uint16")
        let typePath = p.path.appending("type")
        var type: ValueType?
        switch resolvedName {
        case "bool":
            if table.isBitTable {
                type = .bool
            } else {
                report(
                    typePath,
                    "\"bool\" is for coil and discrete-input points; for one bit of a register use type = \"bit\" "
                        + "with bit = 0...15"
                )
            }
        case "bit":
            if table.isBitTable {
                report(
                    typePath,
                    "\"bit\" picks a bit of a register, but a \(table.rawValue) point is one bit: use \"bool\"")
            } else if let bitNumber {
                type = .bit(bitNumber)
            } else if !p.has("bit") {
                report(p.path.appending("bit"), "is required with type = \"bit\" (0...15)")
            }
        default:
            let registerType: ValueType =
                switch resolvedName {
                case "int16": .int16
                case "uint16": .uint16
                case "int32": .int32
                case "uint32": .uint32
                default: .float32
                }
            if table.isBitTable {
                report(
                    typePath,
                    "\(quoted(resolvedName)) needs a register (holding or input), but a \(table.rawValue) point is "
                        + "one bit: use \"bool\""
                )
            } else {
                type = registerType
            }
        }
        if p.has("bit"), resolvedName != "bit" {
            report(p.path.appending("bit"), "is only used with type = \"bit\"")
        }
        guard let type else { return nil }

        if type.needsWordOrder, !p.has("word_order") {
            reportTable(
                p.path,
                "\(type.name) needs word_order (one of ABCD, CDAB, BADC, DCBA); devices differ, so name it explicitly"
            )
        } else if !type.needsWordOrder, p.has("word_order") {
            report(p.path.appending("word_order"), "applies only to 32-bit types (int32, uint32, float32)")
        }
        if invert, !(type == .bool || resolvedName == "bit") {
            report(p.path.appending("invert"), "applies only to bool and bit points")
        }
        guard let address else { return nil }
        let last = 65536 - type.registerCount
        if address > last {
            report(
                p.path.appending("address"),
                "\(address) is outside 0...\(last) for a \(type.name) (\(type.registerCount) registers)"
            )
            return nil
        }
        if type.needsWordOrder, order == nil { return nil }
        return ModbusPoint(
            table: table, address: address, type: type, wordOrder: order,
            scaling: Scaling(scale: scale, offset: offset), invert: invert
        )
    }

    // MARK: GPIO points

    /// A GPIO line. Direction defaults to output on a digital-output (its `state` is what it drives) and to input
    /// everywhere else; only a digital-output may drive a line through a point.
    private mutating func gpioLine(_ p: ConfigTable, kind: DeviceKind?) -> GPIOLine? {
        let offset = lineOffset(p)
        let defaultDirection: GPIOLine.Direction = kind == .digitalOutput ? .output : .input
        let direction = choice(p, "direction", among: ["input", "output"]).flatMap(GPIOLine.Direction.init(rawValue:))
        let resolved = direction ?? defaultDirection
        if resolved == .output, let kind, kind != .digitalOutput {
            report(p.path.appending("direction"), "\"output\" is only for the state of a digital-output device")
        }
        let activeLow = boolean(p, "active_low") ?? false
        let normallyClosed = boolean(p, "normally_closed") ?? false
        let debounce = integer(p, "debounce_ms", in: 0...60000) ?? 20
        let initial = boolean(p, "initial") ?? false
        if resolved == .output {
            for key in ["normally_closed", "debounce_ms"] where p.has(key) {
                report(p.path.appending(key), "applies only to inputs (direction = \"input\")")
            }
        } else if p.has("initial") {
            report(p.path.appending("initial"), "applies only to outputs (direction = \"output\")")
        }
        guard let offset else { return nil }
        return GPIOLine(
            offset: offset, direction: resolved, activeLow: activeLow, normallyClosed: normallyClosed,
            debounceMs: debounce, initial: initial
        )
    }

    /// `line`: a line offset on the bus's chip.
    mutating func lineOffset(_ t: ConfigTable) -> Int? {
        // A chip has at most a few hundred lines; the offset goes to libgpiod as an unsigned int.
        integer(t, "line", required: true, in: 0...65535)
    }
}
