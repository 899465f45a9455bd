import Foundation
import ModbusWire
import TOMLKit

/// A scenario file mistake, naming the key path and the rule broken, e.g.
/// `demo.toml: devices[3] "gas-a1": unknown key "alrm1" (did you mean "alarm1"?)`.
public struct ScenarioError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

extension Scenario {
    /// Reads a scenario file.
    public static func load(path: String) throws -> Scenario {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScenarioError("\(path): cannot read the file")
        }
        return try parse(String(decoding: data, as: UTF8.self), source: (path as NSString).lastPathComponent)
    }

    /// Parses scenario TOML. Every key is checked: unknown keys, wrong types, values out of range and references
    /// to servers, devices or GPIO lines that do not exist are errors naming the key.
    /// - Parameter source: the file name to put in front of error messages.
    public static func parse(_ text: String, source: String = "scenario") throws -> Scenario {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ScenarioError("\(source): \(error.description) (\(error.source.begin.debugDescription))")
        }
        var top = TableReader(root, path: "", source: source)
        var scenario = Scenario(source: source)
        scenario.name = try top.string("name", default: "plant")
        scenario.controlSocketPath = try top.string("control_socket", default: defaultControlSocketPath)

        for var r in try top.tables("servers") {
            scenario.servers.append(try parseServer(&r))
            try r.finish()
        }
        if var g = try top.table("gpio") {
            scenario.gpio = try parseGPIO(&g)
            try g.finish()
        }
        for var r in try top.tables("devices") {
            scenario.devices.append(try parseDevice(&r))
            try r.finish()
        }
        for var r in try top.tables("faults") {
            scenario.faults.append(try parseFault(&r))
            try r.finish()
        }
        try top.finish()
        try scenario.validate()
        return scenario
    }

    private static func parseServer(_ r: inout TableReader) throws -> ServerSpec {
        let name = try r.requiredString("name")
        r.label = "\"\(name)\""
        let kind = try r.requiredString("kind")
        switch kind {
        case "tcp":
            let port = try r.int("port", default: 502)
            guard (0...65535).contains(port) else { throw r.error("port \(port) is outside 0...65535") }
            let tcp = TCPSpec(
                host: try r.string("host", default: "127.0.0.1"), port: port,
                gateway: try r.bool("gateway", default: false))
            return ServerSpec(name: name, transport: .tcp(tcp))
        case "rtu":
            let link = try r.requiredString("link")
            let baud = try r.int("baud", default: 9600)
            guard (300...921_600).contains(baud) else { throw r.error("baud \(baud) is outside 300...921600") }
            let dataBits = try r.int("data_bits", default: 8)
            guard dataBits == 7 || dataBits == 8 else { throw r.error("data_bits \(dataBits) must be 7 or 8") }
            let parityText = try r.string("parity", default: "none")
            guard let parity = RTUSpec.Parity(rawValue: parityText) else {
                throw r.error("parity \"\(parityText)\" must be none, even or odd")
            }
            let stopBits = try r.int("stop_bits", default: 1)
            guard stopBits == 1 || stopBits == 2 else { throw r.error("stop_bits \(stopBits) must be 1 or 2") }
            let rtu = RTUSpec(link: link, baud: baud, dataBits: dataBits, parity: parity, stopBits: stopBits)
            return ServerSpec(name: name, transport: .rtu(rtu))
        default:
            throw r.error("kind \"\(kind)\" must be \"tcp\" or \"rtu\"")
        }
    }

    private static func parseGPIO(_ r: inout TableReader) throws -> GPIOSpec {
        var spec = GPIOSpec(
            socketPath: try r.requiredString("socket"), chipName: try r.string("chip", default: "levee-sim"))
        spec.lineCount = try r.int("num_lines", default: 8)
        guard (1...512).contains(spec.lineCount) else {
            throw r.error("num_lines \(spec.lineCount) is outside 1...512")
        }
        for var l in try r.tables("lines") {
            let offset = try l.int("offset", default: -1)
            guard (0..<spec.lineCount).contains(offset) else {
                throw l.error("offset must be given and within 0...\(spec.lineCount - 1) (num_lines)")
            }
            l.label = "offset \(offset)"
            let role = try l.requiredString("role")
            let name = try l.string("name", default: "line\(offset)")
            switch role {
            case "button":
                let contact = try l.string("contact", default: "nc")
                guard contact == "nc" || contact == "no" else {
                    throw l.error("contact \"\(contact)\" must be nc or no")
                }
                spec.lines.append(
                    GPIOLineSpec(offset: offset, name: name, role: .button(normallyClosed: contact == "nc")))
            case "rain":
                let raining = try l.bool("raining", default: false)
                let pattern = try l.points("pattern") ?? []
                let repeatSeconds = try l.optionalDouble("repeat_s")
                if let repeatSeconds, repeatSeconds <= 0 { throw l.error("repeat_s must be positive") }
                spec.lines.append(
                    GPIOLineSpec(
                        offset: offset, name: name,
                        role: .rain(raining: raining, pattern: pattern, repeatSeconds: repeatSeconds)))
            case "output":
                let initial = try l.int("initial", default: 0)
                guard initial == 0 || initial == 1 else { throw l.error("initial \(initial) must be 0 or 1") }
                spec.lines.append(GPIOLineSpec(offset: offset, name: name, role: .output(initial: initial)))
            default:
                throw l.error("role \"\(role)\" must be button, rain or output")
            }
            try l.finish()
        }
        return spec
    }

    private static func parseDevice(_ r: inout TableReader) throws -> DeviceSpec {
        let id = try r.requiredString("id")
        r.label = "\"\(id)\""
        let name = try r.optionalString("name")
        let area = try r.optionalString("area")
        let server = try r.requiredString("server")
        let unit = try r.int("unit_id", default: -1)
        guard (0...255).contains(unit) else { throw r.error("unit_id must be given and within 0...255") }
        let modelName = try r.requiredString("model")
        let model: DeviceModelSpec
        switch modelName {
        case "valve-actuator":
            let stroke = try r.requiredDouble("stroke_s")
            guard stroke > 0 else { throw r.error("stroke_s must be positive") }
            var initial: Double = 0
            if let text = try r.optionalStringIfString("initial") {
                switch text {
                case "open": initial = 100
                case "closed": initial = 0
                default: throw r.error("initial \"\(text)\" must be \"open\", \"closed\" or a percentage")
                }
            } else if let p = try r.optionalDouble("initial") {
                guard (0...100).contains(p) else { throw r.error("initial \(p) is outside 0...100") }
                initial = p
            }
            model = .valveActuator(ValveSpec(strokeSeconds: stroke, initialPercent: initial, mode: try r.mode()))
        case "pump":
            let initial = try r.string("initial", default: "stopped")
            guard initial == "running" || initial == "stopped" else {
                throw r.error("initial \"\(initial)\" must be \"running\" or \"stopped\"")
            }
            model = .pump(
                PumpSpec(
                    flowM3h: try r.requiredDouble("flow_m3h"), running: initial == "running",
                    mode: try r.mode()))
        case "level-transmitter":
            let spec = LevelSpec(
                areaM2: try r.requiredDouble("area_m2"), depthM: try r.requiredDouble("depth_m"),
                initialM: try r.double("initial_m", default: 0), inflowM3h: try r.double("inflow_m3h", default: 0),
                rainInflowM3h: try r.double("rain_inflow_m3h", default: 0),
                rainLine: try r.optionalInt("rain_line"), inletValve: try r.optionalString("inlet_valve"),
                pumps: try r.stringArray("pumps"))
            guard spec.areaM2 > 0, spec.depthM > 0 else { throw r.error("area_m2 and depth_m must be positive") }
            guard (0...spec.depthM).contains(spec.initialM) else {
                throw r.error("initial_m \(spec.initialM) is outside 0...depth_m")
            }
            model = .levelTransmitter(spec)
        case "gas-transmitter", "toxic-transmitter-int":
            let unitText = try r.string("unit", default: modelName == "gas-transmitter" ? "%LEL" : "ppm")
            guard let gasUnit = GasUnit(rawValue: unitText) else {
                throw r.error("unit \"\(unitText)\" must be %LEL, ppm or mg/m3")
            }
            let spec = GasSpec(
                unit: gasUnit, alarm1: try r.requiredDouble("alarm1"),
                alarm2: try r.requiredDouble("alarm2"), profile: try r.profile("profile", default: 0))
            model = modelName == "gas-transmitter" ? .gasTransmitter(spec) : .toxicTransmitterInt(spec)
        case "dust-monitor":
            model = .dustMonitor(
                DustSpec(
                    concentration: try r.profile("concentration", default: 2),
                    filterDP: try r.profile("filter_dp", default: 800),
                    hopperTemperature: try r.profile("hopper_temp", default: 25),
                    runHours: try r.double("run_hours", default: 0),
                    fanRunning: try r.profile("fan_running", default: 1),
                    collectorFault: try r.profile("collector_fault", default: 0),
                    airlockFault: try r.profile("airlock_fault", default: 0)))
        case "water-quality":
            model = .waterQuality(
                WaterQualitySpec(
                    pH: try r.profile("ph", default: 7.2), cod: try r.profile("cod", default: 25),
                    conductivity: try r.profile("conductivity", default: 600), fault: try r.profile("fault", default: 0)
                ))
        case "register-bank":
            model = .registerBank
        default:
            throw r.error(
                "model \"\(modelName)\" is not one of \(DeviceModelSpec.modelNames.joined(separator: ", "))"
                    + suggestion(modelName, DeviceModelSpec.modelNames))
        }
        return DeviceSpec(id: id, name: name, area: area, server: server, unitID: UInt8(unit), model: model)
    }

    private static func parseFault(_ r: inout TableReader) throws -> ScriptedFault {
        let at = try r.requiredDouble("at_s")
        guard at >= 0 else { throw r.error("at_s must not be negative") }
        let device = try r.requiredString("device")
        let kind = try r.requiredString("kind")
        r.label = "\"\(kind)\" on \"\(device)\""
        let duration = try r.optionalDouble("duration_s")
        if let duration, duration <= 0 { throw r.error("duration_s must be positive") }
        var parameters: [String: String] = [:]
        for key in Fault.parameterKeys(kind: kind) {
            if let text = try r.optionalStringIfString(key) {
                parameters[key] = text
            } else if let v = try r.optionalDouble(key) {
                parameters[key] = String(v)
            }
        }
        try r.finish()  // a misspelt parameter is the likelier mistake than a missing one
        do {
            return ScriptedFault(
                atSeconds: at, device: device, fault: try Fault.parse(kind: kind, parameters: parameters),
                durationSeconds: duration)
        } catch {
            throw r.error(error.description)
        }
    }

    /// Cross-checks references between servers, devices, GPIO lines and faults.
    public func validate() throws {
        func fail(_ message: String) -> ScenarioError { ScenarioError("\(source): \(message)") }
        var serverNames = Set<String>()
        for (i, s) in servers.enumerated() {
            guard serverNames.insert(s.name).inserted else { throw fail("servers[\(i)]: duplicate name \"\(s.name)\"") }
        }
        var ids: [String: DeviceSpec] = [:]
        var addresses = Set<String>()
        for (i, d) in devices.enumerated() {
            let at = "devices[\(i)] \"\(d.id)\""
            guard ids[d.id] == nil else { throw fail("\(at): duplicate id") }
            ids[d.id] = d
            guard let server = servers.first(where: { $0.name == d.server }) else {
                throw fail(
                    "\(at): server \"\(d.server)\" is not defined under [[servers]]"
                        + suggestion(d.server, servers.map(\.name)))
            }
            if case .rtu = server.transport, !(1...247).contains(d.unitID) {
                throw fail("\(at): unit_id \(d.unitID) on an RTU line must be within 1...247 (0 is broadcast)")
            }
            guard addresses.insert("\(d.server)/\(d.unitID)").inserted else {
                throw fail("\(at): unit_id \(d.unitID) is already used on server \"\(d.server)\"")
            }
        }
        for (i, d) in devices.enumerated() {
            guard case .levelTransmitter(let level) = d.model else { continue }
            let at = "devices[\(i)] \"\(d.id)\""
            if let inlet = level.inletValve {
                guard let v = ids[inlet], case .valveActuator = v.model else {
                    throw fail("\(at): inlet_valve \"\(inlet)\" is not a valve-actuator device")
                }
            }
            for p in level.pumps {
                guard let pump = ids[p], case .pump = pump.model else {
                    throw fail("\(at): pumps entry \"\(p)\" is not a pump device")
                }
            }
            if let line = level.rainLine {
                guard let l = gpio?.lines.first(where: { $0.offset == line }), case .rain = l.role else {
                    throw fail("\(at): rain_line \(line) is not a GPIO line with role \"rain\"")
                }
            }
        }
        if let gpio {
            var offsets = Set<Int>()
            for l in gpio.lines where !offsets.insert(l.offset).inserted {
                throw fail("gpio.lines: offset \(l.offset) is declared twice")
            }
        }
        for (i, f) in faults.enumerated() {
            guard let d = ids[f.device] else {
                throw fail(
                    "faults[\(i)]: device \"\(f.device)\" is not defined" + suggestion(f.device, Array(ids.keys)))
            }
            if let reason = d.model.rejects(f.fault, on: servers.first { $0.name == d.server }) {
                throw fail("faults[\(i)] \"\(f.fault.kind)\" on \"\(f.device)\": \(reason)")
            }
        }
    }
}

