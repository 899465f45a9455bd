import Config
import ControlAPI
import Foundation
import WebAPI

/// The HTTP API's way into the daemon: each request runs through `ControlHandler`, exactly as on the control
/// socket, with the token's user and the client's address in the journal and the admin role for bypasses and
/// reset overrides.
///
/// `ControlHandler.handle` waits on a semaphore for up to its own timeout, so it is run on a dispatch thread, never
/// on one of the two threads of the cooperative pool the HTTP server and the services share.
struct WebBackend: LeveeBackend {
    let handler: @Sendable (ControlRequest, Requester) -> ControlResponse

    func handle(_ request: ControlRequest, caller: Caller) async -> ControlResponse {
        let requester = Requester(
            user: caller.user, from: "http \(caller.address)", isAdmin: caller.role == .admin, viaHTTP: true)
        return await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(returning: handler(request, requester))
            }
        }
    }

    /// The server's accounts from `[[users]]`.
    static func users(_ config: LeveeConfig) -> [APIUser] {
        config.users.map { u in
            APIUser(name: u.name, role: APIRole(rawValue: u.role.rawValue) ?? .viewer, tokenSHA256: u.tokenSHA256)
        }
    }
}
