import Foundation

/// The plant model behind one lock, shared by the public `Plant`, the clock thread and every server thread.
final class PlantCore: @unchecked Sendable {  // `model` and `tcpServers` are only touched while `lock` is held
    private let lock = NSLock()
    private let model: PlantModel
    private var tcpServers: [String: TCPServer] = [:]

    init(model: PlantModel) {
        self.model = model
    }

    func register(tcp servers: [String: TCPServer]) {
        lock.withLock { tcpServers = servers }
    }

    /// Runs `body` on the model under the lock, then carries out any `drop` it queued (outside the lock, so a
    /// server never waits for the plant while holding its own lock).
    func with<T>(_ body: (PlantModel) throws -> T) rethrows -> T {
        lock.lock()
        let result: T
        do {
            result = try body(model)
        } catch {
            lock.unlock()
            throw error
        }
        let drops = model.pendingDrops
        model.pendingDrops = []
        let servers = tcpServers
        lock.unlock()
        for drop in drops {
            servers[drop.server]?.drop(refuseSeconds: drop.refuseSeconds)
        }
        return result
    }
}