extension DeviceModelSpec {
    /// Why `fault` cannot apply to this model, or nil if it can.
    func rejects(_ fault: Fault, on server: ServerSpec?) -> String? {
        let isActuator: Bool
        let isSensor: Bool
        switch self {
        case .valveActuator, .pump: (isActuator, isSensor) = (true, false)
        case .registerBank: (isActuator, isSensor) = (false, false)
        default: (isActuator, isSensor) = (false, true)
        }
        switch fault {
        case .dead, .slow, .exception: return nil
        case .drop:
            if case .tcp = server?.transport { return nil }
            return "drop applies to devices on a Modbus TCP server"
        case .stuck, .local, .remote:
            return isActuator ? nil : "\(fault.kind) applies to valve-actuator and pump devices"
        case .halfway:
            if case .valveActuator = self { return nil }
            return "halfway applies to valve-actuator devices"
        case .frozen, .outOfRange:
            return isSensor ? nil : "\(fault.kind) applies to sensor devices"
        }
    }
}

/// Reads one TOML table, remembering which keys were used so `finish()` can reject the rest.
struct TableReader {
    private let table: TOMLTable
    private let path: String
    private let source: String
    /// Shown after the path, e.g. the device id, so errors say which entry.
    var label: String = ""
    private var used = Set<String>()

