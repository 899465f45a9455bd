import ControlAPI
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Talks to leveed's HTTP API the way the control socket is talked to: one `ControlCommand` to
/// `POST /api/v1/control`, one `ControlResponse` back. levee-web checks the token's role for the command, and
/// the daemon journals the token's user and this machine's address.
enum ControlHTTPClient {
    /// - Parameters:
    ///   - base: the API's base URL, such as `http://127.0.0.1:8080`.
    ///   - token: the bearer token (read by the caller from a file or the environment, never from arguments).
    static func send(_ command: ControlCommand, base: URL, token: String, timeout: Double = 40)
        throws(ControlError) -> ControlResult
    {
        let where_ = base.absoluteString
        var http = URLRequest(url: base.appendingPathComponent("api/v1/control"), timeoutInterval: timeout)
        http.httpMethod = "POST"
        http.setValue("application/json", forHTTPHeaderField: "Content-Type")
        http.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        do {
            http.httpBody = try JSONEncoder.control.encode(command)
        } catch {
            throw ControlError(socket: where_, message: "cannot encode request: \(error)")
        }
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: http) { data, response, error in
            box.set(data, response as? HTTPURLResponse, error)
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + timeout + 1) == .success else {
            throw ControlError(socket: where_, message: "no reply within \(Int(timeout)) s")
        }
        let (data, response, error) = box.get()
        if let error { throw ControlError(socket: where_, message: error.localizedDescription) }
        guard let response, let data else { throw ControlError(socket: where_, message: "no reply") }
        if let reply = try? JSONDecoder.control.decode(ControlResponse.self, from: data) { return reply.result }
        // Errors come as {"error": "..."} with the HTTP status: 401 bad token, 403 wrong role, 429 too many tries,
        // 400 a command the API refused before sending it to the daemon. The API answered, so each is a refusal
        // (leveectl's exit code 4), not an unreachable daemon (3).
        let message =
            (try? JSONDecoder().decode([String: String].self, from: data))?["error"]
            ?? String(decoding: data.prefix(200), as: UTF8.self)
        switch response.statusCode {
        case 401, 403:
            return .failure(ControlRefusal(.forbidden, "HTTP \(response.statusCode): \(message)"))
        case 429:
            return .failure(ControlRefusal(.unavailable, "HTTP 429: \(message)"))
        default:
            return .failure(ControlRefusal(response.statusCode == 400 ? .badRequest : .conflict, message))
        }
    }

    private final class ResultBox: @unchecked Sendable {
        // @unchecked: written once by the session's callback before the semaphore is signalled, read after.
        private var value: (Data?, HTTPURLResponse?, Error?) = (nil, nil, nil)
        func set(_ d: Data?, _ r: HTTPURLResponse?, _ e: Error?) { value = (d, r, e) }
        func get() -> (Data?, HTTPURLResponse?, Error?) { value }
    }
}
