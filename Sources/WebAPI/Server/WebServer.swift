import Foundation
import Historian
import Hummingbird
import Logging
import ServiceLifecycle

/// The HTTP API and web dashboard: the control room, the park's emergency team and the ecology bureau, each with
/// a role.
///
/// Add it to the daemon's `ServiceGroup`: ``run()`` serves until graceful shutdown, then ends every live stream and
/// waits for the requests in flight. Requests reach the plant only through ``LeveeBackend``, after their token and
/// role are checked; history and events come straight from the historian's database (``HistoryReading``), and the
/// live streams follow the journal through ``JournalHub``, reading the database only to catch up.
public struct WebServer: Service {
    /// The largest request body accepted (413 beyond).
    public static let maximumBodySize = 64 * 1024

    let api: API

    /// - Throws: ``WebServerConfigurationError`` when a user's hash is not 64 hex digits or a name is used twice.
    public init(
        configuration: WebServerConfiguration, backend: some LeveeBackend, historian: any HistoryReading,
        journal: JournalHub, logger: Logger
    ) throws {
        try self.init(
            configuration: configuration, backend: backend, historian: historian, journal: journal, logger: logger,
            clock: .system)
    }

    init(
        configuration: WebServerConfiguration, backend: some LeveeBackend, historian: any HistoryReading,
        journal: JournalHub, logger: Logger,
        clock: APIClock
    ) throws {
        api = API(
            configuration: configuration, backend: backend, historian: historian, journal: journal, logger: logger,
            accounts: API.Accounts(try Authenticator(users: configuration.users)),
            limiter: API.Limiter(
                LoginLimiter(limit: configuration.loginFailures, window: configuration.loginWindow)),
            clock: clock,
            files: StaticFiles(dashboard: configuration.dashboardDirectory, chartJS: configuration.chartJS))
    }

    /// Replaces the accounts, for a configuration reload: a removed user's token stops working with the next
    /// request, a live stream already open included at its next reconnection.
    ///
    /// - Throws: ``WebServerConfigurationError`` as ``init(configuration:backend:historian:logger:)`` does; the
    ///   accounts in use are then kept.
    public func updateUsers(_ users: [APIUser]) throws {
        let authenticator = try Authenticator(users: users)
        api.accounts.current.withLock { $0 = authenticator }
        api.logger.info("HTTP API accounts replaced", metadata: ["users": "\(users.count)"])
    }

    /// Serves until graceful shutdown.
    public func run() async throws {
        let configuration = api.configuration
        api.logger.info(
            "HTTP API listening",
            metadata: [
                "address": "\(configuration.host):\(configuration.port)", "users": "\(configuration.users.count)",
                "dashboard": "\(api.files.dashboard?.path ?? "not installed")",
            ])
        try await makeApplication().run()
    }

    /// The Hummingbird application, for tests (`app.test(.router)`) or to run inside another service group.
    public func makeApplication() -> some ApplicationProtocol {
        let limits = api.configuration
        let (seconds, attoseconds) = limits.idleTimeout.components
        let idleNanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        return Application(
            router: makeRouter(),
            server: .http1(configuration: .init(idleTimeout: .nanoseconds(idleNanoseconds))),
            configuration: .init(
                address: .hostname(limits.host, port: limits.port), serverName: nil,
                availableConnectionsDelegate: .maximum(limits.maxConnections, logger: api.logger)),
            logger: api.logger)
    }

    /// Every endpoint the API serves: method and path as the OpenAPI document writes them.
    var documentedRoutes: [(method: String, path: String)] {
        (api.routes.map { ($0.method, $0.path) } + API.publicRoutes).map { ($0.method.rawValue, $0.path) }
    }

    func makeRouter() -> Router<WebContext> {
        let router = Router(context: WebContext.self)
        router.add(middleware: APIMiddleware(logger: api.logger))
        let api = api
        for route in api.routes {
            router.on(RouterPath(route.path), method: route.method) { request, context in
                let caller = try api.authorize(request, context, route.role)
                return try await route.handler(request, context, caller)
            }
        }
        router.get("/openapi.json") { _, _ in
            guard let url = api.files.openAPI else { throw APIError.notFound("the OpenAPI document is not installed") }
            return try StaticFiles.file(at: url, name: "openapi.json", contentType: "application/json")
        }
        router.get("/api/v1/messages") { request, _ in try API.messages(request) }
        router.get("/vendor/chart.js") { _, _ in
            guard let url = api.files.chartJS else { throw APIError.notFound("Chart.js is not installed") }
            return try StaticFiles.file(
                at: url, name: "chart.js (install Debian's libjs-chart.js)",
                contentType: "text/javascript; charset=utf-8")
        }
        router.get("/") { request, _ in try api.files.dashboardResponse(path: request.uri.path) }
        router.get("/**") { request, _ in
            let path = request.uri.path
            if path == "/api" || path.hasPrefix("/api/") {
                throw APIError.notFound("no such endpoint: GET \(path)")
            }
            return try api.files.dashboardResponse(path: path)
        }
        return router
    }
}
