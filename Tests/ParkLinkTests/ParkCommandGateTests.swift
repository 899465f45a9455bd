import Digest
import Foundation
import Testing

@testable import ParkLink

struct ParkCommandGateTests {
    let now = Fixtures.at(100)

    func gate(acceptRemote: Bool = true, keys: [[UInt8]] = [Fixtures.key], allow: Set<ParkCommand.Operation>? = nil)
        -> ParkCommandGate
    {
        try! ParkCommandGate(
            plant: "plant-a", acceptRemote: acceptRemote,
            parks: [
                .init(id: "park-1", keys: keys, allow: allow ?? Set(ParkCommand.Operation.allCases)),
                .init(id: "park-2", keys: [Array("another-parks-key-000".utf8)]),
            ], maxSkew: 30)
    }

    func command(
        id: String = "cmd-1", park: String = "park-1", plant: String = "plant-a", op: ParkCommand.Operation = .shutoff,
        plan: String? = nil, live: Bool? = nil, issuedAt: Date? = nil
    ) -> ParkCommand {
        ParkCommand(
            id: id, park: park, plant: plant, operation: op, plan: plan, live: live, reason: "spill reached the river",
            user: "zhang", issuedAt: issuedAt ?? now.addingTimeInterval(-1))
    }

    /// The JSON object of a signed command, to alter before sending.
    func object(_ c: ParkCommand, key: [UInt8] = Fixtures.key) -> [String: Any] {
        try! JSONSerialization.jsonObject(with: Data(c.signed(key: key))) as! [String: Any]
    }

    func bytes(_ o: [String: Any]) -> [UInt8] { Array(try! JSONSerialization.data(withJSONObject: o)) }

    func refusal(_ r: Result<ParkCommand, ParkCommandRefusal>) -> ParkCommandRefusal? {
        if case .failure(let f) = r { return f }
        return nil
    }

    // MARK: Signing

    @Test func theCanonicalStringAndSignatureMatchAnIndependentImplementation() {
        // Computed with Python's hmac module from the rules in docs/mqtt.md.
        let c = ParkCommand(
            id: "6f1c0d7e-4a4b-4c55-9d1e-0c1f5b1e2a3b", park: "park-1", plant: "plant-a", operation: .shutoff,
            reason: "泄漏: tank 3\nline two", user: "li", issuedAt: Fixtures.t0)
        let expected =
            "levee-park-command\nv=1:1\nid=36:6f1c0d7e-4a4b-4c55-9d1e-0c1f5b1e2a3b\npark=6:park-1\nplant=7:plant-a\n"
            + "op=7:shutoff\nplan=-\nlive=-\nreason=23:泄漏: tank 3\nline two\nuser=2:li\n"
            + "issuedAt=24:2024-05-01T08:00:00.000Z\n"
        #expect(c.canonicalBytes == Array(expected.utf8))
        #expect(c.signature(key: Fixtures.key) == "a31c7f900a6b89c68be0779adaf423682c8ab41bb6ed8da63a348be41c0bc652")
    }

    @Test func absentAndEmptyAndMovedBytesSignDifferently() {
        let a = command(plan: nil)
        var b = a
        b.plan = ""
        #expect(a.canonicalBytes != b.canonicalBytes)
        // A byte moved from one field to the next changes the lengths.
        var c = a
        c.reason = "spill reached the rive"
        c.user = "rzhang"
        #expect(a.canonicalBytes != c.canonicalBytes)
        var d = command(op: .drill, live: true)
        let e = d
        d.live = false
        #expect(d.canonicalBytes != e.canonicalBytes)
    }

    // MARK: Acceptance

    @Test func aValidSignedCommandIsAccepted() throws {
        var g = gate()
        let c = command(plan: "group:tank-farm")
        let accepted = try g.verify(c.signed(key: Fixtures.key), now: now).get()
        #expect(accepted == c)
        #expect(accepted.operation == .shutoff)
        #expect(g.rememberedNonces.map(\.id) == ["cmd-1"])
    }

