import ArgumentParser
import Config
import ControlAPI
import Foundation
import Historian
import JournalLog
import LeveeVersion
import Logging
import ServiceLifecycle
import UnixSignals
import WebAPI

/// `levee-web --config FILE`: the HTTP API, the dashboard, the live streams and `/metrics`, as a process apart from
/// leveed.
///
/// It reads the same configuration file as leveed: `[http]` and `[[users]]` for itself, `[daemon] control_socket`
/// to reach leveed, `[historian] path` to read history and the journal. It holds no plant state: every status and
/// every action goes to leveed as a typed command over the control socket, naming the token's user, role and the
/// client's address, so the daemon journals them and checks the role as it always has. A crash, hang or overload
/// here costs the control room its dashboard, never the plant its polling, alarms or shutoff.
@main
struct LeveeWeb: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "levee-web",
        abstract: "Serve Levee's HTTP API and dashboard, talking to leveed over its control socket.",
        discussion: """
            SIGTERM or SIGINT stop it gracefully (live streams end, requests in flight finish). SIGHUP rereads the \
            configuration's [[users]]; a file with mistakes is refused and the running accounts kept. Exits 0 at once \
            when [http] is not enabled (nothing to serve), 78 (EX_CONFIG) when the configuration is invalid or \
            names no [[users]], which the unit does not restart, and 2 when the port cannot be bound.
            """,
        version: LeveeVersion.current)

    @Option(name: .long, help: "The configuration file (the same as leveed's).")
    var config: String

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        JournalLogHandler.bootstrap(level: logLevel)
        let logger = Logger(label: "levee-web")
        let settings: LeveeConfig
        do {
            settings = try ConfigLoader.load(path: config)
        } catch {
            for line in error.lines { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            logger.critical("configuration invalid; not starting", metadata: ["file": "\(config)"])
            throw ExitCode(Self.configurationError)
        }
        guard settings.http.enabled else {
            logger.notice("[http] is not enabled: nothing to serve; not starting", metadata: ["file": "\(config)"])
            return
        }
        guard !settings.users.isEmpty else {
            logger.critical(
                "[[users]] gives no account, so no request could be let in; not starting",
                metadata: ["file": "\(config)"])
            throw ExitCode(Self.configurationError)
        }
        let backend = SocketBackend(socket: settings.daemon.controlSocket, logger: logger)
        backend.feed.start()
        defer { backend.feed.stop() }
        let server: WebServer
        do {
            server = try WebServer(
                configuration: WebServerConfiguration(
                    host: settings.http.host, port: settings.http.port, users: Self.users(settings),
                    loginFailures: settings.http.loginFailures,
                    loginWindow: .seconds(settings.http.loginWindowSeconds),
                    maxHistoryPoints: settings.http.maxHistoryPoints,
                    metrics: { await backend.metrics() }),
                backend: backend, historian: HistorianReader(path: settings.historian.path),
                journal: backend.feed.journal, logger: logger)
        } catch {
            logger.critical("HTTP API cannot be set up; not starting", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        var groupConfig = ServiceGroupConfiguration(
            services: [
                .init(service: AccountsReload(path: config, server: server, logger: logger)),
                .init(service: server, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        groupConfig.maximumGracefulShutdownDuration = .seconds(10)
        groupConfig.maximumCancellationDuration = .seconds(5)
        logger.notice(
            "levee-web starting",
            metadata: [
                "listen": "\(settings.http.listen)", "socket": "\(settings.daemon.controlSocket)",
                "database": "\(settings.historian.path)",
            ])
        do {
            try await ServiceGroup(configuration: groupConfig).run()
        } catch {
            logger.critical("HTTP API stopped", metadata: ["listen": "\(settings.http.listen)", "error": "\(error)"])
            throw ExitCode(2)
        }
        logger.notice("levee-web stopped")
    }

    /// EX_CONFIG from sysexits.h: levee-web.service names it in `RestartPreventExitStatus=`, so a file that cannot be
    /// served is reported once instead of being retried every two seconds until systemd's start limit.
    static let configurationError: Int32 = 78

    /// The server's accounts from `[[users]]`.
    static func users(_ config: LeveeConfig) -> [APIUser] {
        config.users.map { u in
            APIUser(name: u.name, role: APIRole(rawValue: u.role.rawValue) ?? .viewer, tokenSHA256: u.tokenSHA256)
        }
    }
}

/// SIGHUP: the accounts are read again from the file; a file with mistakes changes nothing.
struct AccountsReload: Service {
    let path: String
    let server: WebServer
    let logger: Logger

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            do {
                try server.updateUsers(LeveeWeb.users(try ConfigLoader.load(path: path)))
            } catch {
                logger.error(
                    "HTTP accounts not reloaded; keeping the running ones",
                    metadata: ["file": "\(path)", "error": "\(error)"])
            }
        }
    }
}
