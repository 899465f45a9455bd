import Foundation
import Glibc
import ModbusWire

/// A Modbus TCP server on one port, with every unit of that server behind it. One thread accepts; each
/// connection gets its own thread that reads a request, answers it, and reads the next.
final class TCPServer: @unchecked Sendable {  // mutable fields are guarded by `lock`; fds are closed by their thread
    let name: String
    let spec: TCPSpec
    private let core: PlantCore
    private let lock = NSLock()
    private var listener: Int32 = -1
    private var boundPort: Int = 0
    private var connections = Set<Int32>()
    private var refuseUntil: ContinuousClock.Instant?
    private var stopping = false
    private let threads = ThreadGroup()

    init(name: String, spec: TCPSpec, core: PlantCore) {
        self.name = name
        self.spec = spec
        self.core = core
    }

    /// The port bound (the kernel's pick when the scenario said 0).
    var port: Int { lock.withLock { boundPort } }

    var connectionCount: Int { lock.withLock { connections.count } }

    func start() throws {
        let (fd, port) = try POSIX.listenTCP(host: spec.host, port: spec.port)
        lock.withLock {
            listener = fd
            boundPort = port
        }
        threads.spawn("levee-sim tcp \(name) accept") { [self] in acceptLoop() }
    }

    func stop() {
        lock.withLock {
            stopping = true
            for fd in connections { shutdown(fd, Int32(SHUT_RDWR)) }
            if listener >= 0 { shutdown(listener, Int32(SHUT_RDWR)) }
        }
        threads.wait(timeout: 5)
    }

    /// Closes every open connection now; with `refuseSeconds`, also refuses new connections for that long.
    func drop(refuseSeconds: Double?) {
        lock.withLock {
            for fd in connections { shutdown(fd, Int32(SHUT_RDWR)) }
            if let refuseSeconds {
                refuseUntil = .now + .milliseconds(Int64(refuseSeconds * 1000))
                // Wakes the accept thread, which closes the listener: the kernel then answers SYN with RST.
                if listener >= 0 { shutdown(listener, Int32(SHUT_RDWR)) }
            }
        }
    }

    private func acceptLoop() {
        while true {
            var fd: Int32 = -1
            var refusing = false
            let exit: Bool = lock.withLock {
                if stopping {
                    if listener >= 0 { close(listener) }
                    listener = -1
                    return true
                }
                if let until = refuseUntil {
                    if ContinuousClock.now < until {
                        refusing = true
                        if listener >= 0 { close(listener) }
                        listener = -1
                    } else if listener < 0 {
                        if let reopened = try? POSIX.listenTCP(host: spec.host, port: boundPort) {
                            listener = reopened.fd
                            refuseUntil = nil
                        }
                    } else {
                        refuseUntil = nil
                    }
                }
                fd = listener
                return false
            }
            if exit { return }
            if refusing || fd < 0 {
                POSIX.sleep(seconds: 0.02)
                continue
            }
            guard POSIX.waitReadable(fd, timeoutMs: 100), let connection = POSIX.accept(fd) else { continue }
            var one: Int32 = 1
            setsockopt(connection, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let accepted: Bool = lock.withLock {
                guard !stopping, refuseUntil == nil else { return false }
                connections.insert(connection)
                return true
            }
            guard accepted else {
                close(connection)
                continue
            }
            threads.spawn("levee-sim tcp \(name) connection") { [self] in serve(connection) }
        }
    }

    private func serve(_ fd: Int32) {
        defer {
            lock.withLock { _ = connections.remove(fd) }
            close(fd)
        }
        while let head = POSIX.readExactly(fd, MBAPHeader.size) {
            // A header that is not Modbus (protocol id, length) means the stream cannot be re-synchronised.
            guard let header = try? MBAPHeader.parse(head), let pdu = POSIX.readExactly(fd, header.pduLength) else {
                return
            }
            let receivedAt = ContinuousClock.now
            let reply = core.with { $0.handle(server: name, unit: header.unitID, pdu: pdu, receivedAt: receivedAt) }
            guard case .pdu(let response, let extraDelay) = reply else { continue }
            // The `slow` fault: wait in slices so stop() is not held up by a long delay.
            let due = receivedAt + .nanoseconds(Int64(extraDelay * 1e9))
            while ContinuousClock.now < due, !lock.withLock({ stopping }) {
                POSIX.sleep(seconds: min(0.02, ContinuousClock.now.duration(to: due).seconds))
            }
            let frame = MBAPHeader.frame(transactionID: header.transactionID, unitID: header.unitID, pdu: response)
            guard POSIX.sendAll(fd, frame) else { return }
        }
    }
}
