import ControlAPI
import Foundation
import Historian
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

@testable import WebAPI

/// The live stream: replay after `Last-Event-ID`, then live events, status and keep-alives.
struct StreamTests {
    let t0 = FakeBackend.t0

    /// Frames a streamer has sent, collected as they come.
    final class Frames: Sendable {
        private let frames = Mutex<[String]>([])
        func append(_ frame: String) { frames.withLock { $0.append(frame) } }
        var all: [String] { frames.withLock { $0 } }
        var journalIDs: [Int64] {
            all.compactMap { frame in
                guard frame.contains("event: journal"), frame.hasPrefix("id: ") else { return nil }
                return Int64(frame.dropFirst(4).prefix { $0 != "\n" })
            }
        }
        var statuses: [String] { all.filter { $0.hasPrefix("event: status\n") } }
    }

    private func streamer(
        _ t: TestServer, status: SiteStatus? = FakeBackend.status, keepalive: Duration = .seconds(60),
        stopping: @escaping @Sendable () -> Bool = { false }, history: (any HistoryReading)? = nil,
        journal: JournalHub? = nil
    ) -> EventStreamer {
        EventStreamer(
            historian: history ?? t.historian, journal: journal ?? t.journal, status: { status },
            tickInterval: .milliseconds(20), statusInterval: .milliseconds(100), keepaliveInterval: keepalive,
            now: { ContinuousClock.now }, isStopping: stopping,
            logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    private func record(_ t: TestServer, _ messages: [String]) async throws {
        for m in messages {
            try await t.historian.recordEvent(StoredEvent(kind: "alarm", source: "gas-a1", message: m, at: t0))
        }
    }

    @Test func replaysEverythingAfterTheLastIDThenSendsLiveEventsInOrder() async throws {
        let t = try TestServer()
        defer { t.remove() }
        try await record(t, ["e1", "e2", "e3", "e4", "e5"])
        let ids = try await t.historian.events(afterID: 0, limit: 10).compactMap(\.id)
        let frames = Frames()
        let streamer = streamer(t)
        let task = Task { try await streamer.run(after: ids[1]) { frames.append($0) } }
        defer { task.cancel() }

        try await waitUntil("the replay") { frames.journalIDs.count >= 3 }
        #expect(frames.journalIDs == Array(ids[2...]))
        #expect(frames.all.first == "retry: 2000\n\n")
        try await record(t, ["live 1", "live 2"])
        try await waitUntil("the live events") { frames.journalIDs.count >= 5 }
        let all = try await t.historian.events(afterID: 0, limit: 10).compactMap(\.id)
        #expect(frames.journalIDs == Array(all[2...]))

        // Each journal frame is one SSE event whose data is the event as JSON.
        let frame = try #require(frames.all.first { $0.hasPrefix("id: \(all[6])\n") })
        let lines = frame.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 5)
        #expect(lines[1] == "event: journal")
        #expect(frame.hasSuffix("\n\n"))
        let data = try #require(lines[2].dropFirst("data: ".count).data(using: .utf8))
        let event = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(event["message"] as? String == "live 2")
        #expect(event["id"] as? Int == Int(all[6]))

        // The status arrives every statusInterval, as one line of JSON.
        try await waitUntil("two statuses") { frames.statuses.count >= 2 }
        let status = try #require(frames.statuses.first)
        let json = try #require(status.split(separator: "\n").dropFirst().first?.dropFirst("data: ".count))
        #expect(try JSONDecoder.control.decode(SiteStatus.self, from: Data(json.utf8)) == FakeBackend.status)
        #expect(!status.contains("id:"))
    }

    @Test func aQuietStreamSendsKeepalives() async throws {
        let t = try TestServer()
        defer { t.remove() }
        let frames = Frames()
        let start = ContinuousClock.now
        let trace = Frames()
        let note: @Sendable (String) -> Void = { trace.append("\(ContinuousClock.now - start) \($0)") }
        let history = JournalFeedTests.CountingHistory(t.historian) { n in note("read \(n)") }
        let streamer = streamer(t, status: nil, keepalive: .milliseconds(100), history: history)
        let task = Task {
            note("task")
            try await streamer.run(after: 0) {
                note($0.prefix(12).description)
                frames.append($0)
            }
        }
        defer { task.cancel() }
        try await waitUntil("keep-alives") { frames.all.filter { $0 == ": keepalive\n\n" }.count >= 2 }
        // When the wait ran out, when each step happened: a run with every test at once showed the streamer's task
        // starting 14 s after it was made, queued behind the whole suite on the cooperative pool.
        #expect(frames.all.count >= 3, "journal reads \(history.reads), trace \(trace.all.prefix(8))")
        #expect(frames.journalIDs.isEmpty)
    }

    @Test func aClientThatGoesAwayEndsTheStream() async throws {
        let t = try TestServer()
        defer { t.remove() }
        try await record(t, ["e1", "e2"])
        struct Gone: Error {}
        let streamer = streamer(t)
        await #expect(throws: Gone.self) {
            try await streamer.run(after: 0) { frame in
                if frame.contains("event: journal") { throw Gone() }
            }
        }
    }

