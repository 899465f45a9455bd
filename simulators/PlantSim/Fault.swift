import ModbusWire

/// A fault injected into one device, from the scenario, the library API or the control socket.
public enum Fault: Sendable, Hashable, CustomStringConvertible {
    /// No reply at all: the request is received (and counted) but never answered.
    case dead
    /// Every reply comes this many milliseconds later than it otherwise would.
    case slow(delayMs: Int)
    /// Every request is answered with this exception and not executed.
    case exception(ModbusExceptionCode)
    /// A valve or pump ignores commands (a seized actuator, a starter with no power to the coil).
    case stuck
    /// A valve travelling through `percent` stops there and stays, both limits off (jammed by debris).
    case halfway(percent: Double)
    /// The sensor's reading stops changing.
    case frozen
    /// The sensor reads `value` (engineering units) for `signal`, or for its main signal when nil.
    case outOfRange(value: Double, signal: String?)
    /// Every open connection on the device's TCP port is closed now; with a duration, new connections are
    /// refused (the listener is closed) for that long. An action, not a lasting state of the device.
    case drop
    /// The actuator's selector is switched to local: remote commands are accepted on the wire and ignored.
    case local
    /// The selector is switched to remote.
    case remote

    /// The scenario and control-socket spelling; one fault of each kind can be active on a device.
    public var kind: String {
        switch self {
        case .dead: "dead"
        case .slow: "slow"
        case .exception: "exception"
        case .stuck: "stuck"
        case .halfway: "halfway"
        case .frozen: "frozen"
        case .outOfRange: "out-of-range"
        case .drop: "drop"
        case .local: "local"
        case .remote: "remote"
        }
    }

    public static let kinds = [
        "dead", "slow", "exception", "stuck", "halfway", "frozen", "out-of-range", "drop", "local", "remote",
    ]

    /// Parameter keys each kind takes (besides `duration_s`, which every kind takes).
    static func parameterKeys(kind: String) -> [String] {
        switch kind {
        case "slow": ["delay_ms"]
        case "exception": ["code"]
        case "halfway": ["percent"]
        case "out-of-range": ["value", "signal"]
        default: []
        }
    }

    public var description: String {
        switch self {
        case .slow(let ms): "slow delay_ms=\(ms)"
        case .exception(let code): "exception code=\(code.rawValue)"
        case .halfway(let p): "halfway percent=\(p)"
        case .outOfRange(let value, let signal): "out-of-range value=\(value)" + (signal.map { " signal=\($0)" } ?? "")
        default: kind
        }
    }

    /// Builds a fault from its kind and `key=value` parameters (all given as text, as the control socket sends
    /// them). Unknown keys are errors, so a typo does not silently inject a different fault.
    /// - Throws: `FaultParseError` naming the kind or key at fault.
    public static func parse(kind: String, parameters: [String: String]) throws(FaultParseError) -> Fault {
        guard kinds.contains(kind) else {
            throw FaultParseError("unknown fault kind \"\(kind)\"" + suggestion(kind, kinds))
        }
        let allowed = parameterKeys(kind: kind) + ["duration_s"]
        for key in parameters.keys.sorted() where !allowed.contains(key) {
            throw FaultParseError("fault \"\(kind)\" takes no key \"\(key)\"" + suggestion(key, allowed))
        }
        func number(_ key: String, default value: Double? = nil) throws(FaultParseError) -> Double {
            guard let text = parameters[key] else {
                if let value { return value }
                throw FaultParseError("fault \"\(kind)\" needs \(key)")
            }
            guard let v = Double(text), v.isFinite else {
                throw FaultParseError("fault \"\(kind)\": \(key) \"\(text)\" is not a number")
            }
            return v
        }
        switch kind {
        case "dead": return .dead
        case "slow":
            let ms = try number("delay_ms")
            guard ms >= 0, ms <= 600_000 else {
                throw FaultParseError("fault \"slow\": delay_ms \(ms) outside 0...600000")
            }
            return .slow(delayMs: Int(ms))
        case "exception":
            let code = try number("code", default: 4)
            guard let byte = UInt8(exactly: code), let ex = ModbusExceptionCode(rawValue: byte) else {
                throw FaultParseError(
                    "fault \"exception\": code \(code) is not a Modbus exception code (1-6, 8, 10, 11)")
            }
            return .exception(ex)
        case "stuck": return .stuck
        case "halfway":
            let p = try number("percent", default: 50)
            guard p > 0, p < 100 else { throw FaultParseError("fault \"halfway\": percent \(p) outside 0 < p < 100") }
            return .halfway(percent: p)
        case "frozen": return .frozen
        case "out-of-range": return .outOfRange(value: try number("value"), signal: parameters["signal"])
        case "drop": return .drop
        case "local": return .local
        default: return .remote
        }
    }
}

public struct FaultParseError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// " (did you mean "x"?)" when a known word is close to `word`, else "".
func suggestion(_ word: String, _ known: [String]) -> String {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var current = [i + 1]
            for (j, cb) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
    let w = Array(word)
    let best = known.map { ($0, distance(w, Array($0))) }.min { $0.1 < $1.1 }
    guard let best, best.1 <= max(2, word.count / 3) else { return "" }
    return " (did you mean \"\(best.0)\"?)"
}
