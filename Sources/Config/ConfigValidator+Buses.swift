extension ConfigValidator {
    /// Keys every bus takes.
    static let commonBusKeys: Set<String> = ["type", "fail_cycles_before_backoff", "backoff_max_s"]
    /// Keys each bus type adds, as documented on `Bus` and `Bus.Kind`.
    static let busKeys: [BusFamily: Set<String>] = [
        .modbusTCP: ["host", "port", "timeout_ms", "max_gap"],
        .modbusRTU: ["device", "baud", "parity", "data_bits", "stop_bits", "frame_gap_ms", "timeout_ms", "max_gap"],
        .gpio: ["chip"],
    ]

    /// `[buses.<id>]` tables, in file order.
    mutating func validateBuses(_ top: ConfigTable, order: [String]) -> [DefinedBus] {
        guard let buses = table(top, "buses", required: true) else { return [] }
        if buses.entries.isEmpty {
            report(buses.path, "must define at least one bus, such as [buses.plc]")
            return []
        }
        let ids = buses.entries.keys.sorted { a, b in
            let ia = order.firstIndex(of: a) ?? Int.max
            let ib = order.firstIndex(of: b) ?? Int.max
            return ia != ib ? ia < ib : a < b
        }
        var result: [DefinedBus] = []
        for id in ids {
            let path = buses.path.appending(id)
            if !isIdentifier(id) {
                report(path, "id \(quoted(id)) must match [A-Za-z0-9_-]+")
            }
            guard let t = table(buses, id) else {
                result.append(DefinedBus(id: id, bus: nil, family: nil))
                continue
            }
            result.append(validateBus(id: id, t))
        }
        return result
    }

    /// One bus: `type` picks which further keys apply.
    mutating func validateBus(id: String, _ t: ConfigTable) -> DefinedBus {
        let family = choice(t, "type", BusFamily.self, required: true)
        guard let family else {
            // Without a type, any bus key is plausible: report only keys no bus takes.
            checkKeys(t, allowed: Self.commonBusKeys.union(Self.busKeys.values.joined()))
            return DefinedBus(id: id, bus: nil, family: nil)
        }
        let allowed = Self.commonBusKeys.union(Self.busKeys[family]!)
        var elsewhere: [String: String] = [:]
        for other in BusFamily.allCases where other != family {
            for key in Self.busKeys[other]! where !allowed.contains(key) {
                elsewhere[key] = "does not apply to a \(family.rawValue) bus"
            }
        }
        checkKeys(t, allowed: allowed, elsewhere: elsewhere)

        let failCycles = integer(t, "fail_cycles_before_backoff", in: 1...1000) ?? 3
        let backoff = positiveNumber(t, "backoff_max_s", atMost: 3600) ?? 30
        let kind: Bus.Kind?
        var timeout = 0
        var maxGap = 8
        switch family {
        case .modbusTCP:
            let host = nonEmptyString(t, "host", required: true)
            let port = integer(t, "port", in: 1...65535) ?? 502
            timeout = integer(t, "timeout_ms", in: 1...60000) ?? 500
            maxGap = integer(t, "max_gap", in: 0...125) ?? 8
            kind = host.map { .modbusTCP(host: $0, port: port) }
        case .modbusRTU:
            let device = nonEmptyString(t, "device", required: true)
            // libmodbus takes the rate as a C int; 300 is the slowest and 4 Mbit/s the fastest rate a serial
            // adapter Levee would meet offers.
            let baud = integer(t, "baud", in: 300...4_000_000) ?? 9600
            let parity = choice(t, "parity", RTUSettings.Parity.self) ?? .none
            let dataBits = oneOf(t, "data_bits", [7, 8]) ?? 8
            let stopBits = oneOf(t, "stop_bits", [1, 2]) ?? 1
            let gap = positiveNumber(t, "frame_gap_ms", atMost: 1000)
            timeout = integer(t, "timeout_ms", in: 1...60000) ?? 300
            maxGap = integer(t, "max_gap", in: 0...125) ?? 8
            kind = device.map {
                .modbusRTU(
                    RTUSettings(
                        device: $0, baud: baud, parity: parity, dataBits: dataBits, stopBits: stopBits,
                        frameGapMs: gap
                    )
                )
            }
        case .gpio:
            kind = nonEmptyString(t, "chip", required: true).map { .gpio(chip: $0) }
        }
        let bus = kind.map {
            Bus(
                id: id, kind: $0, timeoutMs: timeout, maxGap: maxGap, failCyclesBeforeBackoff: failCycles,
                backoffMaxSeconds: backoff
            )
        }
        return DefinedBus(id: id, bus: bus, family: family)
    }

    /// An integer that must be one of a few values, such as `data_bits` 7 or 8.
    mutating func oneOf(_ t: ConfigTable, _ key: String, _ allowed: [Int]) -> Int? {
        // Any integer is safe to compare; the message below names the values allowed.
        guard let n = integer(t, key, in: Int.min...Int.max) else { return nil }
        guard allowed.contains(n) else {
            let list = allowed.map(String.init)
            let spelled = list.count == 2 ? "\(list[0]) or \(list[1])" : "one of \(list.joined(separator: ", "))"
            report(t.path.appending(key), "\(n) must be \(spelled)")
            return nil
        }
        return n
    }
}