    @Test func theStreamEndsWhenTheServerStops() async throws {
        let t = try TestServer()
        defer { t.remove() }
        let stop = Mutex(false)
        let frames = Frames()
        let history = JournalFeedTests.CountingHistory(t.historian)
        let streamer = streamer(t, stopping: { stop.withLock { $0 } }, history: history)
        let task = Task { try await streamer.run(after: 0) { frames.append($0) } }
        try await waitUntil("a status") { !frames.statuses.isEmpty }
        #expect(!frames.statuses.isEmpty, "journal reads \(history.reads), frames \(frames.all.prefix(4))")
        stop.withLock { $0 = true }
        try await task.value
    }

    @Test func catchingUpReadsInBatches() async throws {
        let t = try TestServer()
        defer { t.remove() }
        try await record(t, (0..<(EventStreamer.batchSize + 20)).map { "e\($0)" })
        let frames = Frames()
        let streamer = streamer(t)
        let task = Task { try await streamer.run(after: 0) { frames.append($0) } }
        defer { task.cancel() }
        try await waitUntil("the whole backlog") { frames.journalIDs.count >= EventStreamer.batchSize + 20 }
        #expect(frames.journalIDs == frames.journalIDs.sorted())
        #expect(Set(frames.journalIDs).count == EventStreamer.batchSize + 20)
    }

    // MARK: - Through the router and over a socket

    @Test func theStreamNeedsAViewerTokenAndAWellFormedLastEventID() async throws {
        let t = try TestServer()
        try await t.test { client in
            #expect(try await client.send(.get, "/api/v1/stream", as: nil).status == .unauthorized)
            let bad = try await client.send(
                .get, "/api/v1/stream", as: .viewer, headers: [.init("Last-Event-ID")!: "abc"])
            #expect(bad.status == .badRequest)
            #expect(bad.error == #"Last-Event-ID: "abc" must be an event id (a whole number)"#)
        }
    }

    /// Over a real socket: headers, replay after `Last-Event-ID`, live events, and a server shutdown that does
    /// not wait for a client still connected.
    @Test func overASocketWithLastEventIDAndAGracefulShutdown() async throws {
        let t = try TestServer()
        try await record(t, ["before 1", "before 2", "before 3"])
        let ids = try await t.historian.events(afterID: 0, limit: 10).compactMap(\.id)
        let connection = try await t.server.makeApplication().test(.live) { client in
            let port = try #require(client.port)
            let sse = try await SSEConnection.open(
                port: port,
                request: "GET /api/v1/stream HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(Tokens.viewer)\r\n"
                    + "Last-Event-ID: \(ids[0])\r\nAccept: text/event-stream\r\n\r\n")
            let head = try await sse.read(until: { $0.contains("id: \(ids[2])\n") })
            #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(head.lowercased().contains("content-type: text/event-stream"))
            #expect(head.lowercased().contains("cache-control: no-store"))
            #expect(!head.contains("id: \(ids[0])\n"))
            #expect(head.range(of: "id: \(ids[1])\n")!.lowerBound < head.range(of: "id: \(ids[2])\n")!.lowerBound)

            try await record(t, ["live"])
            let live = try await sse.read(until: { $0.contains("\"message\":\"live\"") })
            #expect(live.contains("id: \(ids[2] + 1)\nevent: journal\n"))
            _ = try await sse.read(until: { $0.contains("event: status\n") })
            // Leave the connection open: the shutdown that follows must end the stream itself.
            return sse
        }
        // The shutdown ended the stream itself: the server closed the connection. (A stream that kept the server
        // from stopping would hang this test instead; no clock is compared, a slow machine passes too.)
        #expect(try await connection.isClosedByServer())
        connection.close()
        t.remove()
    }
}

