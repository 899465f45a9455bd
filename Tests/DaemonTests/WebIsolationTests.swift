import ControlAPI
import Foundation
import LeveeTestSupport
import Testing

/// The HTTP API runs as levee-web, a process apart from leveed: whatever happens to it, the safety daemon trips,
/// latches and polls. No timing is asserted here; the latencies under load belong to bench/.
@Suite(.serialized)
struct WebIsolationTests {
    typealias H = DaemonHarness
    typealias W = HTTPDaemonTests

    /// `leveectl ARGS --config FILE`: its exit status and what it printed.
    static func leveectl(_ h: H, _ args: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = try #require(H.binaries).appendingPathComponent("leveectl")
        p.arguments = args + ["--config", h.configPath]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The site status as `leveectl status --json` prints it.
    static func status(_ h: H) throws -> SiteStatus? {
        let (code, text) = try leveectl(h, ["status", "--json"])
        guard code == 0 else { return nil }
        return try? JSONDecoder.control.decode(SiteStatus.self, from: Data(text.utf8))
    }

    /// When gas-a1 was last read, through leveectl.
    static func lastRead(_ h: H) throws -> Date? {
        try status(h)?.devices.first { $0.id == "gas-a1" }?.points.first?.readAt
    }

    /// Polls `condition` (which runs leveectl, and blocks) on a thread of its own until it holds, for up to 30 s.
    static func eventually(_ condition: @escaping @Sendable () throws -> Bool) async -> Bool {
        for _ in 0..<150 {
            if (try? await OffPool.run(condition)) == true { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    /// One live stream opened with a viewer token and never read: the server's writes back up behind it.
    static func openStream(port: Int) -> Int32? {
        guard let fd = TestPorts.connectLoopback(port: port) else { return nil }
        let request =
            "GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer test-viewer\r\n"
            + "Accept: text/event-stream\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        return fd
    }

    @Test func aTripThroughLeveectlLatchesWhileTheWebIsOverloadedAndAfterItIsKilled() async throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = max(limit.rlim_cur, min(limit.rlim_max, 4096))
        try #require(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)

        let h = try H(scenario: DefencePlant.scenario)
        defer { h.stop() }
        let base = try await W.startWithAPI(h)
        let port = try #require(URLComponents(string: base)?.port)
        #expect(await H.wait { try h.status()?.summary.hasPrefix("8/8 devices answering") == true }, "\(h.log)")

        // Hundreds of live streams that never read, and a crowd of requests good and bad, all the while.
        var streams: [Int32] = []
        defer { streams.forEach { close($0) } }
        for _ in 0..<300 {
            if let fd = Self.openStream(port: port) { streams.append(fd) }
        }
        #expect(streams.count == 300)
        // The load is real: levee-web holds every one of those streams open.
        let webPID = try #require(h.web?.processIdentifier)
        func webDescriptors() -> Int {
            (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(webPID)/fd").count) ?? 0
        }
        #expect(await H.wait { webDescriptors() >= 300 }, "levee-web holds \(webDescriptors()) descriptors")
        let crowd = Task.detached {
            let bodies = [#"{"reason":42}"#, "{", #"{"reason":"x","plan":"no-such-plan"}"#, "[]"]
            var round = 0
            while !Task.isCancelled {
                round += 1
                let n = round
                async let a = try? W.call("GET", base + "/api/v1/status", token: "test-viewer")
                async let b = try? W.call("GET", base + "/api/v1/events?limit=10000", token: "test-viewer")
                async let c = try? W.call(
                    "POST", base + "/api/v1/shutoff", token: "test-viewer", json: bodies[n % bodies.count])
                async let d = try? W.call("GET", base + "/metrics", token: "guess-\(n)")
                _ = await (a, b, c, d)
            }
        }
        defer { crowd.cancel() }
        try await Task.sleep(for: .seconds(1))

        // The button, through leveectl: acknowledged, latched, and the plan runs to the rain outlet's limit switch.
        let trip = try await OffPool.run {
            try Self.leveectl(h, ["shutoff", "--reason", "trip while the web is overloaded"])
        }
        #expect(trip.status == 0, "\(trip.output)")
        #expect(await Self.eventually { try Self.status(h)?.defence?.latched == true }, "\(h.log)")
        #expect(await H.wait { h.plant.valve("rain-outlet-1")?.closedLimit == true })
        // Polling goes on: gas-a1 is read again after the trip.
        let before = try #require(try await OffPool.run { try Self.lastRead(h) })
        #expect(await Self.eventually { try Self.lastRead(h).map { $0 > before } == true }, "\(h.log)")

        // levee-web is killed outright, streams and all.
        crowd.cancel()
        h.killWeb()
        #expect(kill(webPID, 0) != 0)

        // Reset, trip again, and polling, all through leveectl, with no web at all.
        let reset = try await OffPool.run { try Self.leveectl(h, ["reset", "--reason", "web gone, plant checked"]) }
        #expect(reset.status == 0, "\(reset.output)")
        #expect(await Self.eventually { try Self.status(h)?.defence?.latched == false }, "\(h.log)")
        let again = try await OffPool.run {
            try Self.leveectl(h, ["shutoff", "--reason", "trip after the web was killed"])
        }
        #expect(again.status == 0, "\(again.output)")
        #expect(await Self.eventually { try Self.status(h)?.defence?.latched == true }, "\(h.log)")
        let after = try #require(try await OffPool.run { try Self.lastRead(h) })
        #expect(await Self.eventually { try Self.lastRead(h).map { $0 > after } == true }, "\(h.log)")
        #expect(h.process?.isRunning == true)
        #expect(!h.log.contains("Too many open files"), "\(h.log)")
    }
}
