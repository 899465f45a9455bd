import ControlAPI
import Digest
import Foundation
import Historian
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

@testable import WebAPI

/// The tokens of the three test users, and their hashes as `sha256sum` prints them.
enum Tokens {
    static let viewer = "bureau-token-1"
    static let `operator` = "control-room-token-2"
    static let admin = "safety-engineer-token-3"

    static let users = [
        APIUser(name: "eco-bureau", role: .viewer, tokenSHA256: SHA256.hex(Array(viewer.utf8))),
        APIUser(name: "control-room", role: .operator, tokenSHA256: SHA256.hex(Array(`operator`.utf8))),
        APIUser(name: "safety", role: .admin, tokenSHA256: SHA256.hex(Array(admin.utf8))),
    ]

    static func token(for role: APIRole) -> String {
        switch role {
        case .viewer: viewer
        case .operator: `operator`
        case .admin: admin
        }
    }
}

/// A daemon that records what it was asked and answers from a script.
final class FakeBackend: LeveeBackend {
    private let log = Mutex<[(command: ControlCommand, caller: Caller)]>([])
    /// Commands with this reason are refused, as the daemon refuses a reset while a button is pressed.
    static let refusingReason = "please refuse"
    /// How long an action waits before answering, when set (for timeouts).
    let delay = Mutex<Duration?>(nil)

    var requests: [ControlCommand] { log.withLock { $0.map(\.command) } }
    var callers: [Caller] { log.withLock { $0.map(\.caller) } }
    /// The commands other than the `status` the stream and history ask for on their own.
    var actions: [ControlCommand] { requests.filter { $0 != .status } }

    func handle(_ command: ControlCommand, caller: Caller) async -> ControlResult {
        log.withLock { $0.append((command, caller)) }
        if let delay = delay.withLock({ $0 }) { try? await Task.sleep(for: delay) }
        if case .reset(Self.refusingReason, _) = command {
            return .failure(ControlRefusal(.conflict, "reset refused: button b1 pressed"))
        }
        switch command {
        case .status: return .success(.status(Self.status))
        case .alarms: return .success(.alarms([Self.alarm]))
        case .drills: return .success(.drills([Self.drill]))
        case .drillCheck(let plan): return .success(.drillCheck(Self.check(plan ?? "plant-wide")))
        case .drillReport(let drill, let format):
            guard drill == Self.drill.id || drill == "latest" else {
                return .failure(ControlRefusal(.notFound, "no drill report \"\(drill ?? "")\""))
            }
            let report =
                switch format {
                case "html":
                    "<!doctype html><html><head><style>h1{color:red}</style></head><body><h1>演练</h1></body></html>"
                case "md": "# 验证演练\n"
                default: #"{"id":"d-1","plan":"plant-wide"}"#
                }
            return .success(.report(report))
        default: return .success(.done("\(command.op.rawValue) done"))
        }
    }

    static let t0 = Date(timeIntervalSince1970: 1_740_787_200)

    static let status: SiteStatus = {
        var status = SiteStatus(
            site: "hongda", siteName: "宏达化工", timeZone: "Asia/Shanghai", generatedAt: t0,
            summary: "1/1 devices answering",
            devices: [
                DeviceStatus(
                    id: "gas-a1", name: "罐区A可燃气体", kind: "gas", line: "risk-unit", bus: "rtu", answering: true,
                    lastError: nil,
                    points: [
                        PointStatus(name: "concentration", value: 3.5, unit: "%LEL", quality: "good", readAt: t0),
                        PointStatus(name: "fresh", value: nil, unit: "", quality: "initial", readAt: nil),
                    ], valve: nil)
            ],
            historian: HistorianSummary(
                healthy: true, path: "/tmp/x.db", lastError: nil, bufferedReadings: 0, droppedReadings: 0))
        status.alarms = [alarm]
        status.defence = DefenceSummary(latched: false, drill: false, trips: [], steps: [], escalations: [])
        return status
    }()

    static let alarm = AlarmEntry(
        id: "gas-a1.concentration.HH", point: "gas-a1.concentration", priority: "critical", state: "unacknowledged",
        conditionActive: true, value: 52, message: "可燃气体浓度高高报警", group: "tank-farm-A", firstOut: true, since: t0,
        shelvedUntil: nil, user: nil, reason: nil)

    static let drill = DrillEntry(
        id: "d-1", plan: "plant-wide", live: true, startedAt: t0, finishedAt: t0 + 60, startedBy: "control-room")

    static func check(_ plan: String) -> DrillCheck {
        DrillCheck(
            plan: plan, checkedAt: t0,
            items: [
                DrillCheckItem(
                    step: "close-rain-outlet-1", device: "rain-outlet-1", operation: "close-valve", location: "东门",
                    reachable: true, mode: "remote", position: "open", faultFree: true, problems: [])
            ])
    }
}

