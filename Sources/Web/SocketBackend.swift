import ControlAPI
import Dispatch
import Foundation
import Logging
import Synchronization
import WebAPI

/// The daemon as levee-web reaches it: each command goes to leveed's control socket as one request line, naming
/// the HTTP user it is for (`ControlActor`), and comes back typed.
///
/// The socket client blocks, so each exchange runs on a Dispatch thread, never on Swift's cooperative pool. At
/// most `readSlots` queries and `actionSlots` actions are on the socket at once: levee-web can never take more
/// than a few of the daemon's 256 control connections, whatever the load on the web side, and an operator's trip
/// never queues behind a crowd of dashboards refreshing. The site status comes from the `StatusFeed`, the
/// daemon's own publications over one `watch`; only while that is not current, or just after an action, is it
/// asked for, at most once per `statusMaxAge` for everyone asking.
final class SocketBackend: LeveeBackend {
    let socket: String
    let logger: Logger
    private let reads = AsyncSlots(4)
    private let actions = AsyncSlots(4)
    private let cache = StatusCache()
    let feed: StatusFeed
    /// Set by an action, cleared once the feed has published a status built after it.
    private let actedAt = Mutex<Date?>(nil)
    static let statusMaxAge: Duration = .milliseconds(500)
    /// Longer than the daemon's own 30 s answer timeout, so its "timed out" reply arrives first.
    static let socketTimeout: Double = 35

    init(socket: String, logger: Logger) {
        self.socket = socket
        self.logger = logger
        feed = StatusFeed(socket: socket, logger: logger)
    }

    func handle(_ command: ControlCommand, caller: Caller) async -> ControlResult {
        let actor = ControlActor(user: caller.user, address: caller.address, role: caller.role)
        if command == .status {
            // The feed's status, unless an action since has not shown in it yet.
            if let status = feed.current, actedAt.withLock({ $0.map { status.generatedAt > $0 } ?? true }) {
                actedAt.withLock { $0 = nil }
                return .success(.status(status))
            }
            return await cache.get(maxAge: Self.statusMaxAge) { await self.send(.status, actor: nil) }
        }
        let result = await send(command, actor: actor)
        if !command.onlyReads {
            actedAt.withLock { $0 = Date() }
            await cache.invalidate()
        }
        return result
    }

    /// `/metrics`: the daemon's exposition, or nil when it cannot be had.
    func metrics() async -> String? {
        guard case .success(.metrics(let text)) = await send(.metrics, actor: nil) else { return nil }
        return text
    }

    private func send(_ command: ControlCommand, actor: ControlActor?) async -> ControlResult {
        let slots = command.onlyReads ? reads : actions
        let (socket, logger) = (self.socket, self.logger)
        return await slots.run {
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    let result: ControlResult
                    do {
                        result = try ControlClient.send(
                            command, socket: socket, actor: actor, timeout: Self.socketTimeout)
                    } catch {
                        logger.warning(
                            "leveed not reached", metadata: ["op": "\(command.op.rawValue)", "error": "\(error)"])
                        result = .failure(ControlRefusal(.unavailable, "leveed cannot be reached: \(error)"))
                    }
                    continuation.resume(returning: result)
                }
            }
        }
    }
}

/// At most `count` bodies at once; the rest wait their turn in order.
final class AsyncSlots: Sendable {
    private let state: Mutex<(free: Int, waiting: [CheckedContinuation<Void, Never>])>

    init(_ count: Int) {
        state = Mutex((count, []))
    }

    func run<T: Sendable>(_ body: @Sendable () async -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.free > 0 {
                    s.free -= 1
                    return true
                }
                s.waiting.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
        defer {
            let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
                if s.waiting.isEmpty {
                    s.free += 1
                    return nil
                }
                return s.waiting.removeFirst()
            }
            next?.resume()
        }
        return await body()
    }
}

/// The last site status and when it was fetched, and the fetch under way, shared by every caller. An action
/// starts a new generation: no status fetched before it is handed out after it.
actor StatusCache {
    private var generation = 0
    private var last: (at: ContinuousClock.Instant, result: ControlResult)?
    private var inFlight: (generation: Int, task: Task<ControlResult, Never>)?

    func get(maxAge: Duration, fetch: @escaping @Sendable () async -> ControlResult) async -> ControlResult {
        if let last, ContinuousClock.now - last.at < maxAge { return last.result }
        if let inFlight, inFlight.generation == generation { return await inFlight.task.value }
        let started = generation
        let task = Task { await fetch() }
        inFlight = (started, task)
        let result = await task.value
        if started == generation {
            last = (.now, result)
            inFlight = nil
        }
        return result
    }

    /// After an action: the next caller gets a status fetched after it.
    func invalidate() {
        generation += 1
        last = nil
        inFlight = nil
    }
}