    init(_ table: TOMLTable, path: String, source: String) {
        self.table = table
        self.path = path
        self.source = source
    }

    func error(_ message: String) -> ScenarioError {
        let location = [path, label].filter { !$0.isEmpty }.joined(separator: " ")
        return ScenarioError(location.isEmpty ? "\(source): \(message)" : "\(source): \(location): \(message)")
    }

    private mutating func value(_ key: String) -> TOMLValueConvertible? {
        used.insert(key)
        return table[key]
    }

    private func typeError(_ key: String, _ expected: String, _ got: TOMLValueConvertible) -> ScenarioError {
        error("\(key) must be \(expected), not \(got.type)")
    }

    mutating func optionalString(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.string else { throw typeError(key, "a string", v) }
        return s
    }

    /// The string at `key`, or nil if the key is absent or holds another type (for keys that take either).
    mutating func optionalStringIfString(_ key: String) throws -> String? {
        value(key)?.string
    }

    mutating func string(_ key: String, default d: String) throws -> String { try optionalString(key) ?? d }

    /// The error for a required key that is absent: blames a misspelt key in the table if there is one.
    func missing(_ key: String) -> ScenarioError {
        for k in table.keys.sorted() where !used.contains(k) && !suggestion(k, [key]).isEmpty {
            return error("unknown key \"\(k)\"" + suggestion(k, [key]) + "; \(key) is required")
        }
        return error("\(key) is required")
    }

