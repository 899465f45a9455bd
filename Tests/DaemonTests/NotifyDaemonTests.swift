import ControlAPI
import Foundation
import LeveeTestSupport
import Testing

/// levee-notify end to end: the real leveed and levee-notify against the simulated plant, a fake modem on a
/// pseudo-terminal and a fake DingTalk robot (scripts/peers). A gas level-2 trip reaches the first rung by SMS,
/// nobody answers so the second rung is told, a reply SMS acknowledges the alarm in leveed as the person who sent it,
/// and a robot that was down when the alarm came gets the message once it is back.
@Suite(.serialized)
struct NotifyDaemonTests {
    typealias H = DaemonHarness

    final class Fakes: @unchecked Sendable {
        // @unchecked: set once in init, then only read; `robot` is replaced only by the test's own task.
        let modem: ChildProcess
        let device: String
        let control: String
        let robotPort = TestPorts.next()
        var robot: ChildProcess?

        init(directory: String) async throws {
            control = directory + "/modem-control"
            FileManager.default.createFile(atPath: control, contents: nil)
            modem = try ChildProcess(
                try TestTools.python(), [TestTools.file("scripts/peers/fake_modem.py"), "--control", control],
                captureOutput: true)
            let ready = await modem.line { $0.hasPrefix("ready /dev/") }
            device = String(try #require(ready, "the fake modem did not start: \(modem.output)").dropFirst(6))
        }

        func startRobot() async throws {
            let p = try ChildProcess(
                try TestTools.python(),
                [TestTools.file("scripts/peers/fake_notify_http.py"), "--port", "\(robotPort)", "--kind", "dingtalk"],
                captureOutput: true)
            robot = p
            try #require(await p.line { $0 == "ready \(robotPort)" } != nil, "the fake robot did not start")
        }

        func say(_ line: String) async throws {
            let before = modem.output.filter { $0 == "applied \(line)" }.count
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: control))
            try h.seekToEnd()
            try h.write(contentsOf: Data((line + "\n").utf8))
            try h.close()
            try #require(await TestWait.until { self.modem.output.filter { $0 == "applied \(line)" }.count > before })
        }

