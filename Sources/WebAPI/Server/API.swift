import ControlAPI
import Foundation
import Historian
import Hummingbird
import Logging
import Synchronization

/// One API endpoint: what it answers, who may call it, and the handler.
///
/// The router is built from ``API/routes`` and the OpenAPI test compares the document with the same list, so the
/// document cannot forget an endpoint.
struct Route: Sendable {
    var method: HTTPRequest.Method
    /// As OpenAPI writes it, which Hummingbird also understands: `/api/v1/drills/{id}`.
    var path: String
    /// The least role allowed.
    var role: APIRole
    var handler: @Sendable (Request, WebContext, Caller) async throws -> Response
}

/// The clock the API reads: monotonic time for the login limiter, wall time for "now" in queries. Tests replace it.
struct APIClock: Sendable {
    var now: @Sendable () -> ContinuousClock.Instant
    var date: @Sendable () -> Date

    static let system = APIClock(now: { ContinuousClock.now }, date: { Date() })
}

/// Everything the handlers share: the daemon, the historian, the accounts, the login limiter.
struct API: Sendable {
    let configuration: WebServerConfiguration
    let backend: any LeveeBackend
    let historian: any HistoryReading
    /// The journal as it is recorded, for the live streams.
    let journal: JournalHub
    let logger: Logger
    let accounts: Accounts
    let limiter: Limiter
    let clock: APIClock
    let files: StaticFiles

    /// The login limiter behind a lock; held only to read or count, never across an await.
    final class Limiter: Sendable {
        let state: Mutex<LoginLimiter>
        init(_ limiter: LoginLimiter) { state = Mutex(limiter) }
    }

    /// The accounts, replaced whole when the configuration is reloaded.
    final class Accounts: Sendable {
        let current: Mutex<Authenticator>
        init(_ authenticator: Authenticator) { current = Mutex(authenticator) }
    }

    // MARK: - Authentication

    /// The caller behind `request`, if its token is good and its role enough for `role`.
    ///
    /// Only failures are rate-limited: a valid token is always served, so that a guesser behind the same NAT as
    /// the control room cannot keep operators from tripping. An address that made too many failed attempts gets
    /// 429 for its further failed attempts instead of 401, which tells a guesser nothing more and counts nothing.
    ///
    /// - Throws: 401 for a missing or wrong token, with the same body either way; 429 (with `Retry-After`) instead
    ///   while the address has made too many failed attempts; 403 for a role below `role`.
    func authorize(_ request: Request, _ context: WebContext, _ role: APIRole) throws(APIError) -> Caller {
        let address = context.remoteAddress
        let token = request.headers[.authorization].flatMap(Authenticator.bearerToken)
        guard let user = token.flatMap({ token in accounts.current.withLock { $0.user(forToken: token) } }) else {
            let now = clock.now()
            if case .refused(let retryAfter) = limiter.state.withLock({ $0.check(address, at: now) }) {
                // Whole seconds, rounded up, so that a client waiting that long is let in.
                let c = retryAfter.components
                let seconds = max(1, c.seconds + (c.attoseconds > 0 ? 1 : 0))
                throw APIError(
                    status: .tooManyRequests, message: "too many failed logins from this address; try again later",
                    headers: [.retryAfter: "\(seconds)"])
            }
            // A request without the header is not a guess, so it is refused without being counted.
            if request.headers[.authorization] != nil {
                limiter.state.withLock { $0.recordFailure(address, at: now) }
                logger.notice("HTTP authentication failed", metadata: ["address": "\(address)"])
            }
            throw .unauthorized
        }
        guard user.role >= role else {
            logger.notice(
                "HTTP request refused for its role",
                metadata: [
                    "user": "\(user.name)", "role": "\(user.role.rawValue)", "path": "\(request.uri.path)",
                ])
            throw .forbidden
        }
        return Caller(user: user.name, role: user.role, address: address)
    }

    // MARK: - The daemon and the historian, bounded in time

    /// Sends `command` to the daemon, waiting at most `requestTimeout`.
    ///
    /// - Throws: 504 when the daemon did not answer in time; when it refused, the refusal's status (400, 403, 404,
    ///   409, 503) with its reason.
    func call(_ command: ControlCommand, _ caller: Caller) async throws -> ControlReply {
        let backend = backend
        let result = try await withDeadline(configuration.requestTimeout) {
            await backend.handle(command, caller: caller)
        }
        guard let result else {
            logger.warning("HTTP request timed out in the daemon", metadata: ["op": "\(command.op.rawValue)"])
            throw APIError(
                status: .gatewayTimeout,
                message:
                    "the daemon did not answer \(command.op.rawValue) within \(configuration.requestTimeout.spoken)")
        }
        switch result {
        case .success(let reply): return reply
        case .failure(let refusal): throw APIError(refusal)
        }
    }

    /// Reads from the historian, waiting at most `requestTimeout`.
    func read<T: Sendable>(_ what: String, _ body: @escaping @Sendable (any HistoryReading) async throws -> T)
        async throws -> T
    {
        let historian = historian
        let result: T?
        do {
            result = try await withDeadline(configuration.requestTimeout) { try await body(historian) }
        } catch let error as APIError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            logger.warning("HTTP history read failed", metadata: ["what": "\(what)", "error": "\(error)"])
            throw APIError(status: .serviceUnavailable, message: "the historian cannot be read: \(error)")
        }
        guard let result else {
            throw APIError(
                status: .gatewayTimeout,
                message: "the historian did not answer within \(configuration.requestTimeout.spoken)")
        }
        return result
    }

    // MARK: - Responses

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONEncoder.control.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func text(_ text: String, contentType: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = contentType
        return Response(status: .ok, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// The request's body as a JSON object, at most ``WebServer/maximumBodySize`` bytes.
    static func body(_ request: Request) async throws -> JSONBody {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: WebServer.maximumBodySize)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError(
                status: .contentTooLarge, message: "body: larger than \(WebServer.maximumBodySize / 1024) KiB")
        }
        return try JSONBody(Data(buffer.readableBytesView))
    }

    /// A path parameter, percent-decoded.
    static func parameter(_ context: WebContext, _ name: String) throws(APIError) -> String {
        guard let raw = context.parameters.get(name), let value = raw.removingPercentEncoding, !value.isEmpty else {
            throw .badRequest("\(name): missing from the path")
        }
        return value
    }
}

extension Duration {
    /// For messages: "40 s", or "200 ms" below a second.
    var spoken: String {
        let c = components
        if c.seconds >= 1 { return "\(c.seconds) s" }
        return "\(c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000) ms"
    }
}
