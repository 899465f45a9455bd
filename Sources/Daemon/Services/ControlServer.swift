import ControlAPI
import Foundation
import Logging
import ServiceLifecycle

/// leveed's control socket: one JSON request line in, one JSON reply line out (see ControlAPI). It runs on its
/// own thread with blocking accept, so a slow or stuck client never touches the cooperative pool or a bus thread;
/// each client gets a 2 s receive timeout.
final class ControlServer: Service, @unchecked Sendable {
    // @unchecked: `fd` and `stopping` are set before the thread starts or under `lock`.
    let path: String
    private let logger: Logger
    private let handler: @Sendable (ControlRequest, Peer) -> ControlResponse
    private let lock = NSLock()
    private var fd: Int32 = -1
    private var stopping = false

    /// Who is on the other end of a connection, as the kernel reports it (SO_PEERCRED): the socket's file mode
    /// (0660, the daemon's user and group) decides who may connect at all, and this names them in the journal.
    struct Peer: Sendable {
        var uid: uid_t
        var pid: pid_t
        var user: String
    }

    init(path: String, logger: Logger, handler: @escaping @Sendable (ControlRequest, Peer) -> ControlResponse) {
        self.path = path
        self.logger = logger
        self.handler = handler
    }

    /// Binds the socket; called before the service group runs so a bad path stops the daemon with a clear error.
    func bind() throws(ControlError) {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw ControlError(socket: path, message: String(cString: strerror(errno))) }
        // A socket file left by a daemon that was killed is stale: nothing answers on it, so replace it.
        if (try? ControlClient.send(ControlRequest(op: "ping"), socket: path, timeout: 1)) != nil {
            close(s)
            throw ControlError(socket: path, message: "another leveed is already listening here")
        }
        unlink(path)
        var addr = try UnixAddress.make(path)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0, listen(s, 16) == 0 else {
            let e = errno
            close(s)
            throw ControlError(socket: path, message: "cannot listen: \(String(cString: strerror(e)))")
        }
        chmod(path, 0o660)
        fd = s
    }

    func run() async throws {
        let thread = Thread { [self] in self.acceptLoop() }
        thread.name = "levee-control"
        thread.start()
        logger.info("control socket listening", metadata: ["socket": "\(path)"])
        try? await gracefulShutdown()
        lock.withLock { stopping = true }
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
        unlink(path)
    }

    private func acceptLoop() {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 {
                if lock.withLock({ stopping }) { return }
                if errno == EINTR { continue }
                if errno == EBADF || errno == EINVAL { return }
                continue
            }
            serve(client)
            close(client)
        }
    }

    static func peer(of fd: Int32) -> Peer {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; } — three 32-bit fields; glibc hides the struct behind
        // _GNU_SOURCE, so it is read as three Int32s.
        var cred = [Int32](repeating: 0, count: 3)
        var length = socklen_t(MemoryLayout<Int32>.size * 3)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) == 0 else {
            return Peer(uid: uid_t.max, pid: 0, user: "unknown")
        }
        let uid = uid_t(bitPattern: cred[1])
        var name = "uid \(uid)"
        if let pw = getpwuid(uid), let n = pw.pointee.pw_name { name = String(cString: n) }
        return Peer(uid: uid, pid: cred[0], user: name)
    }

    /// The field a request could not be decoded for and what it must be (`field "seconds" must be a number`), or
    /// nil when the line is not a JSON object at all.
    static func fieldProblem(_ error: any Error) -> String? {
        func name(_ path: [any CodingKey]) -> String { path.map(\.stringValue).joined(separator: ".") }
        func kind(_ type: Any.Type) -> String {
            switch type {
            case is Double.Type, is Int.Type: "a number"
            case is Bool.Type: "true or false"
            case is String.Type: "a string"
            default: "\(type)"
            }
        }
        switch error as? DecodingError {
        case .typeMismatch(let type, let c)? where !c.codingPath.isEmpty:
            return "field \"\(name(c.codingPath))\" must be \(kind(type))"
        case .valueNotFound(let type, let c)? where !c.codingPath.isEmpty:
            return "field \"\(name(c.codingPath))\" must be \(kind(type))"
        case .keyNotFound(let key, _)?:
            return "field \"\(key.stringValue)\" is required"
        case .dataCorrupted(let c)? where !c.codingPath.isEmpty:
            return "field \"\(name(c.codingPath))\": \(c.debugDescription)"
        default:
            return nil
        }
    }

    private func serve(_ client: Int32) {
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !data.contains(UInt8(ascii: "\n")) && data.count < 65536 {
            let n = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data.append(contentsOf: chunk[..<n])
        }
        let response: ControlResponse
        do {
            let request = try JSONDecoder.control.decode(ControlRequest.self, from: data)
            response = handler(request, Self.peer(of: client))
        } catch {
            let text = String(decoding: data.prefix(200), as: UTF8.self)
            let why = Self.fieldProblem(error).map { ": \($0)" } ?? ": expected {\"op\": ...}"
            response = ControlResponse(ok: false, error: "malformed request \(text.debugDescription)\(why)")
            logger.warning("malformed control request", metadata: ["request": "\(text)"])
        }
        guard var body = try? JSONEncoder.control.encode(response) else { return }
        body.append(UInt8(ascii: "\n"))
        _ = body.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}
