import Foundation

/// A client of a running leveed's control socket, for the parts that drive the daemon as an operator would:
/// one JSON request line, one JSON reply line (the protocol of `ControlAPI.ControlClient`, spoken here so that
/// levee-bench need not link the daemon's modules). Only the fields the benchmarks read are decoded.
struct LeveedControl {
    let socketPath: String

    struct Reply: Decodable {
        var ok: Bool
        var error: String?
        var message: String?
        var status: Status?
    }

    struct Status: Decodable {
        var devices: [Device]
        var defence: Defence?
    }

    struct Device: Decodable {
        var id: String
        /// The device answered its last poll cycle.
        var answering: Bool
    }

    struct Defence: Decodable {
        var latched: Bool
    }

    /// Sends one request (`op` plus string fields) and returns the decoded reply.
    /// - Throws: `BenchError` if the socket cannot be reached or the reply cannot be read.
    func send(_ op: String, _ fields: [String: String] = [:], timeout: Double = 5) throws -> Reply {
        var request = fields
        request["op"] = op
        let body = try JSONEncoder().encode(request) + Data("\n".utf8)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("control socket: socket(): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw BenchError("control socket \(socketPath): path too long for a socket address")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.enumerated() { raw[i] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            throw BenchError("control socket \(socketPath): connect: \(String(cString: strerror(errno)))")
        }
        let sent = body.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == body.count else {
            throw BenchError("control socket \(socketPath): send: \(String(cString: strerror(errno)))")
        }
        var reply = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !reply.contains(UInt8(ascii: "\n")) {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else {
                if n == 0 { break }
                throw BenchError("control socket \(socketPath): no reply: \(String(cString: strerror(errno)))")
            }
            reply.append(contentsOf: chunk[..<n])
        }
        do {
            return try JSONDecoder().decode(Reply.self, from: reply)
        } catch {
            throw BenchError("control socket \(socketPath): unreadable reply to \(op): \(error)")
        }
    }
}
