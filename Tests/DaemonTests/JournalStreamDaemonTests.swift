import ControlAPI
import Foundation
import Historian
import LeveeTestSupport
import Messages
import Synchronization
import Testing

/// The journal reaches levee-web's live streams through leveed's `watch`, as it is recorded: one feed for every
/// stream, and a feed that drops (leveed restarting) costs the streams neither their connections nor an entry.
@Suite(.serialized)
struct JournalStreamDaemonTests {
    typealias H = DaemonHarness
    typealias W = HTTPDaemonTests

    /// A live stream read on a thread of its own: everything received so far.
    final class Stream: Sendable {
        let fd: Int32
        private let received = Mutex<[UInt8]>([])
        private let ended = Atomic<Bool>(false)

        init?(port: Int, lastEventID: Int64) {
            guard let fd = TestPorts.connectLoopback(port: port) else { return nil }
            var tv = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            let request =
                "GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer test-viewer\r\n"
                + "Last-Event-ID: \(lastEventID)\r\nAccept: text/event-stream\r\n\r\n"
            _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            self.fd = fd
        }

        var text: String { String(decoding: received.withLock { $0 }, as: UTF8.self) }
        /// Whether the server closed the connection.
        var closed: Bool { ended.load(ordering: .relaxed) }

        /// The ids of the `journal` events received, in order (the body comes in HTTP chunks, whose size lines
        /// fall between frames).
        var journalIDs: [Int64] {
            // "\r\n" is one Character to a Swift string: drop the "\r"s before matching line by line.
            text.replacingOccurrences(of: "\r", with: "")
                .matches(of: /\nid: (\d+)\nevent: journal\n/).compactMap { Int64($0.output.1) }
        }

        /// Reads what has arrived, for up to `seconds`, until `condition` holds.
        func read(for seconds: Double = 30, until condition: @escaping @Sendable (Stream) -> Bool) async throws
            -> Bool
        {
            try await OffPool.run { [self] in
                let deadline = Date().addingTimeInterval(seconds)
                var buffer = [UInt8](repeating: 0, count: 65536)
                while Date() < deadline {
                    if condition(self) { return true }
                    let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if n > 0 { received.withLock { $0.append(contentsOf: buffer[..<n]) } }
                    if n == 0 {
                        ended.store(true, ordering: .relaxed)
                        return condition(self)
                    }
                }
                return condition(self)
            }
        }

        deinit { close(fd) }
    }

    /// The journal's ids after `id`, read from the database as levee-web reads it (read-only, beside leveed).
    static func storedIDs(_ h: H, after id: Int64) async throws -> [Int64] {
        try await HistorianReader(path: h.databasePath).events(afterID: id, limit: 100_000).compactMap(\.id)
    }

    /// `watch` with the journal on the control socket: an empty batch once subscribed, then each entry as it is
    /// recorded, with the id and text the database holds.
    @Test func aJournalWatchGetsEachEntryAsItIsRecorded() async throws {
        let h = try H(scenario: DefencePlant.scenario)
        defer { h.stop() }
        try h.write(config: DefencePlant.config(port: h.plant.tcpPort(server: "plc")!, directory: h.directory))
        try h.start()
        #expect(await H.wait { try h.status()?.summary.hasPrefix("8/8 devices answering") == true }, "\(h.log)")
        let socket = h.socketPath
        let subscribed = Atomic<Bool>(false)
        async let watched = OffPool.run { () throws -> (first: WatchUpdate?, entries: [JournalEntry]) in
            var first: WatchUpdate?
            var entries: [JournalEntry] = []
            try ControlClient.watch(socket: socket, journal: true) { update in
                if first == nil { first = update }
                if case .journal(let batch) = update {
                    subscribed.store(true, ordering: .relaxed)
                    entries += batch
                }
                return !entries.contains { $0.kind == "trip" } && entries.count < 1000
            }
            return (first, entries)
        }
        #expect(await TestWait.until { subscribed.load(ordering: .relaxed) })
        #expect(try h.request(.shutoff(plan: nil, reason: "watched journal")).ok)
        let (first, entries) = try await watched
        #expect(first == .journal([]))
        #expect(entries.first { $0.kind == "trip" }?.text?.id == .tripped, "\(entries.filter { $0.kind == "trip" })")
        let ids = entries.map(\.id)
        #expect(!ids.isEmpty)
        #expect(ids == ids.sorted() && Set(ids).count == ids.count)
        // Each entry is the one the database holds under its id.
        let stored = try await HistorianReader(path: h.databasePath).events(afterID: ids[0] - 1, limit: ids.count)
        #expect(stored.map(\.id) == ids.map(Optional.some))
        #expect(stored.map(\.message) == entries.map(\.message))
        #expect(stored.map(\.kind) == entries.map(\.kind))
        #expect(stored.map(\.at) == entries.map(\.at))
        // A plain watch (leveectl status --watch) gets statuses only, as before.
        let plain = try await OffPool.run { () throws -> Int in
            var statuses = 0
            try ControlClient.watch(socket: socket) { _ in
                statuses += 1
                return statuses < 2
            }
            return statuses
        }
        #expect(plain == 2)
    }

