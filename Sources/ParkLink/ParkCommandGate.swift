import Digest
import Foundation

/// The plant's door for park commands: checks each one and remembers the ids it let through.
///
/// In order, a command is refused when: it is not a well-formed v1 command (the field is named); it is for
/// another plant; this plant takes no remote commands; the park is not on the allow-list; the signature matches
/// none of that park's keys (forged, altered, or signed with another key); it was issued further from now than
/// the allowed clock skew, in either direction; its id was already seen within that window (a replay); its op is
/// unknown, or not one this park may use here; or its fields do not suit its op.
///
/// An id is remembered until its command would be refused as too old anyway. `rememberedNonces` is for the
/// daemon to save and `restore(_:now:)` to load at start, so that a restart opens no replay window; a daemon that
/// lost the file can call `refuseIssuedBefore(_:)` with its start time instead.
public struct ParkCommandGate: Sendable {
    /// One park allowed to command this plant.
    public struct Park: Sendable, Hashable {
        public var id: String
        /// The current key, then, during a rotation, the one being retired: at most two.
        public var keys: [[UInt8]]
        public var allow: Set<ParkCommand.Operation>

        public init(
            id: String, keys: [[UInt8]], allow: Set<ParkCommand.Operation> = Set(ParkCommand.Operation.allCases)
        ) {
            self.id = id
            self.keys = keys
            self.allow = allow
        }
    }

    /// The shortest key accepted: 16 bytes (128 bits); 32 random bytes are recommended.
    public static let minimumKeyBytes = 16
    public static let maximumKeysPerPark = 2
    /// Limits on the free-text fields, so that a command stays small and an id fits a journal column.
    static let maximumIDLength = 128
    static let maximumTextLength = 1000

    public let plant: String
    public var acceptRemote: Bool
    public let parks: [String: Park]
    /// Seconds a command's `issuedAt` may differ from this plant's clock, either way.
    public let maxSkew: Double
    private var seen: [NonceKey: Date] = [:]
    private var notBefore: Date?

    struct NonceKey: Hashable {
        var park: String
        var id: String
    }

    /// - Throws: `ParkLinkConfigError` naming the park or value at fault.
    public init(plant: String, acceptRemote: Bool, parks: [Park], maxSkew: Double = 30) throws {
        try ParkTopics.validate(plant, as: "plant id")
        guard maxSkew > 0, maxSkew.isFinite else {
            throw ParkLinkConfigError("max clock skew \(maxSkew) s must be above 0")
        }
        var table: [String: Park] = [:]
        for p in parks {
            do { try ParkTopics.validate(p.id, as: "park id") } catch { throw ParkLinkConfigError("\(error)") }
            guard table[p.id] == nil else { throw ParkLinkConfigError("park \"\(p.id)\" is listed twice") }
            guard !p.keys.isEmpty, p.keys.count <= Self.maximumKeysPerPark else {
                throw ParkLinkConfigError(
                    "park \"\(p.id)\" has \(p.keys.count) keys: give one, or two while rotating (new, then old)")
            }
            for (i, key) in p.keys.enumerated() where key.count < Self.minimumKeyBytes {
                throw ParkLinkConfigError(
                    "park \"\(p.id)\": key \(i + 1) has \(key.count) bytes, fewer than \(Self.minimumKeyBytes)")
            }
            table[p.id] = p
        }
        self.plant = plant
        self.acceptRemote = acceptRemote
        self.parks = table
        self.maxSkew = maxSkew
    }

    // MARK: Verification

