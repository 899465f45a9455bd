import Foundation
import Glibc
import LeveeTestSupport
import Synchronization
import Testing

@testable import Notify

/// PDU encoding and decoding as values, with vectors worked by hand and by the fake modem's own Python codec.
struct SMSPDUTests {
    @Test func aShortChineseMessageIsOneUCS2Submit() {
        let submits = SMSPDU.submits(to: "+8613800000001", text: "收到", reference: 1)
        #expect(submits == [SMSPDU.Submit(hex: "0011000D91683108000000F10008AA0465365230", tpduLength: 19)])
    }

    @Test func aLongMessageIsSplitIntoConcatenatedParts() {
        let text = String(repeating: "报", count: 150)
        let submits = SMSPDU.submits(to: "13800000001", text: text, reference: 7)
        #expect(submits.count == 3)
        // First octet 51 (user-data header), national address 0B 81, header 05 00 03 <ref> <total> <seq>.
        #expect(submits[0].hex.hasPrefix("0051000B813108000000F10008AA"))
        #expect(submits[0].hex.contains("0500030703" + "01"))
        #expect(submits[2].hex.contains("0500030703" + "03"))
        #expect(submits.allSatisfy { $0.tpduLength <= 140 + 14 })
    }

    @Test func aSurrogatePairIsNeverSplit() {
        let text = String(repeating: "a", count: 66) + "😀" + String(repeating: "b", count: 10)
        let submits = SMSPDU.submits(to: "1", text: text, reference: 1)
        #expect(submits.count == 2)
        // The first part stops before the emoji: 66 units, 132 octets plus the 6-octet header.
        #expect(submits[0].hex.contains("8A050003010201"))
    }

    @Test func aUCS2ReplyIsRead() {
        let d = SMSPDU.deliver(hex: "00040D91683108000000F10008622111700000000A65365230002000310032")
        #expect(d == SMSPDU.Deliver(sender: "+8613800000001", text: "收到 12"))
    }

    @Test func aGSM7BitReplyIsRead() {
        let d = SMSPDU.deliver(hex: "00040B813108000000F100006221117000000004" + "31504C06")
        #expect(d == SMSPDU.Deliver(sender: "13800000001", text: "1 12"))
    }

    @Test func garbageIsNotAMessage() {
        #expect(SMSPDU.deliver(hex: "") == nil)
        #expect(SMSPDU.deliver(hex: "0004") == nil)
        #expect(SMSPDU.deliver(hex: "zz") == nil)
    }

    @Test(
        arguments: [
            ("收到 12", 12), ("收到12", 12), ("1 12", 12), ("1#7", 7), ("ok 3", 3), (" 收到，5 ", 5),
            ("112", nil), ("收到", nil), ("1", nil), ("收到 1234", nil), ("hello", nil), ("1 0", nil),
        ] as [(String, Int?)])
    func repliesAreRead(text: String, number: Int?) {
        #expect(ReplyParser.incident(in: text) == number)
    }

    @Test func phoneNumbersMatchWithOrWithoutTheCountryCode() {
        #expect(ReplyParser.samePhone("+8613800000001", "13800000001"))
        #expect(ReplyParser.samePhone("8613800000001", "+8613800000001"))
        #expect(!ReplyParser.samePhone("+8613800000001", "+8613800000002"))
        #expect(!ReplyParser.samePhone("", ""))
    }
}

/// The modem channel against scripts/peers/fake_modem.py on a pseudo-terminal, which answers as a modem does.
struct SMSModemTests {
    final class FakeModem: Sendable {
        let process: ChildProcess
        let device: String
        let control: String
        let dir: ScratchFolder

        init() async throws {
            dir = try ScratchFolder()
            control = dir.file("control")
            FileManager.default.createFile(atPath: control, contents: nil)
            process = try ChildProcess(
                try TestTools.python(), [TestTools.file("scripts/peers/fake_modem.py"), "--control", control],
                captureOutput: true)
            let ready = await process.line { $0.hasPrefix("ready /dev/") }
            device = String(try #require(ready, "the fake modem did not start: \(process.output)").dropFirst(6))
        }

        /// Tells the fake to change ("network none", "sms +86138... 收到 1"...) and waits until it has.
        func say(_ line: String) async throws {
            let before = process.output.filter { $0 == "applied \(line)" }.count
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: control))
            try h.seekToEnd()
            try h.write(contentsOf: Data((line + "\n").utf8))
            try h.close()
            let applied = await TestWait.until { self.process.output.filter { $0 == "applied \(line)" }.count > before }
            try #require(applied, "the fake modem did not apply \(line)")
        }

