import ControlAPI
import Foundation
import LeveeTestSupport
import Testing

/// The control socket under hostile and heavy use: slow, idle and oversized clients never hold up an operator's
/// leveectl, and many clients at once are all answered.
@Suite(.serialized)
struct ControlSocketTests {
    typealias H = DaemonHarness

    /// A raw client that connects and then sends what the test says, when it says.
    final class RawClient: Sendable {
        let fd: Int32

        init(_ path: String) throws {
            fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var addr = try UnixAddress.make(path)
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            try #require(rc == 0, "cannot connect to \(path): \(String(cString: strerror(errno)))")
        }

        func send(_ text: String) -> Bool {
            let bytes = Array(text.utf8)
            return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                == bytes.count
        }

        /// Whether the daemon has closed the connection (a read returns end of file or an error at once).
        var closedByPeer: Bool {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 0) == 1 else { return false }
            var byte: UInt8 = 0
            return recv(fd, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT)) <= 0
        }

        deinit { close(fd) }
    }

    @Test func slowAndIdleClientsNeverHoldUpAnotherAndTwoHundredAtOnceAreAllAnswered() async throws {
        let h = try H()
        defer { h.stop() }
        try h.start()
        #expect(await H.wait { try h.status()?.summary.hasPrefix("2/2 devices answering") == true }, "\(h.log)")

        // Ten clients that connect and say nothing, and one that trickles a byte a second, as the hostile test did.
        let idle = try (0..<10).map { _ in try RawClient(h.socketPath) }
        let trickler = try RawClient(h.socketPath)
        let trickle = Task.detached {
            for byte in #"{"op":"status"}"#.map(String.init) {
                if Task.isCancelled || !trickler.send(byte) { return }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        defer { trickle.cancel() }
        try await Task.sleep(for: .milliseconds(300))

        // An operator's request is answered while they all hang on. The old single-client loop took 2 s per idle
        // client (20 s for ten); a 3 s client timeout would have failed it.
        let pong = try ControlClient.reply(.ping, socket: h.socketPath, timeout: 3)
        #expect(pong.ok, "\(pong)")
        #expect(try ControlClient.reply(.status, socket: h.socketPath, timeout: 3).ok)

        // The idle clients and the trickler are cut off after the request deadline, not served forever.
        #expect(await H.wait(20) { idle.allSatisfy(\.closedByPeer) && trickler.closedByPeer })

        // 200 requests at once, each on its own connection: every one answered.
        let socket = h.socketPath
        let answered = await withTaskGroup(of: Bool.self) { group in
            for n in 0..<200 {
                group.addTask {
                    let command: ControlCommand = n % 2 == 0 ? .ping : .status
                    return await Task.detached {
                        (try? ControlClient.reply(command, socket: socket, timeout: 30))?.ok == true
                    }.value
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(answered == 200)
        #expect(try h.status()?.summary.hasPrefix("2/2 devices answering") == true)
    }

    @Test func malformedAndOversizedRequestsGetAnErrorLine() async throws {
        let h = try H()
        defer { h.stop() }
        try h.start()
        #expect(await H.wait { (try? h.request(.ping))?.ok == true }, "\(h.log)")

        let garbage = try RawClient(h.socketPath)
        #expect(garbage.send("not json\n"))
        let reply = try Self.readLine(garbage)
        #expect(reply.contains("malformed request"), "\(reply)")

        let huge = try RawClient(h.socketPath)
        _ = huge.send(String(repeating: "x", count: 70_000))
        let refusal = try Self.readLine(huge)
        #expect(refusal.contains("longer than 65536 bytes"), "\(refusal)")
        #expect(try h.request(.ping).ok)
    }

    /// `watch`: one subscription gets each status the daemon publishes, newer each time, and a trip shows in it
    /// without asking again.
    @Test func watchStreamsEachPublishedStatusAndATripShowsInIt() async throws {
        let h = try H(scenario: DefencePlant.scenario)
        defer { h.stop() }
        try h.write(config: DefencePlant.config(port: h.plant.tcpPort(server: "plc")!, directory: h.directory))
        try h.start()
        #expect(await H.wait { try h.status()?.summary.hasPrefix("8/8 devices answering") == true }, "\(h.log)")
        let socket = h.socketPath
        // The watch blocks on its socket: on a thread of its own, not the test's cooperative pool.
        async let watched = OffPool.run { () throws -> [SiteStatus] in
            var seen: [SiteStatus] = []
            // Published once a second: a minute of statuses is far more than the trip needs.
            try ControlAPI.ControlClient.watch(socket: socket) { status in
                seen.append(status)
                return status.defence?.latched != true && seen.count < 60
            }
            return seen
        }
        #expect(await H.wait { h.log.contains("control socket listening") })
        try await Task.sleep(for: .seconds(2))
        #expect(try h.request(.shutoff(plan: nil, reason: "watched trip")).ok)
        let seen = try await watched
        #expect(seen.last?.defence?.latched == true, "\(seen.count) statuses")
        #expect(seen.count >= 2)
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.generatedAt <= $1.generatedAt })
        // The watcher's connection is gone, and the socket serves as before.
        #expect(try h.request(.ping).ok)
    }

    static func readLine(_ client: RawClient) throws -> String {
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(client.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var data = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !data.contains(UInt8(ascii: "\n")) {
            let n = chunk.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data += chunk[..<n]
        }
        return String(decoding: data, as: UTF8.self)
    }
}