/// A raw HTTP/1.1 connection read on a thread of its own, so that a blocking `recv` never holds a thread of the
/// cooperative pool the server needs.
/// Connections that hold the server without asking anything are closed by its idle timeout; a live stream, which
/// is a request being answered, is not.
struct IdleConnectionTests {
    @Test func silentAndHalfSentConnectionsAreClosedButALiveStreamIsNot() async throws {
        let t = try TestServer(idleTimeout: .milliseconds(500))
        defer { t.remove() }
        try await t.server.makeApplication().test(.live) { client in
            let port = try #require(client.port)
            let silent = try await SSEConnection.open(port: port, request: "")
            let halfSent = try await SSEConnection.open(port: port, request: "GET /api/v1/status HTTP/1.1\r\nHost: x")
            let stream = try await SSEConnection.open(
                port: port,
                request: "GET /api/v1/stream HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(Tokens.viewer)\r\n"
                    + "Accept: text/event-stream\r\n\r\n")
            defer { [silent, halfSent, stream].forEach { $0.close() } }
            #expect(try await silent.isClosedByServer())
            #expect(try await halfSent.isClosedByServer())
            // Well past the idle timeout, the stream still delivers status events.
            try await Task.sleep(for: .seconds(2))
            let text = try await stream.read(until: { $0.components(separatedBy: "event: status\n").count > 6 })
            #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        }
    }
}

final class SSEConnection: Sendable {
    let fd: Int32
    private let received = Mutex<[UInt8]>([])

    private init(fd: Int32) { self.fd = fd }

    static func open(port: Int, request: String) async throws -> SSEConnection {
        try await onThread {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard rc == 0 else { throw POSIXError(.ECONNREFUSED) }
            var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let bytes = Array(request.utf8)
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            return SSEConnection(fd: fd)
        }
    }

    /// Everything received so far once `condition` holds on it (chunk sizes and all), within a generous deadline.
    func read(until condition: @escaping @Sendable (String) -> Bool) async throws -> String {
        try await Self.onThread { [self] in
            let deadline = ContinuousClock.now + .seconds(30)
            var buffer = [UInt8](repeating: 0, count: 65536)
            while ContinuousClock.now < deadline {
                let text = String(decoding: received.withLock { $0 }, as: UTF8.self)
                if condition(text) { return text }
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n > 0 { received.withLock { $0.append(contentsOf: buffer[..<n]) } }
                if n == 0 { break }
            }
            let text = String(decoding: received.withLock { $0 }, as: UTF8.self)
            Issue.record("the stream did not show what was expected; got: \(text.suffix(2000))")
            return text
        }
    }

    /// Whether the server has closed its end: reads the rest and sees end-of-file within the generous deadline.
    func isClosedByServer() async throws -> Bool {
        try await Self.onThread { [self] in
            let deadline = ContinuousClock.now + .seconds(30)
            var buffer = [UInt8](repeating: 0, count: 65536)
            while ContinuousClock.now < deadline {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n == 0 { return true }
                if n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR { return true }
            }
            return false
        }
    }

    func close() { _ = Glibc.close(fd) }

    private static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.start()
        }
    }
}
