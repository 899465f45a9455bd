import Config
import Digest
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// What a channel said about one message: accepted (with its answer, for the journal) or not (with why).
public enum ChannelAnswer: Sendable, Hashable {
    case delivered(String)
    case failed(String)
}

/// One way of reaching people. `send` never blocks the cooperative pool: HTTP goes through URLSession's own threads,
/// sendmail is a child process awaited by its termination handler, the modem has a thread of its own.
public protocol MessageChannel: Sendable {
    var id: String { get }
    func send(_ message: OutgoingMessage) async -> ChannelAnswer
}

/// A secret file could not be read when the channels were made.
public struct ChannelSetupError: Error, CustomStringConvertible, Sendable {
    public var channel: String
    public var message: String
    public var description: String { "notify.channels \"\(channel)\": \(message)" }
}

/// The first line of a secret file, trimmed: the form `[mqtt] password_file` already uses.
func secretLine(_ path: String, channel: String, key: String) throws(ChannelSetupError) -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ChannelSetupError(channel: channel, message: "\(key) \(path) cannot be read")
    }
    let line = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
    let trimmed = line.trimmingCharacters(in: .whitespaces)
    guard !trimmed.isEmpty else { throw ChannelSetupError(channel: channel, message: "\(key) \(path) is empty") }
    return trimmed
}

// MARK: - HTTP

/// One JSON POST through URLSession, awaited without blocking a thread.
enum HTTPPost {
    struct Reply: Sendable {
        var status: Int
        var body: String
    }

    static func send(url: URL, json: Data, headers: [String: String] = [:], timeout: TimeInterval) async -> Result<
        Reply, HTTPFailure
    > {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json; charset=utf-8", forHTTPHeaderField: "Content-Type")
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        request.httpBody = json
        return await withCheckedContinuation { continuation in
            URLSession.shared.dataTask(with: request) { data, response, error in
                if let error {
                    continuation.resume(returning: .failure(HTTPFailure(message: error.localizedDescription)))
                } else if let http = response as? HTTPURLResponse {
                    let body = String(decoding: (data ?? Data()).prefix(500), as: UTF8.self)
                    continuation.resume(returning: .success(Reply(status: http.statusCode, body: body)))
                } else {
                    continuation.resume(returning: .failure(HTTPFailure(message: "no HTTP response")))
                }
            }.resume()
        }
    }

    struct HTTPFailure: Error, Sendable {
        var message: String
    }
}

/// The URL with its query (the robot's key or token) cut off, for log lines and the journal.
func redacted(_ url: URL) -> String {
    var c = URLComponents(url: url, resolvingAgainstBaseURL: false)
    c?.query = nil
    c?.user = nil
    c?.password = nil
    return c?.string ?? "(url)"
}

// MARK: - Group robots

/// A WeCom (企业微信) or DingTalk (钉钉) group robot.
///
/// WeCom: `POST .../cgi-bin/webhook/send?key=...` with `{"msgtype": "text", "text": {"content": ...,
/// "mentioned_mobile_list": [...]}}`, answered `{"errcode": 0, "errmsg": "ok"}`.
/// DingTalk: `POST .../robot/send?access_token=...` with `{"msgtype": "text", "text": {"content": ...}, "at":
/// {"atMobiles": [...], "isAtAll": false}}`, answered the same way. In signed mode `&timestamp=<ms>&sign=<s>` is
/// added, where s is the URL-encoded base64 of HMAC-SHA256(key: secret, message: "<ms>\n<secret>") (DingTalk's
/// custom robot documentation, 加签).
public struct RobotChannel: MessageChannel {
    public enum Flavour: Sendable { case wecom, dingtalk }

    public let id: String
    let flavour: Flavour
    let url: URL
    let secret: String?
    let timeout: TimeInterval
    /// The clock the signature's timestamp comes from; a test fixes it.
    let now: @Sendable () -> Date

    public init(
        id: String, flavour: Flavour, url: URL, secret: String?, timeout: TimeInterval,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.id = id
        self.flavour = flavour
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self.now = now
    }

