import Foundation
import Glibc
import ModbusWire

/// A Modbus RTU line on a pseudo-terminal, with every unit of that server on it.
///
/// Clients open `link`, a symbolic link to the pty's slave side. The simulator reads requests from the master
/// side. A pty delivers bytes at memory speed and has no silent gaps, so requests are framed by their function
/// code (`RTUFrame.requestLength`), and each reply is held back by the time the request and the reply would take
/// on the configured line plus the 3.5-character gap, as a real 9600-baud bus would.
final class RTUServer: @unchecked Sendable {  // `stopping` is guarded by `lock`; the fds belong to the line thread
    let name: String
    let spec: RTUSpec
    private let core: PlantCore
    private let lock = NSLock()
    private var stopping = false
    private var master: Int32 = -1
    /// Kept open for the simulator's lifetime: with no slave fd open, reads on the master fail with EIO.
    private var slave: Int32 = -1
    private(set) var slavePath = ""
    private let threads = ThreadGroup()

    /// A partial frame is thrown away after this long without more bytes (line noise, an aborted write).
    static let partialFrameTimeout = 0.1

    init(name: String, spec: RTUSpec, core: PlantCore) {
        self.name = name
        self.spec = spec
        self.core = core
    }

    func start() throws {
        let m = try sys("posix_openpt") { PTY.openPT(O_RDWR | O_NOCTTY) }
        do {
            try sys("grantpt") { PTY.grantpt(m) }
            try sys("unlockpt") { PTY.unlockpt(m) }
            var name = [CChar](repeating: 0, count: 128)
            let rc = PTY.ptsnameR(m, &name, name.count)
            guard rc == 0 else { throw SystemError(code: rc, operation: "ptsname_r") }
            slavePath = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let s = try sys("open(\(slavePath))") { open(slavePath, O_RDWR | O_NOCTTY) }
            slave = s
            var tio = termios()
            try sys("tcgetattr(\(slavePath))") { tcgetattr(s, &tio) }
            cfmakeraw(&tio)
            try sys("tcsetattr(\(slavePath))") { tcsetattr(s, TCSANOW, &tio) }
            master = m
            try makeLink()
        } catch {
            if slave >= 0 { close(slave) }
            slave = -1
            master = -1
            close(m)
            throw error
        }
        threads.spawn("levee-sim rtu \(name)") { [self] in lineLoop() }
    }

    private func makeLink() throws {
        try POSIX.makeDirectories(POSIX.parentDirectory(of: spec.link))
        var st = stat()
        if lstat(spec.link, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFLNK else {
                throw SystemError(code: EEXIST, operation: "symlink \(spec.link) (exists and is not a symbolic link)")
            }
            unlink(spec.link)
        }
        try sys("symlink(\(slavePath), \(spec.link))") { symlink(slavePath, spec.link) }
    }

    func stop() {
        lock.withLock { stopping = true }
        threads.wait(timeout: 5)
        // Remove the link only if it is still ours: another simulator may have taken the path since.
        var target = [CChar](repeating: 0, count: 256)
        let n = readlink(spec.link, &target, target.count - 1)
        if n > 0, String(decoding: target[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) == slavePath {
            unlink(spec.link)
        }
        if master >= 0 { close(master) }
        if slave >= 0 { close(slave) }
        master = -1
        slave = -1
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    private func lineLoop() {
        let timing = spec.timing
        // Frames of unknown function codes end with silence, as on a real line; 20 ms is "silence" on a pty.
        let silence = max(timing.interFrameGap, 0.02)
        var buffer: [UInt8] = []
        var lastByte = ContinuousClock.now
        var chunk = [UInt8](repeating: 0, count: 512)
        while !isStopping {
            if POSIX.waitReadable(master, timeoutMs: 10) {
                let n = chunk.withUnsafeMutableBytes { read(master, $0.baseAddress!, $0.count) }
                if n > 0 {
                    buffer += chunk[..<n]
                    lastByte = .now
                } else {
                    POSIX.sleep(seconds: 0.01)
                }
            }
            let idle = lastByte.duration(to: .now).seconds
            framing: while !buffer.isEmpty {
                switch RTUFrame.requestLength(buffer) {
                case .needMore:
                    if idle > Self.partialFrameTimeout { buffer.removeAll() }
                    break framing
                case .bytes(let length):
                    guard length <= 256 else {
                        buffer.removeAll()  // no RTU ADU is longer than 256 bytes: this is noise
                        break framing
                    }
                    guard buffer.count >= length else {
                        if idle > Self.partialFrameTimeout { buffer.removeAll() }
                        break framing
                    }
                    let frame = Array(buffer[..<length])
                    buffer.removeFirst(length)
                    if !process(frame, timing: timing) { buffer.removeAll() }
                case .unknown:
                    guard idle >= silence else { break framing }
                    _ = process(buffer, timing: timing)
                    buffer.removeAll()
                }
            }
        }
    }

    /// Answers one frame. Returns false if its CRC was bad, so the caller re-synchronises.
    private func process(_ frame: [UInt8], timing: SerialTiming) -> Bool {
        // Serial spec 2.5.1.2: a frame with a bad CRC is discarded without a reply.
        guard let (unit, pdu) = try? RTUFrame.verify(frame), !pdu.isEmpty else { return false }
        let receivedAt = ContinuousClock.now
        if unit == RTUFrame.broadcastUnit {
            core.with { $0.broadcast(server: name, pdu: pdu, receivedAt: receivedAt) }
            return true
        }
        let reply = core.with { $0.handle(server: name, unit: unit, pdu: pdu, receivedAt: receivedAt) }
        guard case .pdu(let response, let extraDelay) = reply else { return true }
        let adu = RTUFrame.encode(unit: unit, pdu: response)
        let wire = timing.duration(ofBytes: frame.count + adu.count) + timing.interFrameGap + extraDelay
        let due = receivedAt + .nanoseconds(Int64(wire * 1e9))
        while ContinuousClock.now < due, !isStopping {
            POSIX.sleep(seconds: min(0.02, ContinuousClock.now.duration(to: due).seconds))
        }
        // A reply nobody read (the master gave up and closed the port) would otherwise sit in the slave's input
        // queue and greet the next client; on a real line those bytes would simply have been lost.
        tcflush(slave, TCIFLUSH)
        POSIX.writeAll(master, adu)
        return true
    }
}

/// glibc's pseudo-terminal calls. They are declared only under _XOPEN_SOURCE / _GNU_SOURCE, which the Glibc module
/// is not built with, so they are looked up at run time instead of through a C shim target.
private enum PTY {
    typealias OpenPT = @convention(c) (Int32) -> Int32
    typealias FDCall = @convention(c) (Int32) -> Int32
    typealias PtsnameR = @convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int) -> Int32

    private static func symbol<T>(_ name: String, as type: T.Type) -> T {
        guard let handle = dlopen(nil, RTLD_NOW), let pointer = dlsym(handle, name) else {
            fatalError("glibc has no \(name)")  // programmer error: every glibc since 2.2 has these
        }
        return unsafeBitCast(pointer, to: type)
    }

    static let openPT = symbol("posix_openpt", as: OpenPT.self)
    static let grantpt = symbol("grantpt", as: FDCall.self)
    static let unlockpt = symbol("unlockpt", as: FDCall.self)
    static let ptsnameR = symbol("ptsname_r", as: PtsnameR.self)
}