    @Test func eachOpIsAcceptedWithItsFields() throws {
        var g = gate()
        #expect(
            try g.verify(command(id: "a", op: .drill, live: true).signed(key: Fixtures.key), now: now).get().live
                == true)
        #expect(
            try g.verify(command(id: "b", op: .drill, live: false).signed(key: Fixtures.key), now: now).get().live
                == false)
        #expect(
            try g.verify(command(id: "c", op: .drillCheck).signed(key: Fixtures.key), now: now).get().op
                == "drill-check")
    }

    @Test func duringRotationEitherKeyWorks() throws {
        var g = gate(keys: [Fixtures.key, Fixtures.oldKey])
        _ = try g.verify(command(id: "new").signed(key: Fixtures.key), now: now).get()
        _ = try g.verify(command(id: "old").signed(key: Fixtures.oldKey), now: now).get()
        // Once rotation is over, the old key is refused.
        var after = gate(keys: [Fixtures.key])
        #expect(
            refusal(after.verify(command(id: "old2").signed(key: Fixtures.oldKey), now: now))?.reason == .badSignature)
    }

    // MARK: Refusals, one by one

    @Test func aForgedSignatureIsRefused() {
        var g = gate()
        let forged = command().signed(key: Array("an-attackers-guess-0000".utf8))
        let r = refusal(g.verify(forged, now: now))
        #expect(r?.reason == .badSignature)
        #expect(r?.id == "cmd-1" && r?.park == "park-1")
        #expect(g.rememberedNonces.isEmpty)
    }

    @Test(arguments: [
        ("plan", #""group:other""#), ("reason", #""drill""#), ("user", #""wang""#),
        ("issuedAt", #""2024-05-01T08:01:39.500Z""#), ("id", #""cmd-2""#), ("live", "true"), ("op", #""drill-check""#),
    ])
    func aFieldAlteredAfterSigningIsRefused(field: String, json: String) throws {
        var g = gate()
        var o = object(command(op: .drill, plan: "plant-wide", live: false))
        o[field] = try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)
        #expect(refusal(g.verify(bytes(o), now: now))?.reason == .badSignature)
    }

    @Test func theSameIDTwiceIsAReplay() throws {
        var g = gate()
        let signed = command().signed(key: Fixtures.key)
        _ = try g.verify(signed, now: now).get()
        let r = refusal(g.verify(signed, now: now.addingTimeInterval(5)))
        #expect(r?.reason == .replayed("cmd-1"))
        #expect(r?.reason.code == "replayed")
        // After the window the same bytes are too old, not a replay: the id could be forgotten.
        let later = refusal(g.verify(signed, now: now.addingTimeInterval(40)))
        #expect(later?.reason.code == "too-old")
        #expect(g.rememberedNonces.isEmpty)
    }

    @Test func anOldCommandIsRefused() {
        var g = gate()
        let r = refusal(g.verify(command(issuedAt: now.addingTimeInterval(-31)).signed(key: Fixtures.key), now: now))
        #expect(r?.reason == .tooOld(seconds: 31))
        #expect(r?.description.contains("31.0 s ago") == true)
    }

    @Test func aCommandFromTheFutureIsRefused() {
        var g = gate()
        let r = refusal(g.verify(command(issuedAt: now.addingTimeInterval(45)).signed(key: Fixtures.key), now: now))
        #expect(r?.reason == .fromTheFuture(seconds: 45))
        // Within the skew either way is fine.
        #expect(
            (try? g.verify(command(id: "ok", issuedAt: now.addingTimeInterval(29)).signed(key: Fixtures.key), now: now)
                .get()) != nil)
    }

    @Test func anUnlistedParkIsRefused() {
        var g = gate()
        let r = refusal(g.verify(command(park: "park-9").signed(key: Fixtures.key), now: now))
        #expect(r?.reason == .unknownPark("park-9"))
        let ack = r.flatMap { ParkCommandAck($0, plant: "plant-a", at: now) }
        #expect(ack?.reason == "unknown-park" && ack?.result == .refused && ack?.park == "park-9")
    }

    @Test func anotherListedParksKeyDoesNotSignForThisOne() {
        var g = gate()
        let r = refusal(g.verify(command(park: "park-1").signed(key: Array("another-parks-key-000".utf8)), now: now))
        #expect(r?.reason == .badSignature)
    }

    @Test func aCommandForAnotherPlantIsRefused() {
        var g = gate()
        let r = refusal(g.verify(command(plant: "plant-b").signed(key: Fixtures.key), now: now))
        #expect(r?.reason == .wrongPlant("plant-b"))
    }

    @Test func aPlantTakingNoRemoteCommandsRefusesEvenAValidOne() {
        var g = gate(acceptRemote: false)
        let r = refusal(g.verify(command().signed(key: Fixtures.key), now: now))
        #expect(r?.reason == .remoteDisabled)
        #expect(r?.description == "this plant takes no remote commands")
    }

    @Test func anOpThisParkMayNotUseIsRefused() {
        var g = gate(allow: [.drill, .drillCheck])
        let r = refusal(g.verify(command().signed(key: Fixtures.key), now: now))
        #expect(r?.reason == .notAllowed(op: "shutoff", park: "park-1"))
    }

    @Test func anUnknownOpIsRefusedAfterItsSignatureIsChecked() {
        var g = gate()
        var c = command()
        c.op = "open-all"
        let r = refusal(g.verify(c.signed(key: Fixtures.key), now: now))
        #expect(r?.reason == .unknownOp("open-all"))
        // Forged, the same op is a bad signature: the unauthenticated learn nothing about ops.
        #expect(refusal(g.verify(c.signed(key: Fixtures.oldKey), now: now))?.reason == .badSignature)
    }

    @Test(arguments: [
        ("{not json", nil as String?),
        (#"{"v":1}"#, "id"),
        (#"[1,2]"#, nil),
        (#"{"id":"x"}"#, "v"),
    ])
    func malformedJSONIsRefusedNamingTheField(text: String, field: String?) {
        var g = gate()
        let r = refusal(g.verify(Array(text.utf8), now: now))
        guard case .malformed(let e) = r?.reason else {
            Issue.record("\(String(describing: r))")
            return
        }
        #expect(e.field == field)
    }

    @Test func badFieldsAreNamed() {
        var g = gate()
        func field(_ change: (inout [String: Any]) -> Void) -> String? {
            var o = object(command())
            change(&o)
            guard case .malformed(let e) = refusal(g.verify(bytes(o), now: now))?.reason else { return "accepted?" }
            return e.field
        }
        #expect(field { $0["issuedAt"] = "2024-05-01T08:01:39Z" } == "issuedAt")
        #expect(field { $0["issuedAt"] = 1_714_550_499 } == "issuedAt")
        #expect(field { $0["sig"] = "abc" } == "sig")
        #expect(field { $0["reason"] = "  " } == "reason")
        #expect(field { $0["user"] = nil } == "user")
        #expect(field { $0["live"] = "yes" } == "live")
        #expect(field { $0["extra"] = 1 } == "extra")
        #expect(field { $0["park"] = "park/1" } == "park")
        #expect(field { $0["id"] = "" } == "id")
    }

    /// Only the documented spelling passes (docs/mqtt.md): an integer `v` and a lowercase signature. A decoder
    /// reads `1.0` as 1 and hex digits in either case, so the gate checks the text as sent.
    @Test(arguments: [
        (#""v":1"#, #""v":1.0"#, "v"), (#""v":1"#, #""v":1e0"#, "v"), (#""v":1"#, #""v":1.0e0"#, "v"),
        (#""v":1"#, #""v":1.00000"#, "v"),
    ])
    func onlyAnIntegerVersionIsAccepted(original: String, replacement: String, field: String) throws {
        var g = gate()
        let text = String(decoding: command().signed(key: Fixtures.key), as: UTF8.self)
        #expect(text.contains(original))
        let altered = text.replacingOccurrences(of: original, with: replacement)
        guard case .malformed(let e) = refusal(g.verify(Array(altered.utf8), now: now))?.reason else {
            Issue.record("\(altered) was not refused as malformed")
            return
        }
        #expect(e.field == field)
        #expect(g.rememberedNonces.isEmpty)
    }

    @Test func anUppercaseSignatureIsRefusedAndTheLowercaseOneAccepted() throws {
        var g = gate()
        var o = object(command())
        let sig = try #require(o["sig"] as? String)
        o["sig"] = sig.uppercased()
        guard case .malformed(let e) = refusal(g.verify(bytes(o), now: now))?.reason else {
            Issue.record("an uppercase signature was not refused as malformed")
            return
        }
        #expect(e.field == "sig")
        #expect(e.description.contains("lowercase"))
        o["sig"] = sig
        #expect(try g.verify(bytes(o), now: now).get().id == "cmd-1")
    }

    @Test func theVersionTokenIsFoundOnlyAtTheTopLevel() {
        let text = #"{"id":"a \"v\":2","x":{"v":3.5},"v" : 1 ,"sig":"00"}"#
        #expect(ParkCommandGate.topLevelToken("v", in: Array(text.utf8)) == "1")
        #expect(ParkCommandGate.topLevelToken("v", in: Array(#"{"a":[{"v":1}]}"#.utf8)) == nil)
        #expect(ParkCommandGate.isPlainInteger("1") && ParkCommandGate.isPlainInteger("-2"))
        #expect(!ParkCommandGate.isPlainInteger("1.0") && !ParkCommandGate.isPlainInteger("01"))
        #expect(!ParkCommandGate.isPlainInteger("") && !ParkCommandGate.isPlainInteger("\"1\""))
    }

    @Test func aWrongVersionIsRefusedAsSuch() {
        var g = gate()
        var o = object(command())
        o["v"] = 2
        let r = refusal(g.verify(bytes(o), now: now))
        #expect(r?.reason == .unsupportedVersion(2))
        #expect(r?.description.contains("\"v\"") == true)
    }

    @Test func aDrillMustSayWhetherItIsLiveAndOnlyADrillMay() {
        var g = gate()
        guard
            case .malformed(let e) = refusal(
                g.verify(command(id: "d", op: .drill).signed(key: Fixtures.key), now: now))?.reason
        else {
            Issue.record("drill without live accepted")
            return
        }
        #expect(e.field == "live")
        guard
            case .malformed(let e2) = refusal(
                g.verify(command(id: "s", live: true).signed(key: Fixtures.key), now: now))?.reason
        else {
            Issue.record("shutoff with live accepted")
            return
        }
        #expect(e2.field == "live")
    }

    // MARK: Nonces across a restart

    @Test func rememberedIDsSurviveARestart() throws {
        var g = gate()
        let signed = command().signed(key: Fixtures.key)
        _ = try g.verify(signed, now: now).get()
        _ = try g.verify(
            command(id: "cmd-0", issuedAt: now.addingTimeInterval(-29)).signed(key: Fixtures.key), now: now
        ).get()
        let saved = RememberedNonce.encode(g.rememberedNonces)

        // The daemon restarts 10 s later and loads the file.
        var restarted = gate()
        restarted.restore(try RememberedNonce.decode(saved), now: now.addingTimeInterval(10))
        #expect(restarted.rememberedNonces.map(\.id) == ["cmd-1"])  // cmd-0 is out of the window now
        #expect(refusal(restarted.verify(signed, now: now.addingTimeInterval(10)))?.reason == .replayed("cmd-1"))

        // Without the file, the replay would pass...
        var forgetful = gate()
        #expect((try? forgetful.verify(signed, now: now.addingTimeInterval(10)).get()) != nil)
        // ...unless the daemon refuses what was issued before it started.
        var careful = gate()
        careful.refuseIssuedBefore(now.addingTimeInterval(5))
        #expect(refusal(careful.verify(signed, now: now.addingTimeInterval(10)))?.reason == .issuedBeforeRestart)
    }

    @Test func theSavedFormIsPlainJSON() throws {
        let nonces = [RememberedNonce(park: "park-1", id: "cmd-1", issuedAt: Fixtures.t0)]
        #expect(
            String(decoding: RememberedNonce.encode(nonces), as: UTF8.self)
                == #"[{"id":"cmd-1","issuedAt":"2024-05-01T08:00:00.000Z","park":"park-1"}]"#)
        #expect(try RememberedNonce.decode(RememberedNonce.encode(nonces)) == nonces)
    }

    // MARK: Configuration and acknowledgements

    @Test func configurationMistakesAreNamed() {
        func error(_ parks: [ParkCommandGate.Park]) -> String {
            do {
                _ = try ParkCommandGate(plant: "plant-a", acceptRemote: true, parks: parks)
                return "accepted"
            } catch { return "\(error)" }
        }
        #expect(error([.init(id: "p", keys: [Array("short".utf8)])]).contains("key 1 has 5 bytes"))
        #expect(error([.init(id: "p", keys: [])]).contains("park \"p\" has 0 keys"))
        #expect(error([.init(id: "p", keys: [Fixtures.key, Fixtures.key, Fixtures.oldKey])]).contains("3 keys"))
        #expect(error([.init(id: "p", keys: [Fixtures.key]), .init(id: "p", keys: [Fixtures.key])]).contains("twice"))
        #expect(error([.init(id: "p+", keys: [Fixtures.key])]).contains("park id \"p+\""))
    }

    @Test func acknowledgementsForEachOutcome() throws {
        let topics = try ParkTopics()
        let c = command()
        let accepted = ParkCommandAck(c, result: .accepted, at: now)
        let m = accepted.message(topics: topics)
        #expect(m.topic == "levee/plant-a/cmd/ack")
        #expect(m.qos == .atLeastOnce && m.durable && !m.retain && !m.coalesce)
        #expect(m.json["site"] as? String == "plant-a" && m.json["park"] as? String == "park-1")
        let done = ParkCommandAck(c, result: .done, message: "plan plant-wide confirmed in 23.5 s", at: now)
        #expect(done.result == .done)
        // Unreadable garbage has no one to answer.
        var g = gate()
        let r = refusal(g.verify(Array("{".utf8), now: now))!
        #expect(ParkCommandAck(r, plant: "plant-a", at: now) == nil)
        // A readable but malformed command is answered, with the field named.
        var o = object(c)
        o["sig"] = "zz"
        let malformed = refusal(g.verify(bytes(o), now: now))!
        let ack = try #require(ParkCommandAck(malformed, plant: "plant-a", at: now))
        #expect(ack.id == "cmd-1" && ack.reason == "malformed" && ack.message?.contains("sig") == true)
    }

    @Test func theParkPublishesOnThePlantsCommandTopic() throws {
        let m = command().message(topics: try ParkTopics(), key: Fixtures.key)
        #expect(m.topic == "levee/plant-a/cmd")
        #expect(m.qos == .atLeastOnce && !m.retain && !m.durable)
        #expect((m.json["sig"] as? String)?.count == 64)
    }
}
