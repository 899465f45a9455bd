import ControlAPI
import Foundation
import Testing

/// The crashes a hostile tester found on the debug build, each replayed against the real daemon: a request
/// number or a configuration value that used to stop `leveed` is refused with its field or key named, and the
/// daemon keeps running.
@Suite(.serialized)
struct RangeDaemonTests {
    typealias H = DaemonHarness

    /// Sends one raw request line on the socket, by default as `nobody` in the socket's group (root's, in the
    /// tests): a non-root user the socket's file mode lets in. Python does the privilege drop, which a test
    /// process cannot.
    func send(_ line: String, socket: String, asNobody: Bool = true) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = [
            "-c",
            """
            import os, socket, sys
            if sys.argv[3] == "nobody":
                os.setgroups([]); os.setgid(os.stat(sys.argv[1]).st_gid); os.setuid(65534)
            s = socket.socket(socket.AF_UNIX); s.settimeout(20); s.connect(sys.argv[1])
            s.sendall(sys.argv[2].encode() + b"\\n")
            print(s.makefile().readline(), end="")
            """,
            socket, line, asNobody ? "nobody" : "caller",
        ]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        p.waitUntilExit()
        return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    @Test func hostileRequestNumbersAreRefusedAndTheDaemonLives() async throws {
        let h = try H()
        defer { h.stop() }
        try h.start()
        #expect(await H.wait { try h.status()?.summary.hasPrefix("2/2 devices answering") == true }, "\(h.log)")

        // The tester's shelve: an alarm that does not exist and 1e21 seconds.
        let shelve = try h.request(
            .shelve(alarm: "no-such.alarm.H", reason: "rt", seconds: 1e21))
        #expect(!shelve.ok)
        #expect(shelve.error == #"shelve refused: "seconds" 1e+21 is outside 1...2592000"#)

        // The tester's bypass, by a non-root member of the socket's group: refused as not allowed, before the
        // number is looked at.
        let reply = try send(
            #"{"version":2,"op":"bypass","interlock":"no-such","reason":"x","seconds":1e300}"#, socket: h.socketPath)
        let bypass = try JSONDecoder().decode(ControlResponse.self, from: Data(reply.utf8))
        #expect(!bypass.ok)
        #expect(bypass.error == "bypass refused: only an administrator may bypass an automatic trip", "\(reply)")

        // Root may bypass, but not for 1e300 seconds, nor for NaN-like or negative lengths.
        for seconds in [1e300, -1, 0, 86_401, Double.greatestFiniteMagnitude] {
            let r = try h.request(
                .bypass(interlock: "no-such", reason: "x", seconds: seconds))
            #expect(!r.ok)
            #expect(r.error?.hasPrefix(#"bypass refused: "seconds" "#) == true, "\(seconds): \(r)")
            #expect(r.error?.hasSuffix("is outside 1...86400") == true, "\(seconds): \(r)")
        }
        for seconds in [-1e300, -1, 0, 2_592_001, 1e300] {
            let r = try h.request(.shelve(alarm: "x", reason: "x", seconds: seconds))
            #expect(r.error?.contains(#""seconds""#) == true, "\(seconds): \(r)")
        }

        // A number of the wrong type is refused naming the field; one no Double can hold, as unreadable.
        for value in [#""600""#, "true", "[]", "{}", "1e400", "-1e400"] {
            let line = #"{"version":2,"op":"shelve","alarm":"x","reason":"rt","seconds":"# + value + "}"
            let raw = try send(line, socket: h.socketPath, asNobody: false)
            let r = try JSONDecoder().decode(ControlResponse.self, from: Data(raw.utf8))
            #expect(!r.ok)
            let expected = value.hasSuffix("e400") ? "malformed request" : #"field "seconds" must be"#
            #expect(r.error?.contains(expected) == true, "\(line): \(raw)")
        }

        // A client one protocol version apart is told both versions, and nothing is done.
        for (line, version) in [(#"{"op":"shutoff","reason":"old leveectl"}"#, 1), (#"{"version":3,"op":"ping"}"#, 3)] {
            let raw = try send(line, socket: h.socketPath, asNobody: false)
            let r = try JSONDecoder().decode(ControlResponse.self, from: Data(raw.utf8))
            #expect(!r.ok && r.kind == .badRequest, "\(raw)")
            #expect(r.error == "protocol version \(version), daemon speaks 2", "\(raw)")
        }
        #expect(try h.status()?.defence?.latched == false)

        // Only levee-web's account (the daemon's own, or root) may name another user and role: a member of the
        // socket's group who claims to be an HTTP admin is refused, and nothing is bypassed.
        let claimed = try send(
            #"{"version":2,"op":"status","actor":{"user":"admin","address":"10.0.0.9","role":"admin"}}"#,
            socket: h.socketPath)
        let forged = try JSONDecoder().decode(ControlResponse.self, from: Data(claimed.utf8))
        #expect(!forged.ok && forged.kind == .forbidden, "\(claimed)")

        // Alive and still answering.
        #expect(try h.request(.ping).ok)
        #expect(try h.status()?.summary.hasPrefix("2/2 devices answering") == true)
        h.signal(SIGTERM)
        #expect(await h.waitForExit(20) == 0, "\(h.log)")
    }

    @Test func theHTTPShelveOf1e21IsRefusedAndGuessesDoNotLockOutAnOperator() async throws {
        typealias W = HTTPDaemonTests
        let h = try H()
        defer { h.stop() }
        let port = try W.freePort()
        try h.write(config: H.config(port: h.plant.tcpPort(server: "plc")!, withH2S: false, extra: W.users(port: port)))
        try h.start()
        try h.startWeb()
        let base = "http://127.0.0.1:\(port)"
        #expect(
            await W.eventually {
                (try? await W.call("GET", base + "/api/v1/whoami", token: "test-viewer"))?.status == 200
            },
            "\(h.log)")

        // The tester's request: an operator token, {"reason":"rt","seconds":1e21}.
        let shelve = try await W.call(
            "POST", base + "/api/v1/alarms/gas-a1.concentration.H/shelve", token: "test-operator",
            json: #"{"reason":"rt","seconds":1e21}"#)
        #expect(shelve.status == 400)
        #expect(shelve.body.contains(#"\"seconds\" 1e+21 is outside 1...2592000 seconds"#), "\(shelve.body)")

        // Someone on the same address guesses tokens until limited; the operator is still served.
        for _ in 0..<6 { _ = try await W.call("GET", base + "/api/v1/status", token: "guess") }
        #expect(try await W.call("GET", base + "/api/v1/status", token: "guess").status == 429)
        #expect(try await W.call("GET", base + "/api/v1/status", token: "test-operator").status == 200)

        #expect(try h.request(.ping).ok)
        h.signal(SIGTERM)
        #expect(await h.waitForExit(20) == 0, "\(h.log)")
    }

    @Test func leveectlRefusesARelativeTimeBeyondAHundredYears() throws {
        let h = try H()
        defer { h.stop() }
        let ctl = try #require(H.binaries).appendingPathComponent("leveectl")
        for from in ["-1e300d", "-36526d", "-infh", "-nanm"] {
            let p = Process()
            p.executableURL = ctl
            p.arguments = [
                "history", "export", "--config", h.configPath, "--point", "gas-a1.concentration", "--from=\(from)",
            ]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            try p.run()
            p.waitUntilExit()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(p.terminationReason == .exit && p.terminationStatus == 1, "\(from): \(text)")
            #expect(text.contains("leveectl: --from \"\(from)\" is not a time"), "\(from): \(text)")
        }
    }

    static let rtuBus = """

        [buses.rtu]
        type = "modbus-rtu"
        device = "/dev/ttyUSB9"
        baud = 9223372036854775807

        """

    @Test func aHugeBaudIsRefusedByRunAndByReload() async throws {
        let h = try H()
        defer { h.stop() }
        let port = h.plant.tcpPort(server: "plc")!
        let good = H.config(port: port, withH2S: false)
        // `leveed run` with the file refuses to start, with the key path, and exits 1: no crash.
        try h.write(config: good + Self.rtuBus)
        try h.start()
        #expect(await h.waitForExit(30) == 1, "\(h.log)")
        #expect(h.log.contains("levee.toml: buses.rtu.baud 9223372036854775807 is outside 300...4000000"), "\(h.log)")

        // A running daemon sent SIGHUP with the file keeps its configuration and runs on.
        let running = try H()
        defer { running.stop() }
        let runningPort = running.plant.tcpPort(server: "plc")!
        try running.write(config: H.config(port: runningPort, withH2S: false))
        try running.start()
        #expect(await H.wait { try running.status()?.summary.hasPrefix("2/2 devices answering") == true })
        try running.write(config: H.config(port: runningPort, withH2S: false) + Self.rtuBus)
        running.signal(SIGHUP)
        #expect(await H.wait { running.log.contains("configuration rejected; keeping the running one") })
        #expect(running.log.contains("buses.rtu.baud 9223372036854775807 is outside 300...4000000"), "\(running.log)")
        #expect(try running.request(.ping).ok)
        running.signal(SIGTERM)
        #expect(await running.waitForExit(20) == 0, "\(running.log)")
    }

    @Test func aHugeStrokeMarginIsRefusedBeforeTheValveCanMove() async throws {
        let h = try H()
        defer { h.stop() }
        let port = h.plant.tcpPort(server: "plc")!
        let text = H.config(port: port, withH2S: false)
            .replacingOccurrences(of: "stroke_s = 1.0\n", with: "stroke_s = 1.0\nstroke_margin = 1e20\n")
        #expect(text.contains("stroke_margin = 1e20"))
        try h.write(config: text)
        try h.start()
        #expect(await h.waitForExit(30) == 1, "\(h.log)")
        #expect(
            h.log.contains(#"levee.toml: devices[1] "rain-outlet-1": stroke_margin 1e+20 is outside 1...10"#),
            "\(h.log)")
    }
}