    /// Checks one command as it came off the `cmd` topic. An accepted command's id is remembered at once.
    public mutating func verify(_ payload: [UInt8], now: Date) -> Result<ParkCommand, ParkCommandRefusal> {
        prune(now: now)
        guard payload.count <= 16 * 1024 else {
            return .failure(ParkCommandRefusal(.malformed(PayloadError(field: nil, "larger than 16 KiB"))))
        }
        let data = Data(payload)
        let decoder = JSONDecoder()
        // The version first, so that a v2 command is refused as such and not for a field v1 does not know.
        let version: Int
        do {
            version = try decoder.decode(ParkJSON.Envelope.self, from: data).v
        } catch {
            return .failure(ParkCommandRefusal(.malformed(PayloadError(error))))
        }
        // JSONDecoder reads 1.0 and 1e0 as the Int 1; the documented form is the integer only (docs/mqtt.md).
        guard Self.topLevelToken("v", in: payload).map(Self.isPlainInteger) == true else {
            return .failure(
                ParkCommandRefusal(
                    .malformed(PayloadError(field: "v", "must be an integer such as 1")), partial: Self.partial(data)))
        }
        guard version == ParkJSON.version else {
            return .failure(ParkCommandRefusal(.unsupportedVersion(version), partial: Self.partial(data)))
        }
        let wire: ParkCommand.Wire
        do {
            wire = try decoder.decode(ParkCommand.Wire.self, from: data)
        } catch {
            return .failure(ParkCommandRefusal(.malformed(PayloadError(error)), partial: Self.partial(data)))
        }
        // What the acknowledgement of a refusal can name: filled in as each part is found sound.
        var answerable = (id: String?.none, park: String?.none)
        func refuse(_ reason: ParkCommandRefusal.Reason) -> Result<ParkCommand, ParkCommandRefusal> {
            .failure(ParkCommandRefusal(reason, id: answerable.id, park: answerable.park, op: wire.op))
        }
        if wire.id.isEmpty || wire.id.utf8.count > Self.maximumIDLength
            || wire.id.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        {
            return refuse(.malformed(PayloadError(field: "id", "must be 1 to 128 printable characters")))
        }
        answerable.id = wire.id
        guard ParkTopics.isValid(wire.park) else {
            return refuse(.malformed(PayloadError(field: "park", "is not a valid site id")))
        }
        answerable.park = wire.park
        guard let issuedAt = ParkTime.parse(wire.issuedAt) else {
            return refuse(
                .malformed(PayloadError(field: "issuedAt", "must be a UTC time like 2024-05-01T08:00:00.123Z")))
        }
        // Lowercase only: one spelling per signature, as documented, so that no two payloads carry the same one.
        guard wire.sig.utf8.count == 64,
            wire.sig.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else {
            return refuse(.malformed(PayloadError(field: "sig", "must be 64 lowercase hex digits")))
        }
        for (name, text) in [("reason", wire.reason), ("user", wire.user)] {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty, text.utf8.count <= Self.maximumTextLength else {
                return refuse(
                    .malformed(PayloadError(field: name, "must be 1 to \(Self.maximumTextLength) bytes, not blank"))
                )
            }
        }
        if let plan = wire.plan, !ParkTopics.isValid(plan) {
            return refuse(.malformed(PayloadError(field: "plan", "is not a plan id")))
        }

        guard wire.plant == plant else { return refuse(.wrongPlant(wire.plant)) }
        guard acceptRemote else { return refuse(.remoteDisabled) }
        guard let park = parks[wire.park] else { return refuse(.unknownPark(wire.park)) }

        let command = ParkCommand(
            version: wire.v, id: wire.id, park: wire.park, plant: wire.plant, op: wire.op, plan: wire.plan,
            live: wire.live, reason: wire.reason, user: wire.user, issuedAt: issuedAt)
        let message = command.canonicalBytes
        // Every key is tried, so that the time taken does not tell which key nearly matched.
        var valid = false
        for key in park.keys where HMACSHA256.isValid(wire.sig, for: message, key: key) { valid = true }
        guard valid else { return refuse(.badSignature) }

        let age = now.timeIntervalSince(issuedAt)
        guard age <= maxSkew else { return refuse(.tooOld(seconds: age)) }
        guard -age <= maxSkew else { return refuse(.fromTheFuture(seconds: -age)) }
        if let notBefore, issuedAt < notBefore { return refuse(.issuedBeforeRestart) }
        let key = NonceKey(park: wire.park, id: wire.id)
        guard seen[key] == nil else { return refuse(.replayed(wire.id)) }
        // Authentic and fresh: remembered whatever follows, so that its replay is refused as a replay.
        seen[key] = issuedAt

        guard let operation = command.operation else { return refuse(.unknownOp(wire.op)) }
        guard park.allow.contains(operation) else {
            return refuse(.notAllowed(op: wire.op, park: wire.park))
        }
        switch operation {
        case .drill where wire.live == nil:
            return refuse(
                .malformed(PayloadError(field: "live", "is required for a drill (true: on the real equipment)")))
        case .shutoff where wire.live != nil, .drillCheck where wire.live != nil:
            return refuse(.malformed(PayloadError(field: "live", "is only for op drill")))
        default:
            return .success(command)
        }
    }

