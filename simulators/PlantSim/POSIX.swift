import Foundation
import Glibc

/// A failed system call: the errno it set and the call that failed.
public struct SystemError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: Int32
    public var operation: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    public var description: String { "\(operation): \(String(cString: strerror(code)))" }
}

/// Every system call goes through here: it reads `errno` at once, retries on EINTR and throws on -1.
@discardableResult
func sys<T: FixedWidthInteger>(_ operation: @autoclosure () -> String, _ call: () -> T) throws -> T {
    while true {
        let result = call()
        if result != -1 { return result }
        let code = errno
        if code == EINTR { continue }
        throw SystemError(code: code, operation: operation())
    }
}

enum POSIX {
    /// Monotonic time in nanoseconds (CLOCK_MONOTONIC, the clock libgpiod stamps line events with).
    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Sleeps the calling thread (never a task of the cooperative pool) for `seconds`.
    static func sleep(seconds: Double) {
        guard seconds > 0 else { return }
        var ts = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var rem = timespec()
        while nanosleep(&ts, &rem) == -1 && errno == EINTR { ts = rem }
    }

    /// Sleeps until `deadline` of the continuous clock.
    static func sleep(until deadline: ContinuousClock.Instant) {
        let remaining = ContinuousClock.now.duration(to: deadline)
        sleep(seconds: remaining.seconds)
    }

    /// Reads exactly `count` bytes, or returns nil at end of file or on an error (the peer went away).
    static func readExactly(_ fd: Int32, _ count: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var have = 0
        while have < count {
            let n = buffer.withUnsafeMutableBytes { raw in
                read(fd, raw.baseAddress! + have, count - have)
            }
            if n > 0 {
                have += n
            } else if n == -1 && errno == EINTR {
                continue
            } else {
                return nil
            }
        }
        return buffer
    }

    /// Writes all of `bytes` to a socket without raising SIGPIPE. Returns false if the peer went away.
    @discardableResult
    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                sent += n
            } else if n == -1 && errno == EINTR {
                continue
            } else {
                return false
            }
        }
        return true
    }

    /// Writes all of `bytes` to a file descriptor that is not a socket (the pty master).
    @discardableResult
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                write(fd, raw.baseAddress! + written, bytes.count - written)
            }
            if n > 0 {
                written += n
            } else if n == -1 && errno == EINTR {
                continue
            } else {
                return false
            }
        }
        return true
    }

    /// Waits up to `timeoutMs` for `fd` to become readable.
    static func waitReadable(_ fd: Int32, timeoutMs: Int32) -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let r = poll(&pfd, 1, timeoutMs)
        return r > 0
    }

    /// Creates `path` and its parents, like `mkdir -p`.
    static func makeDirectories(_ path: String) throws {
        guard !path.isEmpty else { return }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    static func parentDirectory(of path: String) -> String {
        (path as NSString).deletingLastPathComponent
    }

    /// A TCP listener on `host:port` (port 0 picks a free port). Returns the fd and the port bound.
    static func listenTCP(host: String, port: Int) throws -> (fd: Int32, port: Int) {
        let fd = try sys("socket") { socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        do {
            var one: Int32 = 1
            try sys("setsockopt(SO_REUSEADDR)") {
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = UInt16(port).bigEndian
            guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else {
                throw SystemError(code: EINVAL, operation: "inet_pton(\(host))")
            }
            _ = try withUnsafePointer(to: &addr) { p in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    try sys("bind(\(host):\(port))") { bind(fd, sa, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
            try sys("listen") { listen(fd, 128) }
            var bound = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = try withUnsafeMutablePointer(to: &bound) { p in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    try sys("getsockname") { getsockname(fd, sa, &len) }
                }
            }
            return (fd, Int(UInt16(bigEndian: bound.sin_port)))
        } catch {
            close(fd)
            throw error
        }
    }

    /// A Unix stream listener at `path`; a stale socket file left by a previous run is removed first.
    static func listenUnix(path: String) throws -> Int32 {
        try makeDirectories(parentDirectory(of: path))
        var st = stat()
        if lstat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFSOCK else {
                throw SystemError(code: EEXIST, operation: "listen on \(path) (exists and is not a socket)")
            }
            unlink(path)
        }
        let fd = try sys("socket(AF_UNIX)") {
            socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do {
            var addr = try unixAddress(path)
            _ = try withUnsafePointer(to: &addr) { p in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    try sys("bind(\(path))") { bind(fd, sa, socklen_t(MemoryLayout<sockaddr_un>.size)) }
                }
            }
            try sys("listen(\(path))") { listen(fd, 64) }
            return fd
        } catch {
            close(fd)
            throw error
        }
    }

    /// Connects to a Unix stream socket (the control client).
    static func connectUnix(path: String) throws -> Int32 {
        let fd = try sys("socket(AF_UNIX)") {
            socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do {
            var addr = try unixAddress(path)
            _ = try withUnsafePointer(to: &addr) { p in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    try sys("connect(\(path))") { connect(fd, sa, socklen_t(MemoryLayout<sockaddr_un>.size)) }
                }
            }
            return fd
        } catch {
            close(fd)
            throw error
        }
    }

    private static func unixAddress(_ path: String) throws -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard bytes.count < capacity else {
            throw SystemError(code: ENAMETOOLONG, operation: "socket path \(path) (limit \(capacity - 1) bytes)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        return addr
    }

    /// Accepts one connection, or returns nil if none is pending.
    static func accept(_ listener: Int32) -> Int32? {
        let fd = Glibc.accept(listener, nil, nil)
        guard fd >= 0 else { return nil }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) * 1e-18
    }
}

/// Line-oriented reading from a stream socket, for the GPIO and control protocols.
struct LineReader {
    let fd: Int32
    private var buffer: [UInt8] = []
    /// Longest line accepted (a full EVENTS reply is about 30 KB); a peer that sends more without a newline is
    /// cut off.
    static let maxLine = 65536

    init(fd: Int32) { self.fd = fd }

    /// The next line without its terminator, or nil at end of stream.
    mutating func next() -> String? {
        while true {
            if let nl = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[..<nl])
                buffer.removeFirst(nl + 1)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            if buffer.count > Self.maxLine { return nil }
            var chunk = [UInt8](repeating: 0, count: 1024)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, 1024) }
            if n > 0 {
                buffer += chunk[..<n]
            } else if n == -1 && errno == EINTR {
                continue
            } else {
                return nil
            }
        }
    }
}

/// Tracks the threads a server started, so `stop()` can wait until all have finished.
final class ThreadGroup: @unchecked Sendable {  // `count` is guarded by `condition`
    private let condition = NSCondition()
    private var count = 0

    /// Starts `body` on a new Foundation thread named `name`.
    func spawn(_ name: String, _ body: @escaping @Sendable () -> Void) {
        condition.lock()
        count += 1
        condition.unlock()
        let thread = Thread { [self] in
            body()
            condition.lock()
            count -= 1
            condition.broadcast()
            condition.unlock()
        }
        thread.name = name
        thread.start()
    }

    /// Waits until every spawned thread has returned, or `timeout` seconds pass. Returns true if all finished.
    @discardableResult
    func wait(timeout: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while count > 0 {
            if !condition.wait(until: deadline) { return count == 0 }
        }
        return true
    }
}