    /// Two live streams through levee-web get each entry leveed records, once and in order; leveed killed and
    /// restarted drops the feed, yet the streams keep their connections and get what was recorded meanwhile (the
    /// restart's own `config-load`, written before the control socket is up), then the live entries again.
    @Test func twoStreamsFollowTheJournalAcrossALeveedRestart() async throws {
        let h = try H(scenario: DefencePlant.scenario)
        defer { h.stop() }
        let base = try await W.startWithAPI(h)
        let port = try #require(URLComponents(string: base)?.port)
        #expect(await H.wait { try h.status()?.summary.hasPrefix("8/8 devices answering") == true }, "\(h.log)")
        let start = try await Self.storedIDs(h, after: 0).last ?? 0
        let a = try #require(Stream(port: port, lastEventID: start))
        let b = try #require(Stream(port: port, lastEventID: start))
        #expect(try await a.read { $0.text.contains("event: status") })
        #expect(try await b.read { $0.text.contains("event: status") })

        #expect(try h.request(.shutoff(plan: nil, reason: "journal feed")).ok)
        let tripped = try await Self.storedIDs(h, after: start)
        try #require(!tripped.isEmpty)
        #expect(try await a.read { $0.journalIDs.contains(tripped.last!) }, "\(a.text.suffix(2000))")
        #expect(try await b.read { $0.journalIDs.contains(tripped.last!) })
        // Each entry goes live with its message id, for the page to render in its language.
        #expect(a.text.contains(#""id":"trip.tripped""#), "\(a.text.suffix(2000))")

        // leveed goes away and comes back: levee-web's watch drops and reconnects.
        func count(_ line: String) -> Int { h.log.components(separatedBy: line).count - 1 }
        let (lost, resumed) = (count("control socket lost"), count("control socket resumed"))
        await h.killDaemon()
        #expect(await H.wait { count("control socket lost") > lost }, "\(h.log)")
        try h.start()
        #expect(await H.wait { count("control socket resumed") > resumed }, "\(h.log)")
        #expect(await H.wait { try h.request(.reset(reason: "journal feed back", override: false)).ok }, "\(h.log)")
        let restarted = try await HistorianReader(path: h.databasePath).events(afterID: tripped.last!, limit: 1000)
        let configLoad = try #require(restarted.first { $0.kind == "config-load" }?.id)
        let last = try #require(restarted.last?.id)
        #expect(try await a.read { $0.journalIDs.contains(last) }, "\(a.text.suffix(2000))")
        #expect(try await b.read { $0.journalIDs.contains(last) })

        let expected = try await Self.storedIDs(h, after: start).filter { $0 <= last }
        for stream in [a, b] {
            let ids = stream.journalIDs.filter { $0 <= last }
            #expect(ids == expected, "gap or repeat: \(ids) against \(expected)")
            #expect(ids.contains(configLoad))
            #expect(!stream.closed, "the stream's connection was dropped")
        }
    }
}