    /// From a configured channel, its URL (and secret) read from their files.
    public init(_ c: NotifyChannel) throws(ChannelSetupError) {
        let text = try secretLine(c.urlFile ?? "", channel: c.id, key: "url_file")
        guard let url = URL(string: text), url.scheme == "https" || url.scheme == "http" else {
            throw ChannelSetupError(channel: c.id, message: "url_file \(c.urlFile ?? "") does not hold an http(s) URL")
        }
        let secret = try c.secretFile.map { path throws(ChannelSetupError) in
            try secretLine(path, channel: c.id, key: "secret_file")
        }
        self.init(
            id: c.id, flavour: c.kind == .wecom ? .wecom : .dingtalk, url: url, secret: secret,
            timeout: TimeInterval(c.timeoutSeconds))
    }

    /// DingTalk's signature of `timestamp` (milliseconds) with `secret`, URL-encoded.
    public static func dingTalkSign(timestamp: Int64, secret: String) -> String {
        let mac = HMACSHA256.authenticationCode(for: Array("\(timestamp)\n\(secret)".utf8), key: Array(secret.utf8))
        let base64 = Data(mac).base64EncodedString()
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return base64.addingPercentEncoding(withAllowedCharacters: allowed) ?? base64
    }

    /// A mobile number as the robots know it: without "+86".
    static func localMobile(_ phone: String?) -> [String] {
        guard let phone else { return [] }
        return [phone.hasPrefix("+86") ? String(phone.dropFirst(3)) : phone]
    }

    func target() -> URL {
        guard flavour == .dingtalk, let secret else { return url }
        let ms = Int64((now().timeIntervalSince1970 * 1000).rounded())
        let sign = Self.dingTalkSign(timestamp: ms, secret: secret)
        let separator = url.query == nil ? "?" : "&"
        return URL(string: url.absoluteString + "\(separator)timestamp=\(ms)&sign=\(sign)") ?? url
    }

    func payload(_ m: OutgoingMessage) -> Data {
        let mobiles = Self.localMobile(m.address)
        let body: [String: Any]
        switch flavour {
        case .wecom:
            body = ["msgtype": "text", "text": ["content": m.text, "mentioned_mobile_list": mobiles]]
        case .dingtalk:
            body = ["msgtype": "text", "text": ["content": m.text], "at": ["atMobiles": mobiles, "isAtAll": false]]
        }
        return (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
    }

    public func send(_ message: OutgoingMessage) async -> ChannelAnswer {
        switch await HTTPPost.send(url: target(), json: payload(message), timeout: timeout) {
        case .failure(let f):
            return .failed("\(redacted(url)): \(f.message)")
        case .success(let reply):
            guard (200..<300).contains(reply.status) else { return .failed("HTTP \(reply.status): \(reply.body)") }
            // Both robots answer HTTP 200 with an errcode; anything but 0 (bad key, bad signature, rate limited,
            // keyword missing) means the group did not get the message.
            let object = (try? JSONSerialization.jsonObject(with: Data(reply.body.utf8))) as? [String: Any]
            let code = (object?["errcode"] as? NSNumber)?.intValue
            guard code == 0 else { return .failed(reply.body) }
            return .delivered(reply.body)
        }
    }
}

// MARK: - Generic webhook

/// A JSON POST for the park's or the bureau's own platform. The body is one object:
/// `{"version": 1, "site": ..., "kind": "alarm"|"escalation"|"summary"|"test", "incident": 12, "person": ...,
/// "title": ..., "text": ...}`; any 2xx answer is delivery.
public struct WebhookChannel: MessageChannel {
    public let id: String
    let url: URL
    let token: String?
    let site: String
    let timeout: TimeInterval

    public init(id: String, url: URL, token: String?, site: String, timeout: TimeInterval) {
        self.id = id
        self.url = url
        self.token = token
        self.site = site
        self.timeout = timeout
    }

    public init(_ c: NotifyChannel, site: String) throws(ChannelSetupError) {
        let text: String
        if let url = c.url {
            text = url
        } else {
            text = try secretLine(c.urlFile ?? "", channel: c.id, key: "url_file")
        }
        guard let url = URL(string: text), url.scheme == "https" || url.scheme == "http" else {
            throw ChannelSetupError(channel: c.id, message: "url_file \(c.urlFile ?? "") does not hold an http(s) URL")
        }
        let token = try c.tokenFile.map { path throws(ChannelSetupError) in
            try secretLine(path, channel: c.id, key: "token_file")
        }
        self.init(id: c.id, url: url, token: token, site: site, timeout: TimeInterval(c.timeoutSeconds))
    }

