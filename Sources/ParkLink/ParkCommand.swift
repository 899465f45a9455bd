import Digest
import Foundation

/// A command from a park to one of its plants (一键启闭), signed with the key that park and plant share.
///
/// The signature is HMAC-SHA256 over `canonicalBytes`, a byte string in which every field has exactly one
/// spelling and its own length, so that no two commands share one (docs/mqtt.md, "Signing").
public struct ParkCommand: Sendable, Hashable {
    public enum Operation: String, Sendable, Hashable, CaseIterable, Codable {
        /// Trip a plan (nil: the plant-wide shutoff) on the real equipment.
        case shutoff
        /// A verification drill (验证演练): `live` true runs the plan on the real equipment, false is tabletop.
        case drill
        /// Report readiness for a drill; commands nothing.
        case drillCheck = "drill-check"
    }

    public var version: Int
    /// The nonce: unique per command (a UUID), remembered by the plant for the time window.
    public var id: String
    /// The sending park's site id.
    public var park: String
    /// The target plant's site id.
    public var plant: String
    /// Kept as sent, so that a refusal can name an op this plant does not know.
    public var op: String
    /// A response plan; nil for the plant-wide shutoff.
    public var plan: String?
    /// For `drill` only, and required there.
    public var live: Bool?
    public var reason: String
    /// The park operator, as the plant's journal will name them.
    public var user: String
    public var issuedAt: Date

    public init(
        id: String = UUID().uuidString.lowercased(), park: String, plant: String, operation: Operation,
        plan: String? = nil, live: Bool? = nil, reason: String, user: String, issuedAt: Date
    ) {
        self.init(
            id: id, park: park, plant: plant, op: operation.rawValue, plan: plan, live: live, reason: reason,
            user: user, issuedAt: issuedAt)
    }

    init(
        version: Int = ParkJSON.version, id: String, park: String, plant: String, op: String, plan: String?,
        live: Bool?, reason: String, user: String, issuedAt: Date
    ) {
        self.version = version
        self.id = id
        self.park = park
        self.plant = plant
        self.op = op
        self.plan = plan
        self.live = live
        self.reason = reason
        self.user = user
        // To the millisecond, as it will be on the wire and in the signed string.
        self.issuedAt = ParkTime.date(milliseconds: ParkTime.milliseconds(issuedAt))
    }

    public var operation: Operation? { Operation(rawValue: op) }

    // MARK: Signing

    /// The first line of the signed string: names what is signed, so that a code made for anything else (another
    /// message kind, another version) can never pass for a command.
    public static let signingDomain = "levee-park-command"

    /// The bytes the signature covers:
    ///
    ///     levee-park-command LF
    ///     then for each of v, id, park, plant, op, plan, live, reason, user, issuedAt in this order:
    ///       name "=" "-" LF                                  when absent (plan, live)
    ///       name "=" <UTF-8 byte count, decimal> ":" <UTF-8 bytes> LF   otherwise
    ///
    /// `v` is `1`, `live` is `true` or `false`, `issuedAt` is the `ParkTime` spelling, every string is its UTF-8
    /// bytes after JSON unescaping, without Unicode normalisation.
    public var canonicalBytes: [UInt8] {
        var out = Array((Self.signingDomain + "\n").utf8)
        func field(_ name: String, _ value: String?) {
            out += Array(name.utf8)
            out.append(UInt8(ascii: "="))
            if let value {
                let bytes = Array(value.utf8)
                out += Array("\(bytes.count):".utf8)
                out += bytes
            } else {
                out.append(UInt8(ascii: "-"))
            }
            out.append(UInt8(ascii: "\n"))
        }
        field("v", String(version))
        field("id", id)
        field("park", park)
        field("plant", plant)
        field("op", op)
        field("plan", plan)
        field("live", live.map { $0 ? "true" : "false" })
        field("reason", reason)
        field("user", user)
        field("issuedAt", ParkTime.format(issuedAt))
        return out
    }

    /// The signature: 64 lowercase hex digits.
    public func signature<Key: Collection<UInt8>>(key: Key) -> String {
        HMACSHA256.hex(for: canonicalBytes, key: key)
    }

    /// The JSON payload for the plant's `cmd` topic, signed with `key`.
    public func signed<Key: Collection<UInt8>>(key: Key) -> [UInt8] {
        ParkJSON.encode(Wire(self, sig: signature(key: key)), with: ParkJSON.encoder())
    }

    /// The message to publish: the plant's `cmd` topic, QoS 1, not retained, and not kept across an outage, since
    /// a command held longer than the plant's clock-skew window would be refused as too old anyway.
    public func message<Key: Collection<UInt8>>(topics: ParkTopics, key: Key) -> ParkMessage {
        ParkMessage(
            topic: topics.command(plant), payload: signed(key: key), qos: .atLeastOnce, retain: false, durable: false,
            coalesce: false)
    }

    // MARK: Wire form

    /// The JSON object: the fields and `sig`. Unknown keys are refused, since the signature would not cover them.
    struct Wire: Codable {
        var v: Int
        var id: String
        var park: String
        var plant: String
        var op: String
        var plan: String?
        var live: Bool?
        var reason: String
        var user: String
        var issuedAt: String
        var sig: String

        init(_ c: ParkCommand, sig: String) {
            v = c.version
            id = c.id
            park = c.park
            plant = c.plant
            op = c.op
            plan = c.plan
            live = c.live
            reason = c.reason
            user = c.user
            issuedAt = ParkTime.format(c.issuedAt)
            self.sig = sig
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case v, id, park, plant, op, plan, live, reason, user, issuedAt, sig
        }

        struct AnyKey: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let all = try decoder.container(keyedBy: AnyKey.self)
            let known = Set(CodingKeys.allCases.map(\.rawValue))
            if let unknown = all.allKeys.map(\.stringValue).sorted().first(where: { !known.contains($0) }) {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: [AnyKey(stringValue: unknown)], debugDescription: "is not a command field"))
            }
            let c = try decoder.container(keyedBy: CodingKeys.self)
            v = try c.decode(Int.self, forKey: .v)
            id = try c.decode(String.self, forKey: .id)
            park = try c.decode(String.self, forKey: .park)
            plant = try c.decode(String.self, forKey: .plant)
            op = try c.decode(String.self, forKey: .op)
            plan = try c.decodeIfPresent(String.self, forKey: .plan)
            live = try c.decodeIfPresent(Bool.self, forKey: .live)
            reason = try c.decode(String.self, forKey: .reason)
            user = try c.decode(String.self, forKey: .user)
            issuedAt = try c.decode(String.self, forKey: .issuedAt)
            sig = try c.decode(String.self, forKey: .sig)
        }
    }
}
