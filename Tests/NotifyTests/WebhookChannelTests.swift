import Config
import Foundation
import Glibc
import LeveeTestSupport
import Testing

@testable import Notify

/// The robot, webhook and e-mail channels against local fakes (scripts/peers/fake_notify_http.py plays WeCom,
/// DingTalk and a platform, checking the payload and DingTalk's signature as the real services do).
struct WebhookChannelTests {
    /// A running fake and the requests it has printed.
    final class Fake: Sendable {
        let process: ChildProcess
        let port: Int

        init(kind: String, port: Int = TestPorts.next(), _ extra: [String] = []) async throws {
            self.port = port
            process = try ChildProcess(
                try TestTools.python(),
                [TestTools.file("scripts/peers/fake_notify_http.py"), "--port", "\(port)", "--kind", kind] + extra,
                captureOutput: true)
            let ready = await process.line { $0 == "ready \(port)" }
            try #require(ready != nil, "the fake \(kind) did not start: \(process.output)")
        }

        /// The requests received so far, decoded.
        var requests: [[String: Any]] {
            process.output.filter { $0.hasPrefix("{") }.compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
            }
        }

        /// The first request, waited for: the fake prints it before answering, but its line may reach us after the
        /// answer does.
        func firstRequest() async -> [String: Any]? {
            _ = await process.line { $0.hasPrefix("{") }
            return requests.first
        }

        func stop() {
            process.kill(SIGTERM)
        }