    func payload(_ m: OutgoingMessage) -> Data {
        var body: [String: Any] = [
            "version": 1, "site": site, "kind": m.kind.rawValue, "person": m.person, "title": m.title, "text": m.text,
        ]
        if let n = m.incident { body["incident"] = n }
        return (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
    }

    public func send(_ message: OutgoingMessage) async -> ChannelAnswer {
        let headers = token.map { ["Authorization": "Bearer \($0)"] } ?? [:]
        switch await HTTPPost.send(url: url, json: payload(message), headers: headers, timeout: timeout) {
        case .failure(let f): return .failed("\(redacted(url)): \(f.message)")
        case .success(let reply):
            return (200..<300).contains(reply.status)
                ? .delivered("HTTP \(reply.status)") : .failed("HTTP \(reply.status): \(reply.body)")
        }
    }
}

// MARK: - E-mail

/// E-mail through the local MTA: `sendmail -t -oi` reads the message on standard input. For reports rather than
/// emergencies: a mail queue may hold a message for hours.
public struct MailChannel: MessageChannel {
    public let id: String
    let sendmail: String
    let from: String?
    let timeout: TimeInterval

    public init(id: String, sendmail: String, from: String?, timeout: TimeInterval) {
        self.id = id
        self.sendmail = sendmail
        self.from = from
        self.timeout = timeout
    }

    public init(_ c: NotifyChannel) {
        self.init(id: c.id, sendmail: c.sendmail, from: c.from, timeout: TimeInterval(c.timeoutSeconds))
    }

    /// The message as sendmail reads it: headers (the subject RFC 2047-encoded, since it is Chinese), a blank line,
    /// the body as UTF-8.
    static func document(_ m: OutgoingMessage, from: String?) -> String {
        var lines: [String] = []
        if let from { lines.append("From: \(from)") }
        lines.append("To: \(m.address ?? "")")
        lines.append("Subject: =?UTF-8?B?\(Data(m.title.utf8).base64EncodedString())?=")
        lines += [
            "MIME-Version: 1.0", "Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: 8bit", "",
        ]
        lines.append(m.text)
        return lines.joined(separator: "\n") + "\n"
    }

    public func send(_ message: OutgoingMessage) async -> ChannelAnswer {
        guard let to = message.address, !to.isEmpty else { return .failed("no e-mail address for \(message.person)") }
        // The message goes in as a file, not a pipe: a sendmail that exits before reading all of it must not kill
        // levee-notify with SIGPIPE. The file is unlinked at once; the open descriptor keeps it until sendmail ends.
        let path = NSTemporaryDirectory() + "levee-notify-mail-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: path, contents: Data(Self.document(message, from: from).utf8)),
            let input = FileHandle(forReadingAtPath: path)
        else {
            try? FileManager.default.removeItem(atPath: path)
            return .failed("cannot write the message to \(NSTemporaryDirectory())")
        }
        unlink(path)
        defer { try? input.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sendmail)
        process.arguments = ["-t", "-oi"]
        // Its output is not read: a child of sendmail that kept the pipe open would hold the reading thread.
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let status: Int32 = await withCheckedContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(returning: -1)
                return
            }
            // A sendmail that hangs (a full queue, a lock) is ended, so the message is retried rather than held.
            // SIGKILL, not SIGTERM: Foundation's Process hands the child the spawning thread's signal mask, and the
            // cooperative pool's threads may block SIGTERM, which the child would then never see.
            let timeout = self.timeout
            let pid = process.processIdentifier
            Task {
                try? await Task.sleep(for: .seconds(timeout))
                if process.isRunning { kill(pid, SIGKILL) }
            }
        }
        if status == -1 { return .failed("\(sendmail) cannot be started") }
        return status == 0 ? .delivered("sendmail exit 0") : .failed("sendmail exit \(status)")
    }
}
