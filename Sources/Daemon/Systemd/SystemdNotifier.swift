import Foundation

/// The systemd notify protocol, spoken directly: a datagram to the socket named by `NOTIFY_SOCKET`
/// (sd_notify(3): "a path to an AF_UNIX socket, or an abstract socket name prefixed with @"). Needs no libsystemd,
/// and is silent when not run by systemd.
struct SystemdNotifier: Sendable {
    let socketPath: String?
    /// Half the watchdog interval systemd asked for (`WATCHDOG_USEC`), when it asked this process.
    let watchdogInterval: Duration?

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        // sd_watchdog_enabled(3): WATCHDOG_PID, when set, must name this process.
        let pidMatches = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
        if pidMatches, let usec = environment["WATCHDOG_USEC"].flatMap(UInt64.init), usec > 0 {
            watchdogInterval = .microseconds(Int64(usec / 2))
        } else {
            watchdogInterval = nil
        }
    }

    var isEnabled: Bool { socketPath != nil }

    /// Sends `state` ("READY=1", "STATUS=...", "WATCHDOG=1", "STOPPING=1", ...). Errors are returned, not thrown:
    /// a notification that cannot be sent must never stop the daemon.
    @discardableResult
    func notify(_ state: String) -> Int32? {
        guard let path = socketPath else { return nil }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }  // abstract namespace
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { return ENAMETOOLONG }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (bytes.first == 0 ? 0 : 1))
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &addr) { ptr in
            ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                message.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sa, length) }
            }
        }
        return sent < 0 ? errno : nil
    }
}