        deinit { process.kill(SIGKILL) }
    }

    static let message = OutgoingMessage(
        kind: .alarm, incident: 12, person: "王工", channel: "x", address: "+8613800000001",
        title: "[宏达化工] #12 紧急报警", text: "[宏达化工] #12 紧急报警\n可燃气体二级报警\n回复“收到 12”确认。")

    @Test func theDingTalkSignatureMatchesTheDocumentedAlgorithm() {
        // Python's hmac/base64/quote_plus over the same timestamp and secret, as DingTalk's documentation shows it.
        #expect(
            RobotChannel.dingTalkSign(timestamp: 1_796_608_800_000, secret: "SECtest")
                == "hIJO%2FrQnJDPQofMQT0Wdz%2Bp1g38z3C%2BbLSw57kqFE80%3D")
    }

    @Test func aSignedDingTalkMessageIsAcceptedAndMentionsThePerson() async throws {
        let fake = try await Fake(kind: "dingtalk", ["--secret", "SECabc"])
        defer { fake.stop() }
        let url = try #require(URL(string: "http://127.0.0.1:\(fake.port)/robot/send?access_token=tok1"))
        let channel = RobotChannel(id: "ding", flavour: .dingtalk, url: url, secret: "SECabc", timeout: 10)
        #expect(await channel.send(Self.message) == .delivered(#"{"errcode": 0, "errmsg": "ok"}"#))
        let request = try #require(await fake.firstRequest())
        #expect(request["sign_ok"] as? Bool == true)
        #expect((request["query"] as? [String: String])?["access_token"] == "tok1")
        let body = try #require(request["body"] as? [String: Any])
        #expect(body["msgtype"] as? String == "text")
        #expect((body["text"] as? [String: String])?["content"] == Self.message.text)
        let at = try #require(body["at"] as? [String: Any])
        #expect(at["atMobiles"] as? [String] == ["13800000001"])
        #expect(at["isAtAll"] as? Bool == false)
    }

    @Test func aWrongSecretIsAFailureWithTheRobotsAnswer() async throws {
        let fake = try await Fake(kind: "dingtalk", ["--secret", "SECabc"])
        defer { fake.stop() }
        let url = try #require(URL(string: "http://127.0.0.1:\(fake.port)/robot/send?access_token=tok1"))
        let channel = RobotChannel(id: "ding", flavour: .dingtalk, url: url, secret: "SECwrong", timeout: 10)
        let answer = await channel.send(Self.message)
        #expect(answer == .failed(#"{"errcode": 310000, "errmsg": "sign not match"}"#))
        #expect(await fake.firstRequest()?["sign_ok"] as? Bool == false)
    }

    @Test func aWeComMessageCarriesTheKeyAndTheMobile() async throws {
        let fake = try await Fake(kind: "wecom")
        defer { fake.stop() }
        let url = try #require(URL(string: "http://127.0.0.1:\(fake.port)/cgi-bin/webhook/send?key=k-123"))
        let channel = RobotChannel(id: "wx", flavour: .wecom, url: url, secret: nil, timeout: 10)
        #expect(await channel.send(Self.message) == .delivered(#"{"errcode": 0, "errmsg": "ok"}"#))
        let request = try #require(await fake.firstRequest())
        #expect(request["path"] as? String == "/cgi-bin/webhook/send")
        #expect((request["query"] as? [String: String])?["key"] == "k-123")
        let text = try #require((request["body"] as? [String: Any])?["text"] as? [String: Any])
        #expect(text["content"] as? String == Self.message.text)
        #expect(text["mentioned_mobile_list"] as? [String] == ["13800000001"])
    }

    @Test func theWebhookPostsOneObjectWithTheBearerToken() async throws {
        let fake = try await Fake(kind: "webhook")
        defer { fake.stop() }
        let dir = try ScratchFolder()
        defer { dir.remove() }
        try "secret-token\n".write(toFile: dir.file("token"), atomically: true, encoding: .utf8)
        let config = NotifyChannel(
            id: "park", kind: .webhook, url: "http://127.0.0.1:\(fake.port)/alarms", tokenFile: dir.file("token"),
            timeoutSeconds: 10)
        let channel = try WebhookChannel(config, site: "hongda")
        #expect(await channel.send(Self.message) == .delivered("HTTP 200"))
        let request = try #require(await fake.firstRequest())
        #expect(request["auth"] as? String == "Bearer secret-token")
        let body = try #require(request["body"] as? [String: Any])
        #expect(
            body["site"] as? String == "hongda" && body["incident"] as? Int == 12 && body["kind"] as? String == "alarm")
        #expect(body["text"] as? String == Self.message.text && body["version"] as? Int == 1)
    }

    @Test func aServerErrorIsAFailure() async throws {
        let fake = try await Fake(kind: "webhook", ["--status", "503"])
        defer { fake.stop() }
        let url = try #require(URL(string: "http://127.0.0.1:\(fake.port)/alarms"))
        let channel = WebhookChannel(id: "park", url: url, token: nil, site: "hongda", timeout: 10)
        #expect(await channel.send(Self.message) == .failed(#"HTTP 503: {"ok": false}"#))
    }

    @Test func aChannelDownFailsAndDeliversOnceItIsBack() async throws {
        let port = TestPorts.next()
        let url = try #require(URL(string: "http://127.0.0.1:\(port)/robot/send?access_token=t"))
        let channel = RobotChannel(id: "ding", flavour: .dingtalk, url: url, secret: nil, timeout: 5)
        guard case .failed(let why) = await channel.send(Self.message) else {
            Issue.record("a send to a closed port was delivered")
            return
        }
        // The journal gets the URL without its token.
        #expect(why.hasPrefix("http://127.0.0.1:\(port)/robot/send:") && !why.contains("access_token"))
        let fake = try await Fake(kind: "dingtalk", port: port)
        defer { fake.stop() }
        #expect(await channel.send(Self.message) == .delivered(#"{"errcode": 0, "errmsg": "ok"}"#))
    }

    @Test func secretFilesAreReadAndAMissingOneIsNamed() throws {
        let dir = try ScratchFolder()
        defer { dir.remove() }
        try "https://oapi.dingtalk.com/robot/send?access_token=abc\n".write(
            toFile: dir.file("url"), atomically: true, encoding: .utf8)
        let ok = try RobotChannel(NotifyChannel(id: "ding", kind: .dingtalk, urlFile: dir.file("url")))
        #expect(ok.url.absoluteString == "https://oapi.dingtalk.com/robot/send?access_token=abc")
        #expect(ok.secret == nil)
        #expect(throws: ChannelSetupError.self) {
            try RobotChannel(
                NotifyChannel(id: "ding", kind: .dingtalk, urlFile: dir.file("url"), secretFile: dir.file("nope")))
        }
    }

    @Test func mailGoesToSendmailWithAnEncodedSubject() async throws {
        let dir = try ScratchFolder()
        defer { dir.remove() }
        let script = dir.file("sendmail")
        try "#!/bin/sh\necho \"$@\" > \(dir.file("args"))\ncat > \(dir.file("mail"))\n".write(
            toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        var m = Self.message
        m.address = "wang@example.cn"
        let channel = MailChannel(id: "mail", sendmail: script, from: "levee@example.cn", timeout: 10)
        #expect(await channel.send(m) == .delivered("sendmail exit 0"))
        let mail = try String(contentsOfFile: dir.file("mail"), encoding: .utf8)
        #expect(mail.contains("To: wang@example.cn\n"))
        #expect(mail.contains("From: levee@example.cn\n"))
        #expect(mail.contains("Subject: =?UTF-8?B?\(Data(m.title.utf8).base64EncodedString())?=\n"))
        #expect(mail.hasSuffix("\n\n" + m.text + "\n"))
        #expect(try String(contentsOfFile: dir.file("args"), encoding: .utf8) == "-t -oi\n")
        let failing = MailChannel(id: "mail", sendmail: "/bin/false", from: nil, timeout: 10)
        #expect(await failing.send(m) == .failed("sendmail exit 1"))
        // A sendmail that hangs is ended after the channel's timeout, so the outbox can retry the message.
        let hanging = dir.file("hanging")
        try "#!/bin/sh\nexec sleep 600\n".write(toFile: hanging, atomically: true, encoding: .utf8)
        chmod(hanging, 0o755)
        guard case .failed = await MailChannel(id: "mail", sendmail: hanging, from: nil, timeout: 1).send(m) else {
            Issue.record("a hanging sendmail counted as delivered")
            return
        }
    }
}
