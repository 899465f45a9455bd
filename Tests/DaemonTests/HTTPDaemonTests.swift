import ControlAPI
import Foundation
import Historian
import LeveeTestSupport
import PlantSim
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The HTTP API inside the real daemon: tokens and roles against the real shutoff, the journal's user and
/// address, Prometheus metrics from the running buses, and leveectl over HTTP.
@Suite(.serialized)
struct HTTPDaemonTests {
    typealias H = DaemonHarness

    /// SHA-256 of "test-viewer", "test-operator" and "test-admin".
    static func users(port: Int) -> String {
        """

        [http]
        listen = "127.0.0.1:\(port)"

        [[users]]
        name = "bureau"
        role = "viewer"
        token_sha256 = "bd02452d9f0e44b30a7eda3ca6ff0c87decc20740fd63183b29873d2ee05fef8"

        [[users]]
        name = "zhang-wei"
        role = "operator"
        token_sha256 = "1a3bde4175d7cfb457a7710efe93909a67389f0b4b64e25ce75d182308f2f738"

        [[users]]
        name = "safety"
        role = "admin"
        token_sha256 = "db09d473d4b6461b91bfa47e4fed3ef55e0234df4132ca7a827b0a69e8927cac"

        """
    }

    /// A port for a server a test starts (see `TestPorts`).
    static func freePort() throws -> Int { TestPorts.next() }

    /// A TCP socket bound to a free loopback port the system chose, and that port; the caller closes it.
    static func boundSocket() -> (fd: Int32, port: Int) { TestPorts.boundSocket() }

    /// Starts leveed and levee-web with the HTTP API on a port from `TestPorts` and waits until the API answers.
    /// If another process took the port first (levee-web logs that its API stopped and exits), levee-web is
    /// restarted on another port: a test that loses that race retries, it does not fail.
    /// - Returns: the API's base URL.
    static func startWithAPI(_ h: H) async throws -> String {
        let plc = try #require(h.plant.tcpPort(server: "plc"))
        for attempt in 1...5 {
            let port = TestPorts.next()
            try h.write(config: DefencePlant.config(port: plc, directory: h.directory, extra: users(port: port)))
            if attempt == 1 { try h.start() }
            try h.startWeb()
            let base = "http://127.0.0.1:\(port)"
            var answered = false
            _ = await eventually {
                answered = (try? await call("GET", base + "/api/v1/whoami", token: "test-viewer"))?.status == 200
                return answered || h.web?.isRunning == false
            }
            if answered { return base }
            h.killWeb()
        }
        Issue.record("the HTTP API never answered: \(h.log)")
        throw TestFailure("the HTTP API never answered")
    }

    struct Reply {
        var status: Int
        var body: String
    }

    static func call(_ method: String, _ url: String, token: String?, json: String? = nil) async throws -> Reply {
        var request = URLRequest(url: URL(string: url)!, timeoutInterval: 15)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(json.utf8)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return Reply(
            status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: String(decoding: data, as: UTF8.self))
    }

    /// Polls an async condition, like `DaemonHarness.wait`.
    static func eventually(_ seconds: Double = 20, _ condition: () async -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return await condition()
    }

