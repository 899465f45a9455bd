import ControlAPI
import Foundation
import Hummingbird
import Logging
import Messages

/// A request the API refuses, with the status and the message the client gets as `{"error": "..."}`.
///
/// Messages name the field at fault (`body: "reason" is required`, `from: ... is after to`), never a detail that
/// would help an attacker: a bad token and an unknown user both get plain "unauthorized".
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var message: String
    var headers: HTTPFields = [:]
    /// `message` as a catalogue message (sent as `errorText`), for the page to show in its language.
    var text: Message? = nil

    static let unauthorized = APIError(
        status: .unauthorized, message: "unauthorized", headers: [.wwwAuthenticate: "Bearer realm=\"levee\""])
    static let forbidden = APIError(status: .forbidden, message: "forbidden")

    static func badRequest(_ message: String) -> APIError { APIError(status: .badRequest, message: message) }
    static func notFound(_ message: String) -> APIError { APIError(status: .notFound, message: message) }
}

extension APIError {
    /// The daemon's refusal, with the status its kind maps to.
    init(_ refusal: ControlRefusal) {
        self.init(status: Self.status(of: refusal.kind), message: refusal.message, text: refusal.text)
    }

    static func status(of kind: ControlRefusal.Kind) -> HTTPResponse.Status {
        switch kind {
        case .badRequest: .badRequest
        case .notFound: .notFound
        case .conflict: .conflict
        case .forbidden: .forbidden
        case .unavailable: .serviceUnavailable
        }
    }
}

/// Turns every error into `{"error": "..."}` and adds the headers every response carries.
///
/// - `/api/…` and `/openapi.json`: `Cache-Control: no-store`, since status and alarms are stale the moment they
///   are cached.
/// - Every response: `X-Content-Type-Options: nosniff`.
/// - HTML: `X-Frame-Options: DENY` and, unless the route set its own, a Content-Security-Policy allowing only this
///   origin.
struct APIMiddleware: RouterMiddleware {
    typealias Context = WebContext

    static let dashboardPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            response = Self.errorResponse(error.status, error.message, text: error.text, headers: error.headers)
        } catch let error as any HTTPResponseError {
            let message: String =
                switch error.status {
                case .notFound: "no such endpoint: \(request.method) \(request.uri.path)"
                case .methodNotAllowed: "method \(request.method) is not allowed on \(request.uri.path)"
                case .contentTooLarge: "body: larger than \(WebServer.maximumBodySize / 1024) KiB"
                default: error.status.reasonPhrase
                }
            response = Self.errorResponse(error.status, message)
        } catch {
            logger.error(
                "HTTP request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            response = Self.errorResponse(.internalServerError, "internal error")
        }
        let path = request.uri.path
        if path.hasPrefix("/api/") || path == "/api" || path == "/openapi.json" {
            response.headers[.cacheControl] = "no-store"
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        if response.headers[.contentType]?.hasPrefix("text/html") == true {
            response.headers[.init("X-Frame-Options")!] = "DENY"
            if response.headers[.contentSecurityPolicy] == nil {
                response.headers[.contentSecurityPolicy] = Self.dashboardPolicy
            }
        }
        return response
    }

    static func errorResponse(
        _ status: HTTPResponse.Status, _ message: String, text: Message? = nil, headers: HTTPFields = [:]
    ) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        let body =
            (try? JSONEncoder.control.encode(ErrorBody(error: message, errorText: text)))
            ?? Data(#"{"error":"error"}"#.utf8)
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// `{"error": "...", "errorText": {...}}`: the text, and the same as a catalogue message when there is one.
struct ErrorBody: Encodable {
    var error: String
    var errorText: Message?
}
