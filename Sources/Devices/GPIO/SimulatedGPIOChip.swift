import Foundation

/// The simulated chip served by levee-sim on a Unix socket, so the GPIO paths (edges, debounce, normally-closed
/// wiring, outputs) are testable on a machine with no GPIO hardware.
///
/// Protocol (one request line, one reply line): `INFO` → `OK <name> <lines>`; `READ o1 o2` → `OK v1 v2`;
/// `SET o v` → `OK`; `EVENTS` → `OK o:v:ns ...` (edges since the last EVENTS); errors → `ERR <reason>`.
final class SimulatedGPIOChip: GPIOChip {
    let name: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var lineCount = 0

    init(socketPath: String) throws(GPIOError) {
        name = "sim:\(socketPath)"
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        if fd < 0 { throw GPIOError(chip: name, operation: "socket", code: errno) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            Glibc.close(fd)
            throw GPIOError(chip: name, operation: "open", code: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if rc != 0 {
            let code = errno
            Glibc.close(fd)
            throw GPIOError(chip: name, operation: "open", code: code)
        }
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let info = try request("INFO")
        lineCount = info.count >= 2 ? Int(info[1]) ?? 0 : 0
    }

    deinit { close() }

    private var closed = false
    func close() {
        if !closed {
            Glibc.close(fd)
            closed = true
        }
    }

    private func request(_ line: String) throws(GPIOError) -> [Substring] {
        let out = Array((line + "\n").utf8)
        let sent = out.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if sent != out.count { throw GPIOError(chip: name, operation: line, code: errno) }
        while true {
            if let nl = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let reply = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                let parts = reply.split(separator: " ")
                guard parts.first == "OK" else {
                    throw GPIOError(chip: name, operation: line, code: EIO, detail: reply)
                }
                return Array(parts.dropFirst())
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 {
                throw GPIOError(
                    chip: name, operation: line, code: n == 0 ? ECONNRESET : errno,
                    detail: n == 0 ? "simulator closed the connection" : nil)
            }
            buffer += chunk[..<n]
        }
    }

    private func checkOffset(_ offset: Int, _ op: String) throws(GPIOError) {
        if offset < 0 || (lineCount > 0 && offset >= lineCount) {
            throw GPIOError(chip: name, operation: op, code: EINVAL, detail: "line \(offset) is not on this chip")
        }
    }

    func requestInput(offset: Int) throws(GPIOError) { try checkOffset(offset, "request line \(offset)") }

    func requestOutput(offset: Int, level: Bool) throws(GPIOError) {
        try checkOffset(offset, "request line \(offset)")
        try write(offset: offset, level: level)
    }

    func read(offsets: [Int]) throws(GPIOError) -> [Bool] {
        if offsets.isEmpty { return [] }
        let values = try request("READ " + offsets.map(String.init).joined(separator: " "))
        guard values.count == offsets.count else {
            throw GPIOError(chip: name, operation: "READ", code: EIO, detail: "expected \(offsets.count) values")
        }
        return values.map { $0 == "1" }
    }

    func write(offset: Int, level: Bool) throws(GPIOError) {
        _ = try request("SET \(offset) \(level ? 1 : 0)")
    }

    func waitForEdges(timeout: Duration) throws(GPIOError) -> [GPIOEdge] {
        let edges = try request("EVENTS").compactMap { item -> GPIOEdge? in
            let f = item.split(separator: ":")
            guard f.count >= 2, let o = Int(f[0]) else { return nil }
            return GPIOEdge(offset: o, level: f[1] == "1")
        }
        if edges.isEmpty {
            // The socket protocol has no blocking wait; poll it at a few milliseconds, well under any debounce.
            let t = min(timeout, .milliseconds(4))
            Thread.sleep(forTimeInterval: t.inSeconds)
        }
        return edges
    }
}