    @Test func rolesGuardTheRealShutoffAndTheJournalNamesTheTokenUser() async throws {
        let h = try H(scenario: DefencePlant.scenario)
        defer { h.stop() }
        let base = try await Self.startWithAPI(h)
        #expect(await H.wait { try h.status()?.summary.hasPrefix("8/8 devices answering") == true })

        // The bureau reads, and cannot move anything.
        let status = try await Self.call("GET", base + "/api/v1/status", token: "test-viewer")
        #expect(status.status == 200 && status.body.contains("rain-outlet-1"))
        let refused = try await Self.call(
            "POST", base + "/api/v1/shutoff", token: "test-viewer", json: #"{"reason":"test"}"#)
        #expect(refused.status == 403)
        let anonymous = try await Self.call("POST", base + "/api/v1/shutoff", token: nil, json: #"{"reason":"x"}"#)
        #expect(anonymous.status == 401)
        #expect(try h.status()?.defence?.latched == false)

        // The operator trips it; the journal names the token's user and where the request came from.
        let trip = try await Self.call(
            "POST", base + "/api/v1/shutoff", token: "test-operator", json: #"{"reason":"spill seen on camera 3"}"#)
        #expect(trip.status == 200, "\(trip.body)")
        #expect(try h.status()?.defence?.trips.first?.contains("zhang-wei from http 127.0.0.1") == true)
        #expect(await H.wait { h.plant.valve("rain-outlet-1")?.closedLimit == true })
        // Only an administrator may override a reset; an operator asking is refused before the daemon sees it.
        let override = try await Self.call(
            "POST", base + "/api/v1/reset", token: "test-operator", json: #"{"reason":"x","override":true}"#)
        #expect(override.status == 403)

        // Metrics come from the running buses and the shutoff (sampled every 5 s).
        var metrics = ""
        #expect(
            await Self.eventually {
                metrics = (try? await Self.call("GET", base + "/metrics", token: "test-viewer"))?.body ?? ""
                return metrics.contains(#"levee_poll_requests_total{bus="plc""#)
                    && metrics.contains("levee_shutoff_latched 1")
            }, "\(metrics.prefix(3000))")
        #expect(metrics.contains("levee_command_latency_seconds_bucket"))
        #expect(metrics.contains(#"levee_alarms_active{priority="critical"}"#))
        #expect(metrics.contains("# TYPE levee_historian_dropped_readings_total counter"), "\(metrics.prefix(3000))")
        #expect(Self.expositionProblems(metrics) == [], "\(metrics.prefix(6000))")
        // Counters exist from the first sample, at 0 before anything happened.
        #expect(metrics.contains(#"levee_poll_failures_total{bus="plc""#), "\(metrics.prefix(3000))")
        // The Grafana dashboard asks only for families the daemon exports, each filtered by $site and $instance.
        let types = metrics.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }
        let families = Set(types.map { String($0.split(separator: " ")[2]) })
        for expr in try Self.grafanaExpressions() {
            let names = expr.matches(of: /levee_[a-z_]+/).map { String($0.output) }
            #expect(!names.isEmpty, "\(expr)")
            for name in names {
                let family = name.hasSuffix("_bucket") ? String(name.dropLast("_bucket".count)) : name
                #expect(families.contains(family), "\(name) in the dashboard is not exported")
            }
            let filtered = expr.matches(of: /levee_[a-z_]+\{site=~"\$site", instance=~"\$instance"\}/).count
            #expect(filtered == names.count, "not every selector filters by $site and $instance: \(expr)")
        }
        #expect(try await Self.call("GET", base + "/metrics", token: nil).status == 401)

        // After a reset, the restore's dry run answers what would move and moves nothing.
        let reset = try await Self.call(
            "POST", base + "/api/v1/reset", token: "test-operator", json: #"{"reason":"spill contained"}"#)
        #expect(reset.status == 200, "\(reset.body)")
        let dry = try await Self.call(
            "POST", base + "/api/v1/restore", token: "test-operator", json: #"{"dryRun":true}"#)
        #expect(dry.status == 200 && dry.body.contains(#""device":"rain-outlet-1""#), "\(dry.body)")
        #expect(try h.status()?.defence?.plan == "plant-wide")

        // The ledger names the token's user, the address and the operator's own reason on each command.
        h.signal(SIGTERM)
        #expect(await h.waitForExit(15) == 0, "\(h.log)")
        let close = try await h.commands().first { $0.device == "rain-outlet-1" && $0.command == "close" }
        #expect(close?.user == "zhang-wei", "\(String(describing: close))")
        #expect(close?.source.hasPrefix("http 127.0.0.1; shutoff step close-rain-outlet-1") == true)
        #expect(close?.reason == "spill seen on camera 3")
    }

    /// The API is levee-web's: a port it cannot bind stops levee-web (for systemd to restart), never leveed.
    @Test func aTakenPortStopsOnlyTheAPINotTheDaemon() async throws {
        // Someone else listens on the port.
        let (fd, port) = Self.boundSocket()
        defer { close(fd) }
        #expect(listen(fd, 1) == 0)

        let h = try H(scenario: DefencePlant.scenario)
        defer { h.stop() }
        try h.write(
            config: DefencePlant.config(
                port: h.plant.tcpPort(server: "plc")!, directory: h.directory, extra: Self.users(port: port)))
        try h.start()
        try h.startWeb()
        #expect(await H.wait { h.log.contains("HTTP API stopped") && h.web?.isRunning == false }, "\(h.log)")
        #expect(h.web?.terminationStatus == 2)
        #expect(h.process?.isRunning == true)
        #expect(await H.wait { try h.status()?.summary.hasPrefix("8/8 devices answering") == true }, "\(h.log)")
        #expect(try h.request(.shutoff(plan: nil, reason: "still protected")).ok)
        #expect(await H.wait { h.plant.valve("rain-outlet-1")?.closedLimit == true })
    }

    /// What is wrong with a Prometheus text exposition: a family without `# HELP` text or `# TYPE`, a counter not
    /// named `_total`, a sample of no declared family. Empty when nothing is.
    static func expositionProblems(_ text: String) -> [String] {
        var help: [String: String] = [:]
        var type: [String: String] = [:]
        var samples: [String] = []
        for line in text.split(separator: "\n").map(String.init) where !line.isEmpty {
            let words = line.split(separator: " ", maxSplits: 3).map(String.init)
            if line.hasPrefix("# HELP "), words.count >= 3 {
                help[words[2]] = words.count == 4 ? words[3] : ""
            } else if line.hasPrefix("# TYPE "), words.count == 4 {
                type[words[2]] = words[3]
            } else if !line.hasPrefix("#") {
                samples.append(String(line.prefix { $0 != "{" && $0 != " " }))
            }
        }
        var problems: [String] = []
        if type.isEmpty { problems.append("no families at all") }
        for (name, kind) in type.sorted(by: { $0.key < $1.key }) {
            if (help[name] ?? "").trimmingCharacters(in: .whitespaces).isEmpty { problems.append("\(name): no HELP") }
            if kind == "counter" && !name.hasSuffix("_total") { problems.append("\(name): a counter not named _total") }
            if name.hasSuffix("_total") && kind != "counter" { problems.append("\(name): _total but a \(kind)") }
        }
        for name in Set(help.keys).subtracting(type.keys) { problems.append("\(name): HELP without TYPE") }
        for sample in Set(samples) {
            let family =
                [sample]
                + ["_bucket", "_sum", "_count"].filter { sample.hasSuffix($0) }
                .map { String(sample.dropLast($0.count)) }
            if !family.contains(where: { type[$0] != nil }) { problems.append("\(sample): a sample of no family") }
        }
        return problems.sorted()
    }

    /// Every query of systemd/grafana-levee.json, after checking it declares the site and instance variables.
    static func grafanaExpressions() throws -> [String] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("systemd/grafana-levee.json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let variables = ((json["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? [])
            .compactMap { $0["name"] as? String }
        #expect(variables.contains("site") && variables.contains("instance"), "\(variables)")
        let panels = json["panels"] as? [[String: Any]] ?? []
        return panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
    }

    @Test func theExpositionCheckFindsWhatIsMissing() {
        let good = """
            # HELP levee_x_total Things.
            # TYPE levee_x_total counter
            levee_x_total{bus="plc"} 3
            # HELP levee_t_seconds Time.
            # TYPE levee_t_seconds histogram
            levee_t_seconds_bucket{le="0.1"} 1
            levee_t_seconds_sum 0.05
            levee_t_seconds_count 1
            """
        #expect(Self.expositionProblems(good) == [])
        let bad = """
            # TYPE levee_dropped counter
            levee_dropped 2
            # HELP levee_y_total Y.
            # TYPE levee_y_total gauge
            levee_y_total 1
            levee_z 4
            """
        #expect(
            Self.expositionProblems(bad) == [
                "levee_dropped: a counter not named _total", "levee_dropped: no HELP",
                "levee_y_total: _total but a gauge", "levee_z: a sample of no family",
            ])
    }

    @Test func leveectlTalksToTheAPIWithATokenFromTheEnvironment() async throws {
        let h = try H(scenario: DefencePlant.scenario)
        defer { h.stop() }
        let base = try await Self.startWithAPI(h)
        #expect(await H.wait { try h.status()?.summary.hasPrefix("8/8 devices answering") == true })
        let dir = try #require(H.binaries)
        func leveectl(_ args: [String], token: String) throws -> (Int32, String) {
            let p = Process()
            p.executableURL = dir.appendingPathComponent("leveectl")
            p.arguments = args + ["--url", base]
            var env = ProcessInfo.processInfo.environment
            env["LEVEE_TOKEN"] = token
            p.environment = env
            let pipe = Pipe()
            p.standardOutput = pipe
            p.standardError = pipe
            try p.run()
            p.waitUntilExit()
            return (
                p.terminationStatus, String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            )
        }
        let (statusCode, text) = try leveectl(["status"], token: "test-viewer")
        #expect(statusCode == 0, "\(text)")
        #expect(text.contains("rain-outlet-1"))
        let (denied, deniedText) = try leveectl(["shutoff", "--reason", "test"], token: "test-viewer")
        // Refused by the API for the token's role: exit 4 (refused), not 3 (the daemon unreachable).
        #expect(denied == 4, "\(deniedText)")
        #expect(deniedText.contains("HTTP 403"))
        let (ok, okText) = try leveectl(
            ["valve", "close", "valve-b-rain", "--reason", "proof test"], token: "test-operator")
        #expect(ok == 0, "\(okText)")
        #expect(await H.wait { h.plant.valve("valve-b-rain")?.closedLimit == true })
    }

    @Test func elevenHundredIdleConnectionsNeitherStarveTheBusesNorHoldDescriptors() async throws {
        // This test process holds the 1,100 connections itself, so it needs more than the usual 1024 descriptors.
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = max(limit.rlim_cur, min(limit.rlim_max, 4096))
        try #require(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 && limit.rlim_cur >= 1500)

        let h = try H(scenario: DefencePlant.scenario)
        defer { h.stop() }
        let base = try await Self.startWithAPI(h)
        let port = try #require(URLComponents(string: base)?.port)
        #expect(await H.wait { try h.status()?.summary.hasPrefix("8/8 devices answering") == true }, "\(h.log)")

        // 1,100 connections that never send a byte, as the hostile test opened.
        var idle: [Int32] = []
        defer { idle.forEach { close($0) } }
        for _ in 0..<1100 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            try #require(fd >= 0, "socket: \(String(cString: strerror(errno)))")
            var addr = sockaddr_in.loopback(port: port)
            _ = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            idle.append(fd)
        }
        try await Task.sleep(for: .seconds(2))

        // levee-web accepted no more than its cap: the rest wait in the kernel's queue, holding none of its
        // descriptors; and leveed, in a process of its own, holds none of them at all.
        let webPID = try #require(h.web?.processIdentifier)
        let open = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(webPID)/fd").count
        #expect(open < 512 + 100, "levee-web holds \(open) descriptors")
        let pid = try #require(h.process?.processIdentifier)
        let daemonOpen = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
        #expect(daemonOpen < 100, "leveed holds \(daemonOpen) descriptors")

        // The PLC drops every connection: the bus must open a new one, and does, while the flood holds on.
        try h.plant.inject(.drop, device: "rain-outlet-1", duration: 1)
        #expect(await H.wait(10) { try h.status()?.summary.hasPrefix("8/8 devices answering") == false })
        #expect(await H.wait(30) { try h.status()?.summary.hasPrefix("8/8 devices answering") == true }, "\(h.log)")
        #expect(!h.log.contains("Too many open files"), "\(h.log)")
        // And the one-key shutoff still works end to end.
        #expect(try h.request(.shutoff(plan: nil, reason: "flood test")).ok)
        #expect(await H.wait { h.plant.valve("rain-outlet-1")?.closedLimit == true })
    }
}