    /// The raw text of the value of `key` in the top-level JSON object `payload`, or nil when there is none.
    ///
    /// A small scanner rather than a decoder, because decoders normalise numbers and the gate must see the token as
    /// sent. It only needs to step over strings and nested values; the payload was already parsed once.
    static func topLevelToken(_ key: String, in payload: [UInt8]) -> String? {
        var i = 0
        var depth = 0
        var expectKey = false
        var pendingKey: [UInt8]?
        let target = Array(key.utf8)
        func skipString() -> [UInt8] {
            // At the opening quote; returns the raw contents and leaves i after the closing quote.
            var out: [UInt8] = []
            i += 1
            while i < payload.count, payload[i] != UInt8(ascii: "\"") {
                if payload[i] == UInt8(ascii: "\\"), i + 1 < payload.count {
                    out.append(payload[i])
                    i += 1
                }
                out.append(payload[i])
                i += 1
            }
            i += 1
            return out
        }
        while i < payload.count {
            let c = payload[i]
            switch c {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                expectKey = depth == 1 && c == UInt8(ascii: "{")
                i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                i += 1
            case UInt8(ascii: ","):
                expectKey = depth == 1
                i += 1
            case UInt8(ascii: "\""):
                let text = skipString()
                if depth == 1 && expectKey {
                    pendingKey = text
                    expectKey = false
                }
            case UInt8(ascii: ":"):
                i += 1
                guard depth == 1, pendingKey == target else {
                    pendingKey = nil
                    continue
                }
                while i < payload.count, [0x20, 0x09, 0x0A, 0x0D].contains(payload[i]) { i += 1 }
                let start = i
                while i < payload.count, !",}] \t\r\n".utf8.contains(payload[i]) { i += 1 }
                return String(decoding: payload[start..<i], as: UTF8.self)
            default:
                i += 1
            }
        }
        return nil
    }

    /// An optional minus sign and decimal digits, without a fraction, an exponent or a leading zero.
    static func isPlainInteger(_ token: String) -> Bool {
        let digits = token.hasPrefix("-") ? token.dropFirst() : Substring(token)
        return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
            && (digits == "0" || !digits.hasPrefix("0"))
    }

    /// What could be read of a command refused as malformed, for its acknowledgement.
    static func partial(_ data: Data) -> (id: String?, park: String?, op: String?) {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            return (nil, nil, nil)
        }
        let id = (object["id"] as? String).flatMap { s -> String? in
            s.isEmpty || s.utf8.count > maximumIDLength
                || s.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) ? nil : s
        }
        let park = (object["park"] as? String).flatMap { ParkTopics.isValid($0) ? $0 : nil }
        return (id, park, object["op"] as? String)
    }

    // MARK: Nonces

    /// The ids of commands let through and still inside the window, for the daemon to save.
    public var rememberedNonces: [RememberedNonce] {
        seen.map { RememberedNonce(park: $0.key.park, id: $0.key.id, issuedAt: $0.value) }
            .sorted { ($0.issuedAt, $0.park, $0.id) < ($1.issuedAt, $1.park, $1.id) }
    }

    /// Takes back saved ids at start; those already outside the window are dropped.
    public mutating func restore(_ nonces: [RememberedNonce], now: Date) {
        for n in nonces { seen[NonceKey(park: n.park, id: n.id)] = n.issuedAt }
        prune(now: now)
    }

    /// Refuses every command issued before `date`: for a start without the saved ids, so that a command seen
    /// before the restart cannot be replayed after it.
    public mutating func refuseIssuedBefore(_ date: Date) {
        notBefore = date
    }

    /// Forgets ids whose commands are now too old to pass anyway.
    public mutating func prune(now: Date) {
        seen = seen.filter { now.timeIntervalSince($0.value) <= maxSkew }
    }
}