        static func decoded(_ lines: [String]) -> [[String: Any]] {
            lines.filter { $0.hasPrefix("{") }.compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
            }
        }

        /// Whole SMS texts per recipient, parts joined; a message whose parts have not all arrived is left out.
        var sms: [(to: String, text: String)] {
            var byRef: [String: [(Int, String)]] = [:]
            var order: [String] = []
            var expected: [String: Int] = [:]
            for (i, m) in Self.decoded(modem.output).enumerated() {
                let to = m["to"] as? String ?? ""
                let key = "\(to)|\((m["ref"] as? Int).map(String.init) ?? "single-\(i)")"
                if byRef[key] == nil { order.append(key) }
                expected[key] = m["parts"] as? Int ?? 1
                byRef[key, default: []].append((m["part"] as? Int ?? 1, m["text"] as? String ?? ""))
            }
            return order.filter { byRef[$0]!.count == expected[$0] }.map { key in
                (String(key.split(separator: "|")[0]), byRef[key]!.sorted { $0.0 < $1.0 }.map(\.1).joined())
            }
        }

        var robotTexts: [String] {
            Self.decoded(robot?.output ?? []).compactMap {
                (($0["body"] as? [String: Any])?["text"] as? [String: Any])?["content"] as? String
            }
        }

        deinit {
            modem.kill(SIGKILL)
            robot?.kill(SIGKILL)
        }
    }

    static func notifyConfig(device: String, robotURLFile: String, outbox: String) -> String {
        """

        [[alarms]]
        point = "gas-a1.concentration"
        preset = "combustible"
        group = "tank-farm-A"

        [notify]
        enabled = true
        outbox = "\(outbox)"
        dashboard_url = "http://127.0.0.1:8080"
        escalate_after_s = 10
        rate_limit = 5
        rate_period_s = 60
        retry_min_s = 1
        retry_max_s = 2

        [[notify.channels]]
        id = "modem"
        type = "sms"
        device = "\(device)"
        send_timeout_s = 10

        [[notify.channels]]
        id = "ding"
        type = "dingtalk"
        url_file = "\(robotURLFile)"
        send_timeout_s = 5

        [[notify.rules]]
        id = "critical"
        priorities = ["critical"]
        last_rung = 2

        [[notify.oncall]]
        name = "王工"
        rung = 1
        phone = "+8613800000001"
        channels = ["modem", "ding"]

        [[notify.oncall]]
        name = "shift-leader"
        rung = 2
        phone = "+8613800000002"
        channels = ["modem"]
        language = "en"

        """
    }

    @Test func aGasTripReachesTheLadderAndAReplyAcknowledgesIt() async throws {
        let h = try H()
        defer { h.stop() }
        let fakes = try await Fakes(directory: h.directory)
        let urlFile = h.directory + "/ding-url"
        try "http://127.0.0.1:\(fakes.robotPort)/robot/send?access_token=t0k\n".write(
            toFile: urlFile, atomically: true, encoding: .utf8)
        try h.write(
            config: H.config(
                port: h.plant.tcpPort(server: "plc")!, withH2S: false,
                extra: H.beacon
                    + Self.notifyConfig(
                        device: fakes.device, robotURLFile: urlFile, outbox: h.directory + "/notify.sqlite")))
        try h.start()
        #expect(await H.wait { try h.status()?.summary.hasPrefix("3/3 devices answering") == true }, "\(h.log)")
        try h.startNotify(["--tick-seconds", "0.2", "--sms-poll-seconds", "0.3"])

        // The robot is down when the alarm comes.
        try h.plant.setValue(55, device: "gas-a1", signal: "concentration")
        #expect(await H.wait { try h.alarm("gas-a1.concentration.HH")?.state == "unacknowledged" }, "\(h.log)")

        // The first rung by SMS: the alarm, the device, the value and how to acknowledge.
        #expect(await TestWait.until(30) { fakes.sms.contains { $0.to == "+8613800000001" } }, "\(h.log)")
        let first = try #require(fakes.sms.first { $0.to == "+8613800000001" })
        // The issue's figure, from the alarm's time in leveed to the fake modem's receipt (printed, not asserted:
        // a loaded test machine says nothing about a plant's box).
        if let since = try h.alarm("gas-a1.concentration.HH")?.since,
            let at = Fakes.decoded(fakes.modem.output).first(where: { $0["to"] as? String == "+8613800000001" })?["at"]
                as? Double
        {
            print(
                "notify latency: alarm to first rung's SMS \(String(format: "%.2f", at - since.timeIntervalSince1970)) s"
            )
        }
        #expect(first.text.contains("[测试化工厂] #1 紧急报警"), "\(first.text)")
        #expect(first.text.contains("罐区A可燃气体探测器"))
        #expect(first.text.contains("%LEL (正常)"))
        #expect(first.text.contains("回复“收到 1”或“1 1”确认"))
        #expect(first.text.contains("http://127.0.0.1:8080/#/alarms"))
        #expect(!fakes.sms.contains { $0.to == "+8613800000002" }, "the second rung is told only on escalation")

        // The robot comes back: the message that failed is retried and delivered.
        try await fakes.startRobot()
        #expect(await TestWait.until(30) { fakes.robotTexts.contains { $0.contains("#1 紧急报警") } }, "\(h.log)")

        // Nobody acknowledges within 10 s: the second rung, in English.
        #expect(await TestWait.until(40) { fakes.sms.contains { $0.to == "+8613800000002" } }, "\(h.log)")
        let second = try #require(fakes.sms.first { $0.to == "+8613800000002" })
        #expect(second.text.contains("Escalated to rung 2"), "\(second.text)")

        // 王工 replies; leveed records the acknowledgement as his.
        try await fakes.say("sms +8613800000001 收到 1")
        #expect(await H.wait(30) { try h.alarm("gas-a1.concentration.HH")?.state == "acknowledged" }, "\(h.log)")
        let acked = try #require(try h.alarm("gas-a1.concentration.HH"))
        #expect(acked.user == "王工")
        #expect(acked.reason?.contains("#1") == true && acked.reason?.contains("modem +8613800000001") == true)
        // Visible to leveectl too.
        let socket = h.socketPath
        let (code, text) = try await OffPool.run { try H.leveectl(["alarms", "--socket", socket]) }
        let row = text.split(separator: "\n").first { $0.contains("gas-a1.concentration.HH") }
        #expect(code == 0 && row?.contains(" acknowledged ") == true, "\(text)")

        // The duty view: who acknowledged what, through which channel; and a test message, sent by levee-notify.
        // leveectl runs off the cooperative pool: each run blocks its thread until the child exits.
        let config = h.configPath
        func leveectl(_ arguments: [String]) async throws -> (Int32, String) {
            try await OffPool.run { try H.leveectl(arguments + ["--config", config]) }
        }
        var statusText = ""
        for _ in 0..<100 {
            statusText = try await leveectl(["notify", "status"]).1
            if statusText.contains("#1  王工  via modem +8613800000001") { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(statusText.contains("#1  王工  via modem +8613800000001"), "\(statusText)")
        #expect(statusText.contains("rung 1  王工  modem, ding") && statusText.contains("rung 2  shift-leader  modem"))
        #expect(statusText.contains("未确认 Unacknowledged:\n  none"), "\(statusText)")
        let (testCode, testText) = try await leveectl(["notify", "test", "modem", "--person", "shift-leader"])
        #expect(testCode == 0 && testText.contains("test to shift-leader via modem"), "\(testText)")
        #expect(
            await TestWait.until(30) {
                fakes.sms.contains { $0.to == "+8613800000002" && $0.text.contains("Test of channel modem") }
            }, "\(h.log)")
        let (badCode, badText) = try await leveectl(["notify", "test", "pager"])
        #expect(badCode == 1 && badText.contains("no channel \"pager\""), "\(badText)")

        // And in leveed's journal, in his name.
        h.killNotify()
        h.signal(SIGTERM)
        #expect(await h.waitForExit(15) == 0)
        let journal = try await h.journal().filter { $0.kind == "alarm" && $0.source == "gas-a1.concentration.HH" }
        #expect(
            journal.contains { $0.details?.contains("王工") == true && $0.message.contains("acknowledged") }, "\(journal)"
        )
    }
}
