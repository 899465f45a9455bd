import Foundation
import LeveeTestSupport
import Synchronization
import Testing

/// `mosquitto_sub` watching topics: an MQTT client that is not ours, so what it sees is what any park would see.
final class TopicWatcher: @unchecked Sendable {
    // @unchecked: `process` is set in init; `lines` is a Mutex.
    struct Message: Sendable, Hashable {
        var topic: String
        var payload: String
        var retained: Bool
    }

    private let process = Process()
    /// What arrived, and the start of a line not yet complete; shared with the pipe's reading handler.
    private final class Inbox: Sendable {
        let received = Mutex<[Message]>([])
        let partial = Mutex("")
    }
    private let inbox = Inbox()

    /// Subscribes to `topics` (filters) on `broker`, QoS 1; `session` names a persistent session, which a
    /// persistent broker keeps (with the messages for it) while the watcher or the broker is away.
    init(broker: TestBroker, topics: [String], session: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: try TestTools.executable("mosquitto_sub"))
        // -F: topic, retained flag and payload on one line, tab-separated.
        process.arguments =
            ["-h", "127.0.0.1", "-p", "\(broker.port)", "-q", "1", "-v", "-F", "%t\t%r\t%p"]
            + topics.flatMap { ["-t", $0] } + (session.map { ["-c", "-i", $0] } ?? [])
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        let inbox = self.inbox
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            guard !data.isEmpty else { return }
            let lines: [Substring] = inbox.partial.withLock { text in
                text += String(decoding: data, as: UTF8.self)
                var parts = text.split(separator: "\n", omittingEmptySubsequences: false)
                text = String(parts.removeLast())
                return parts
            }
            let messages = lines.compactMap { line -> Message? in
                let fields = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
                guard fields.count == 3 else { return nil }
                return Message(topic: String(fields[0]), payload: String(fields[2]), retained: fields[1] == "1")
            }
            inbox.received.withLock { $0 += messages }
        }
        try process.run()
    }

    var messages: [Message] { inbox.received.withLock { $0 } }

    /// The newest payload on `topic`, decoded as a JSON object.
    func latest(_ topic: String) -> [String: Any]? {
        guard let m = messages.last(where: { $0.topic == topic }) else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(m.payload.utf8))) as? [String: Any]
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}
