import Foundation
import Glibc
import Synchronization

/// TCP ports for the servers tests start, chosen so that no other test, process or outgoing connection takes them
/// between the moment a test picks one and the moment its server binds it.
///
/// The kernel hands out ports for `bind(0)` and for every outgoing connection's source from its ephemeral range
/// (`net.ipv4.ip_local_port_range`, 32768–60999 on Debian). A port picked there with bind-and-release can be taken
/// again a moment later by any connect() on the machine: that is the race that made a mosquitto fail with "Address
/// already in use". Ports handed out here come from below that range, where only an explicit bind lands, are never
/// handed out twice in one test process, and are checked free by binding them first. Each process starts at its
/// own offset, so two test runs side by side (two clones) rarely probe the same ports.
///
/// A server that can bind port 0 and report what it got (levee-sim, the Python peers) should do that instead;
/// this is for servers that need their port on the command line (mosquitto, leveed's HTTP API) or a port that must
/// stay the same across a restart. Callers still retry on another port when a bind fails.
public enum TestPorts {
    /// Below the kernel's ephemeral range, above the well-known and commonly configured ports.
    static let range: ClosedRange<Int> = {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let low = text.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32768
        return 20000...max(20001, min(low, 65536) - 1)
    }()

    private static let cursor = Mutex<Int>(
        range.lowerBound + Int(UInt32(getpid()) &* 2_654_435_761 % UInt32(range.count)))

    /// A loopback TCP port that is free now, outside the ephemeral range and new to this process.
    public static func next() -> Int {
        while true {
            let port = cursor.withLock { candidate in
                let port = candidate
                candidate = candidate >= range.upperBound ? range.lowerBound : candidate + 1
                return port
            }
            if isFree(port) { return port }
        }
    }

    /// Whether a plain bind (no SO_REUSEADDR, so a port in TIME_WAIT counts as taken) to 127.0.0.1:port succeeds.
    public static func isFree(_ port: Int) -> Bool { onLoopback(port) { bind($0, $1, $2) == 0 } }

    /// Whether something accepts a TCP connection on 127.0.0.1:port.
    public static func accepts(_ port: Int) -> Bool { onLoopback(port) { connect($0, $1, $2) == 0 } }

    /// Runs `call` with a fresh TCP socket and the address 127.0.0.1:port, then closes the socket.
    private static func onLoopback(
        _ port: Int, _ call: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Bool
    ) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in.loopback(port: port)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                call(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    /// A listening-ready TCP socket bound to a port the kernel chose, and that port: for a test that needs a port
    /// held by "someone else". The caller closes it.
    public static func boundSocket() -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in.loopback(port: 0)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
        }
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }
}

extension TestPorts {
    /// A blocking TCP socket connected to 127.0.0.1:port, or nil when the connection failed (nothing left open).
    public static func connectLoopback(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var addr = sockaddr_in.loopback(port: port)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            close(fd)
            return nil
        }
        return fd
    }
}

extension sockaddr_in {
    /// 127.0.0.1:port.
    public static func loopback(port: Int) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        return addr
    }
}