        /// The messages the fake was asked to send, decoded by its own codec.
        var sent: [[String: Any]] {
            process.output.filter { $0.hasPrefix("{") }.compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
            }
        }

        deinit {
            process.kill(SIGKILL)
            dir.remove()
        }
    }

    static func message(_ text: String) -> OutgoingMessage {
        OutgoingMessage(
            kind: .alarm, incident: 1, person: "王工", channel: "modem", address: "+8613800000001", title: "t",
            text: text)
    }

    final class Inbox: Sendable {
        let messages = Mutex<[SMSPDU.Deliver]>([])
    }

    static func channel(_ fake: FakeModem, inbox: Inbox = Inbox()) throws -> SMSModemChannel {
        let c = try SMSModemChannel(
            id: "modem", device: fake.device, baud: 115_200, sendTimeout: 10, commandTimeout: 5, pollInterval: 0.2
        ) { d in inbox.messages.withLock { $0.append(d) } }
        c.start()
        return c
    }

    @Test func aLongChineseMessageArrivesWhole() async throws {
        let fake = try await FakeModem()
        let channel = try Self.channel(fake)
        let text = "[宏达化工] #1 紧急报警\n" + String(repeating: "可燃气体二级报警，", count: 12)
        guard case .delivered(let answer) = await channel.send(Self.message(text)) else {
            Issue.record("not delivered: \(fake.process.output)")
            await channel.stop()
            return
        }
        #expect(answer.hasPrefix("+CMGS:"))
        // 123 UTF-16 units: two parts of at most 67.
        _ = await TestWait.until { fake.sent.count == 2 }
        let parts = fake.sent.sorted { ($0["part"] as? Int ?? 0) < ($1["part"] as? Int ?? 0) }
        #expect(parts.count == 2)
        #expect(parts.allSatisfy { $0["to"] as? String == "+8613800000001" && $0["parts"] as? Int == 2 })
        #expect(parts.compactMap { $0["text"] as? String }.joined() == text)
        await channel.stop()
    }

    @Test func modemErrorsAreFailuresWithTheModemsAnswer() async throws {
        let fake = try await FakeModem()
        let channel = try Self.channel(fake)
        try await fake.say("cms 38 1")
        #expect(await channel.send(Self.message("a")) == .failed("AT+CMGS=17: +CMS ERROR: 38"))
        guard case .delivered = await channel.send(Self.message("b")) else {
            Issue.record("a +CMS ERROR stuck")
            await channel.stop()
            return
        }
        try await fake.say("network none")
        guard case .failed(let why) = await channel.send(Self.message("c")) else {
            Issue.record("sent without a network")
            await channel.stop()
            return
        }
        #expect(why.contains("not registered"))
        try await fake.say("network home")
        try await fake.say("sim missing")
        guard case .failed(let sim) = await channel.send(Self.message("d")) else {
            Issue.record("sent without a SIM")
            await channel.stop()
            return
        }
        #expect(sim.contains("+CME ERROR: 10") || sim.contains("not registered"))
        try await fake.say("sim ready")
        guard case .delivered = await channel.send(Self.message("e")) else {
            Issue.record("not delivered once SIM and network were back")
            await channel.stop()
            return
        }
        #expect(fake.sent.compactMap { $0["text"] as? String } == ["b", "e"])
        await channel.stop()
    }

    @Test func aReplyIsReadFromTheSIMAndDeleted() async throws {
        let fake = try await FakeModem()
        let inbox = Inbox()
        let channel = try Self.channel(fake, inbox: inbox)
        try await fake.say("sms +8613800000001 收到 12")
        let arrived = await TestWait.until { !inbox.messages.withLock { $0.isEmpty } }
        #expect(arrived)
        // Deleted after reading: it is handed on once, however often the SIM is read (every 0.2 s here); a
        // second message arriving after it proves several reads have passed.
        try await fake.say("sms 13800000002 1 12")
        _ = await TestWait.until { inbox.messages.withLock { $0.count } >= 2 }
        #expect(
            inbox.messages.withLock { $0 } == [
                SMSPDU.Deliver(sender: "+8613800000001", text: "收到 12"),
                SMSPDU.Deliver(sender: "13800000002", text: "1 12"),
            ])
        await channel.stop()
    }

    @Test func aMissingPortIsAFailureNotACrash() async throws {
        let c = try SMSModemChannel(
            id: "modem", device: "/dev/levee-no-such-modem", baud: 9600, sendTimeout: 2, pollInterval: 0.2
        ) { _ in }
        c.start()
        guard case .failed(let why) = await c.send(Self.message("x")) else {
            Issue.record("delivered through no modem")
            return
        }
        #expect(why.contains("/dev/levee-no-such-modem"))
        await c.stop()
    }
}
