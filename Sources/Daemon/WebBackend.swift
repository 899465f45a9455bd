import Config
import ControlAPI
import Foundation
import Logging
import ServiceLifecycle
import WebAPI

/// The HTTP API's way into the daemon: each request runs through `ControlHandler`, exactly as on the control
/// socket, with the token's user and the client's address in the journal and the admin role for bypasses and
/// reset overrides. The server's own deadline bounds it.
struct WebBackend: LeveeBackend {
    let handler: @Sendable (ControlCommand, Requester) async -> ControlResult

    func handle(_ command: ControlCommand, caller: Caller) async -> ControlResult {
        await handler(command, Requester(ControlActor(user: caller.user, address: caller.address, role: caller.role)))
    }

    /// The server's accounts from `[[users]]`.
    static func users(_ config: LeveeConfig) -> [APIUser] {
        config.users.map { u in
            APIUser(name: u.name, role: APIRole(rawValue: u.role.rawValue) ?? .viewer, tokenSHA256: u.tokenSHA256)
        }
    }
}

/// Runs the HTTP API so that its failure (the port taken, say) never stops the daemon: the plant keeps being polled
/// and protected without a dashboard, and the reason is logged at critical.
struct WebService: Service {
    let server: WebServer
    let listen: String
    let logger: Logger

    func run() async throws {
        do {
            try await server.run()
        } catch {
            logger.critical(
                "HTTP API stopped; leveed carries on without it",
                metadata: ["listen": "\(listen)", "error": "\(error)"])
            try? await gracefulShutdown()
        }
    }
}
