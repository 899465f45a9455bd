/// The simulated GPIO chip's lines and the per-connection edge queues. Used under the plant lock.
///
/// Lines carry physical levels. A normally-closed button idles at 1 (contact closed) and reads 0 when pressed
/// (contact open) or when its wire is cut. Undeclared lines within `lineCount` read 0 and cannot be driven.
final class GPIOChip {
    struct Edge {
        var offset: Int
        var level: UInt8
        var nanoseconds: UInt64
        /// Its entry in `edgeLog`.
        var serial: Int
    }

    /// Events kept per connection between two `EVENTS` calls; the oldest are dropped beyond this.
    static let queueLimit = 1024

    let spec: GPIOSpec
    private(set) var levels: [UInt8]
    private var roles: [Int: GPIOLineSpec.Role] = [:]
    private var pressed = Set<Int>()
    /// Levels forced by the API on input lines (a cut wire, a rain contact switched by hand).
    private var forced: [Int: UInt8] = [:]
    private var queues: [Int: [Edge]] = [:]
    private var nextConnection = 1
    private var time: Double = 0
    /// Every edge with when it happened and when a client first collected it, for benchmarks.
    private(set) var edgeLog = GPIOEdgeLog()

    init(spec: GPIOSpec) {
        self.spec = spec
        levels = [UInt8](repeating: 0, count: spec.lineCount)
        for line in spec.lines { roles[line.offset] = line.role }
        for line in spec.lines {
            if case .output(let initial) = line.role { levels[line.offset] = UInt8(initial) }
        }
        recomputeInputs(notify: false)
    }

    func role(_ offset: Int) -> GPIOLineSpec.Role? { roles[offset] }

    func level(_ offset: Int) -> Int? {
        levels.indices.contains(offset) ? Int(levels[offset]) : nil
    }

    func isValid(_ offset: Int) -> Bool { levels.indices.contains(offset) }

    // MARK: Plant side

    func tick(t: Double) {
        time = t
        recomputeInputs(notify: true)
    }

    func press(_ offset: Int, _ down: Bool) {
        if down { pressed.insert(offset) } else { pressed.remove(offset) }
        recomputeInputs(notify: true)
    }

    /// Forces an input line to `level`, or returns it to its model with nil. On an output line, drives it.
    func force(_ offset: Int, _ level: Int?) {
        if case .output = roles[offset] {
            if let level { set(offset, UInt8(level)) }
            return
        }
        forced[offset] = level.map { UInt8($0) }
        recomputeInputs(notify: true)
    }

    private func recomputeInputs(notify: Bool) {
        for (offset, role) in roles {
            let natural: UInt8
            switch role {
            case .output: continue
            case .button(let nc):
                natural = pressed.contains(offset) == nc ? 0 : 1
            case .rain(let raining, let pattern, let repeatSeconds):
                var level: UInt8 = raining ? 1 : 0
                let t = repeatSeconds.map { time.truncatingRemainder(dividingBy: $0) } ?? time
                if let step = pattern.last(where: { $0.t <= t }) { level = step.value != 0 ? 1 : 0 }
                natural = level
            }
            let level = forced[offset] ?? natural
            if notify { set(offset, level) } else { levels[offset] = level }
        }
    }

    private func set(_ offset: Int, _ level: UInt8) {
        guard levels[offset] != level else { return }
        levels[offset] = level
        let serial = edgeLog.changed(line: offset, level: level)
        let edge = Edge(offset: offset, level: level, nanoseconds: POSIX.monotonicNanoseconds(), serial: serial)
        for id in queues.keys {
            queues[id]!.append(edge)
            if queues[id]!.count > Self.queueLimit { queues[id]!.removeFirst(queues[id]!.count - Self.queueLimit) }
        }
    }

    // MARK: Protocol side

    /// Registers a client connection; its edge queue starts empty now.
    func connect() -> Int {
        let id = nextConnection
        nextConnection += 1
        queues[id] = []
        return id
    }

    func disconnect(_ id: Int) { queues[id] = nil }

    /// Executes one protocol line and returns the reply line (without the newline).
    func command(_ line: String, connection: Int) -> String {
        let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let verb = words.first else { return "ERR empty command" }
        let args = Array(words.dropFirst())
        func offset(_ text: String) -> Result<Int, GPIOProtocolError> {
            guard let n = Int(text) else { return .failure(GPIOProtocolError("bad offset \"\(text)\"")) }
            guard isValid(n) else {
                return .failure(GPIOProtocolError("offset \(n) out of range 0...\(levels.count - 1)"))
            }
            return .success(n)
        }
        switch verb {
        case "INFO":
            guard args.isEmpty else { return "ERR INFO takes no arguments" }
            return "OK \(spec.chipName) \(levels.count)"
        case "READ":
            guard !args.isEmpty else { return "ERR READ needs at least one offset" }
            var values: [String] = []
            for a in args {
                switch offset(a) {
                case .success(let n): values.append(String(levels[n]))
                case .failure(let e): return "ERR \(e.reason)"
                }
            }
            return "OK " + values.joined(separator: " ")
        case "SET":
            guard args.count == 2 else { return "ERR SET needs <offset> <0|1>" }
            let n: Int
            switch offset(args[0]) {
            case .success(let v): n = v
            case .failure(let e): return "ERR \(e.reason)"
            }
            guard args[1] == "0" || args[1] == "1" else { return "ERR level \"\(args[1])\" must be 0 or 1" }
            guard case .output = roles[n] else { return "ERR line \(n) is not an output" }
            set(n, args[1] == "1" ? 1 : 0)
            return "OK"
        case "EVENTS":
            guard args.isEmpty else { return "ERR EVENTS takes no arguments" }
            let events = queues[connection] ?? []
            queues[connection] = []
            if !events.isEmpty { edgeLog.delivered(events.map(\.serial)) }
            return (["OK"] + events.map { "\($0.offset):\($0.level):\($0.nanoseconds)" }).joined(separator: " ")
        default:
            return "ERR unknown command \"\(verb)\""
        }
    }
}

struct GPIOProtocolError: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}
