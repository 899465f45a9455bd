import ControlAPI
import Foundation

/// A client of a running leveed's control socket, for the parts that drive the daemon as an operator would. It
/// speaks the typed, versioned protocol through `ControlAPI.ControlClient`, as leveectl does, so a protocol change
/// breaks the bench's build instead of its readiness check.
struct LeveedControl {
    let socketPath: String

    /// The site status.
    /// - Throws: `BenchError` when the socket cannot be used or the daemon refuses.
    func status(timeout: Double = 5) throws -> SiteStatus {
        switch try send(.status, timeout: timeout) {
        case .success(.status(let status)): return status
        case .success(let other): throw BenchError("control socket \(socketPath): status answered \(other)")
        case .failure(let refusal): throw BenchError("control socket \(socketPath): status refused: \(refusal)")
        }
    }

    /// Resets the latch; nil when done, else why it was refused.
    func reset(reason: String) throws -> String? {
        switch try send(.reset(reason: reason, override: false)) {
        case .success: return nil
        case .failure(let refusal): return "\(refusal)"
        }
    }

    private func send(_ command: ControlCommand, timeout: Double = 5) throws -> ControlResult {
        do {
            return try ControlClient.send(command, socket: socketPath, timeout: timeout)
        } catch {
            throw BenchError("\(error)")
        }
    }
}