    mutating func requiredString(_ key: String) throws -> String {
        guard let s = try optionalString(key) else { throw missing(key) }
        return s
    }

    mutating func optionalDouble(_ key: String) throws -> Double? {
        guard let v = value(key) else { return nil }
        if let d = v.double { return d }
        if let i = v.int { return Double(i) }
        throw typeError(key, "a number", v)
    }

    mutating func double(_ key: String, default d: Double) throws -> Double { try optionalDouble(key) ?? d }

    mutating func requiredDouble(_ key: String) throws -> Double {
        guard let d = try optionalDouble(key) else { throw missing(key) }
        return d
    }

    mutating func optionalInt(_ key: String) throws -> Int? {
        guard let v = value(key) else { return nil }
        guard let i = v.int else { throw typeError(key, "an integer", v) }
        return i
    }

    mutating func int(_ key: String, default d: Int) throws -> Int { try optionalInt(key) ?? d }

    mutating func bool(_ key: String, default d: Bool) throws -> Bool {
        guard let v = value(key) else { return d }
        guard let b = v.bool else { throw typeError(key, "true or false", v) }
        return b
    }

    mutating func stringArray(_ key: String) throws -> [String] {
        guard let v = value(key) else { return [] }
        guard let a = v.array else { throw typeError(key, "an array of strings", v) }
        return try a.enumerated().map { i, e in
            guard let s = e.string else { throw error("\(key)[\(i)] must be a string") }
            return s
        }
    }