/// A monotonic clock the test moves by hand, for the login limiter.
final class ManualClock: Sendable {
    private let base = ContinuousClock.now
    private let offset = Mutex<Duration>(.zero)
    /// The wall-clock "now" queries see; the real time when nil.
    let dateNow: Date?

    init(dateNow: Date? = nil) { self.dateNow = dateNow }

    func advance(_ d: Duration) { offset.withLock { $0 += d } }

    var apiClock: APIClock {
        APIClock(now: { [self] in base + offset.withLock { $0 } }, date: { [dateNow] in dateNow ?? Date() })
    }
}

/// A server over a fake backend and a fresh historian in a scratch folder, with a dashboard folder and a file
/// outside it that no request may reach.
struct TestServer {
    let folder: URL
    let historian: Historian
    let backend = FakeBackend()
    /// Fed by `historian` in process: the live streams' journal.
    let journal = JournalHub()
    let clock: ManualClock
    let server: WebServer

    init(
        _ name: String = #function, loginFailures: Int = 5, maxHistoryPoints: Int = 1000,
        chartJS: URL? = URL(fileURLWithPath: "/usr/share/javascript/chart.js/chart.min.js"),
        requestTimeout: Duration = .seconds(40), pollInterval: Duration = .milliseconds(50), dateNow: Date? = nil,
        idleTimeout: Duration = .seconds(30)
    ) throws {
        clock = ManualClock(dateNow: dateNow)
        let safe = name.filter { $0.isLetter || $0.isNumber }
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("levee-web-\(safe)-\(UUID().uuidString.prefix(8))")
        let dashboard = folder.appendingPathComponent("dashboard")
        try FileManager.default.createDirectory(
            at: dashboard.appendingPathComponent("js"), withIntermediateDirectories: true)
        try "<!doctype html><title>Levee</title>".write(
            to: dashboard.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        try "console.log('levee')".write(
            to: dashboard.appendingPathComponent("js/app.js"), atomically: true, encoding: .utf8)
        try "body{}".write(to: dashboard.appendingPathComponent("style.css"), atomically: true, encoding: .utf8)
        try "top secret".write(to: folder.appendingPathComponent("secret.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            at: dashboard.appendingPathComponent("escape.txt"),
            withDestinationURL: folder.appendingPathComponent("secret.txt"))
        historian = Historian(
            configuration: HistorianConfiguration(
                path: folder.appendingPathComponent("h.db").path, batchInterval: 0.02, busyTimeout: 0.1,
                maxRetryInterval: 0.1, prunesAutomatically: false),  // dated rows, which retention would delete
            logger: Logger(label: "web-tests", factory: { _ in SwiftLogNoOpLogHandler() }))
        var configuration = WebServerConfiguration(
            host: "127.0.0.1", port: 0, users: Tokens.users, loginFailures: loginFailures,
            loginWindow: .seconds(60), maxHistoryPoints: maxHistoryPoints, dashboardDirectory: dashboard,
            chartJS: chartJS, requestTimeout: requestTimeout, streamPollInterval: pollInterval,
            statusInterval: .milliseconds(200), keepaliveInterval: .seconds(1))
        configuration.idleTimeout = idleTimeout
        journal.follow(historian)
        server = try WebServer(
            configuration: configuration,
            backend: backend, historian: historian, journal: journal,
            logger: Logger(label: "web-tests", factory: { _ in SwiftLogNoOpLogHandler() }), clock: clock.apiClock)
    }

    func remove() {
        historian.close()
        try? FileManager.default.removeItem(at: folder)
    }

    /// Runs `body` against the router (no sockets), then removes the scratch folder.
    func test<T>(_ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        defer { remove() }
        return try await server.makeApplication().test(.router, body)
    }
}

extension TestClientProtocol {
    /// A request with the role's token (none when nil) and a JSON body when given.
    @discardableResult
    func send(
        _ method: HTTPRequest.Method, _ uri: String, as role: APIRole?, json: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = extra
        if let role { headers[.authorization] = "Bearer \(Tokens.token(for: role))" }
        if json != nil { headers[.contentType] = "application/json" }
        return try await execute(
            uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    /// The body parsed as JSON.
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(text.utf8)) }

    /// The `error` of a JSON error body.
    var error: String? { (json as? [String: Any])?["error"] as? String }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder.control.decode(type, from: Data(text.utf8))
    }
}

/// Polls `condition` until it holds; the deadline only bounds a broken test.
func waitUntil(_ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("timed out waiting for \(what)")
            return
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}