/// One command id the gate remembers: Codable, for the daemon's state file.
public struct RememberedNonce: Codable, Sendable, Hashable {
    public var park: String
    public var id: String
    public var issuedAt: Date

    public init(park: String, id: String, issuedAt: Date) {
        self.park = park
        self.id = id
        self.issuedAt = issuedAt
    }

    /// The saved list as JSON (ParkTime dates), and back.
    public static func encode(_ nonces: [RememberedNonce]) -> [UInt8] {
        ParkJSON.encode(nonces, with: ParkJSON.encoder())
    }

    public static func decode(_ bytes: [UInt8]) throws -> [RememberedNonce] {
        try ParkJSON.decoder().decode([RememberedNonce].self, from: Data(bytes))
    }
}

/// A refused command: why, and what could be read of it, to address the acknowledgement.
public struct ParkCommandRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        case malformed(PayloadError)
        case unsupportedVersion(Int)
        case wrongPlant(String)
        case remoteDisabled
        case unknownPark(String)
        case badSignature
        case tooOld(seconds: Double)
        case fromTheFuture(seconds: Double)
        /// Issued before the daemon started without its saved ids (`refuseIssuedBefore`).
        case issuedBeforeRestart
        case replayed(String)
        case unknownOp(String)
        case notAllowed(op: String, park: String)

        /// A stable word for the acknowledgement's `reason` and for tests and metrics.
        public var code: String {
            switch self {
            case .malformed: "malformed"
            case .unsupportedVersion: "unsupported-version"
            case .wrongPlant: "wrong-plant"
            case .remoteDisabled: "remote-disabled"
            case .unknownPark: "unknown-park"
            case .badSignature: "bad-signature"
            case .tooOld, .issuedBeforeRestart: "too-old"
            case .fromTheFuture: "from-the-future"
            case .replayed: "replayed"
            case .unknownOp: "unknown-op"
            case .notAllowed: "not-allowed"
            }
        }
    }

    public var reason: Reason
    public var id: String?
    public var park: String?
    public var op: String?

    init(_ reason: Reason, id: String? = nil, park: String? = nil, op: String? = nil) {
        self.reason = reason
        self.id = id
        self.park = park
        self.op = op
    }

    init(_ reason: Reason, partial: (id: String?, park: String?, op: String?)) {
        self.init(reason, id: partial.id, park: partial.park, op: partial.op)
    }

    public var description: String {
        switch reason {
        case .malformed(let e): "malformed command: \(e)"
        case .unsupportedVersion(let v): "field \"v\": command version \(v) is not supported (this plant knows 1)"
        case .wrongPlant(let p): "command is for plant \"\(p)\", not this one"
        case .remoteDisabled: "this plant takes no remote commands"
        case .unknownPark(let p): "park \"\(p)\" is not allowed to command this plant"
        case .badSignature: "signature does not match: forged, altered, or signed with another key"
        case .tooOld(let s): String(format: "issued %.1f s ago, outside the allowed clock skew", s)
        case .fromTheFuture(let s): String(format: "issued %.1f s in the future, outside the allowed clock skew", s)
        case .issuedBeforeRestart: "issued before this plant restarted without its record of seen commands"
        case .replayed(let id): "command \"\(id)\" was already received: a replay"
        case .unknownOp(let op): "unknown op \"\(op)\""
        case .notAllowed(let op, let park): "park \"\(park)\" may not \(op) this plant"
        }
    }
}

/// A mistake in what the daemon configured ParkLink with.
public struct ParkLinkConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