    mutating func mode() throws -> SelectorMode {
        let text = try string("mode", default: "remote")
        guard let mode = SelectorMode(rawValue: text) else { throw error("mode \"\(text)\" must be remote or local") }
        return mode
    }

    /// A list of `[t_s, value]` pairs.
    mutating func points(_ key: String) throws -> [Profile.Point]? {
        guard let v = value(key) else { return nil }
        guard let a = v.array else { throw typeError(key, "an array of [t_s, value] pairs", v) }
        var points: [Profile.Point] = []
        for (i, e) in a.enumerated() {
            guard let pair = e.array, pair.count == 2, let t = Self.number(pair[0]), let y = Self.number(pair[1]) else {
                throw error("\(key)[\(i)] must be a pair [t_s, value] of numbers")
            }
            guard t >= 0 else { throw error("\(key)[\(i)]: time \(t) is negative") }
            points.append(Profile.Point(t: t, value: y))
        }
        guard !points.isEmpty else { throw error("\(key) must hold at least one [t_s, value] pair") }
        return points
    }

    /// A number, a bool (0 or 1) or a list of `[t_s, value]` pairs.
    mutating func profile(_ key: String, default d: Double) throws -> Profile {
        guard let v = table[key] else {
            used.insert(key)
            return .constant(d)
        }
        if let n = Self.number(v) {
            used.insert(key)
            return .constant(n)
        }
        if let b = v.bool {
            used.insert(key)
            return .constant(b ? 1 : 0)
        }
        guard let points = try points(key) else { return .constant(d) }
        return Profile(points)
    }

    private static func number(_ v: TOMLValueConvertible) -> Double? {
        if let d = v.double { return d }
        if let i = v.int { return Double(i) }
        return nil
    }

    mutating func table(_ key: String) throws -> TableReader? {
        guard let v = value(key) else { return nil }
        guard let t = v.table else { throw typeError(key, "a table", v) }
        return TableReader(t, path: [path, key].filter { !$0.isEmpty }.joined(separator: "."), source: source)
    }

    /// An array of tables (`[[key]]`), each reader labelled `key[i]`.
    mutating func tables(_ key: String) throws -> [TableReader] {
        guard let v = value(key) else { return [] }
        guard let a = v.array else { throw typeError(key, "an array of tables ([[\(key)]])", v) }
        let prefix = [path, key].filter { !$0.isEmpty }.joined(separator: ".")
        return try a.enumerated().map { i, e in
            guard let t = e.table else { throw error("\(key)[\(i)] must be a table") }
            return TableReader(t, path: "\(prefix)[\(i)]", source: source)
        }
    }

    /// Rejects keys nobody asked for.
    func finish() throws {
        let known = Array(used)
        for key in table.keys.sorted() where !used.contains(key) {
            throw error("unknown key \"\(key)\"" + suggestion(key, known))
        }
    }
}
