import Config
import Foundation
import Synchronization
import SystemCalls

/// A modem's refusal or silence, with the AT command it answered.
public struct ModemError: Error, Hashable, Sendable, CustomStringConvertible {
    public var command: String
    /// The modem's final line ("+CMS ERROR: 38", "+CME ERROR: 10", "ERROR"), or what went wrong on our side.
    public var answer: String
    public var description: String { "\(command): \(answer)" }
}

/// The SMS channel: a GSM/4G modem on a serial port, driven with AT commands in PDU mode (UCS2 text) from a thread
/// of its own, so that a slow or silent modem never holds a task of the cooperative pool.
///
/// AT commands rather than Debian's smstools spool: the spool would be one more daemon to install and watch, its
/// delivery reports arrive as files to poll, and it would hide the modem's own answers (+CMS ERROR, no SIM, no
/// network) that the journal should carry. The thread polls the SIM for incoming messages (`AT+CMGL=4`) and hands
/// each to `onMessage`, then deletes it.
public final class SMSModemChannel: MessageChannel, @unchecked Sendable {
    // @unchecked: `queue` and `port` are guarded by `lock` and the thread; everything else is immutable.
    public let id: String
    let device: String
    let baud: Int
    let commandTimeout: TimeInterval
    let sendTimeout: TimeInterval
    let pollInterval: TimeInterval
    let onMessage: @Sendable (SMSPDU.Deliver) -> Void

    private struct Job {
        var message: OutgoingMessage
        var done: CheckedContinuation<ChannelAnswer, Never>
    }

    private let lock = Mutex<(jobs: [Job], stopped: Bool)>(([], false))
    private let wake: WakePipe
    private var thread: WorkerThread?
    private var reference: UInt8 = 0

    /// - Parameters:
    ///   - pollInterval: how often the SIM is read for replies.
    ///   - onMessage: called on the modem's thread for each message received.
    public init(
        id: String, device: String, baud: Int, sendTimeout: TimeInterval, commandTimeout: TimeInterval = 5,
        pollInterval: TimeInterval = 5, onMessage: @escaping @Sendable (SMSPDU.Deliver) -> Void
    ) throws(SystemCallError) {
        self.id = id
        self.device = device
        self.baud = baud
        self.sendTimeout = sendTimeout
        self.commandTimeout = commandTimeout
        self.pollInterval = pollInterval
        self.onMessage = onMessage
        wake = try WakePipe()
    }

    /// Starts the modem's thread.
    public func start() {
        guard thread == nil else { return }
        thread = WorkerThread(name: "levee-sms-\(id)") { [self] in run() }
    }

    /// Stops the thread; queued messages are answered as failed (the outbox keeps them for the next start).
    public func stop() async {
        lock.withLock { $0.stopped = true }
        wake.wake()
        await thread?.joined()
    }

    public func send(_ message: OutgoingMessage) async -> ChannelAnswer {
        guard message.address?.isEmpty == false else { return .failed("no phone number for \(message.person)") }
        return await withCheckedContinuation { continuation in
            let stopped = lock.withLock { state in
                if !state.stopped { state.jobs.append(Job(message: message, done: continuation)) }
                return state.stopped
            }
            if stopped { continuation.resume(returning: .failed("the modem channel is stopped")) }
            wake.wake()
        }
    }

    // MARK: The thread

    private func run() {
        var port: SerialPort?
        var nextPoll = Date()
        var lastFailure: String?
        while true {
            let (jobs, stopped) = lock.withLock { state in
                defer { state.jobs.removeAll() }
                return (state.jobs, state.stopped)
            }
            if stopped {
                for job in jobs { job.done.resume(returning: .failed("the modem channel is stopped")) }
                port?.close()
                return
            }
            if port == nil {
                do {
                    let p = try SerialPort(path: device, baud: baud)
                    try initialise(p)
                    port = p
                    lastFailure = nil
                } catch {
                    lastFailure = "\(error)"
                }
            }
            for job in jobs {
                guard let p = port else {
                    job.done.resume(returning: .failed(lastFailure ?? "modem not ready"))
                    continue
                }
                do {
                    let answer = try sendSMS(p, to: job.message.address ?? "", text: job.message.text)
                    job.done.resume(returning: .delivered(answer))
                } catch let error as ModemError {
                    job.done.resume(returning: .failed("\(error)"))
                    // A +CMS ERROR is about this message; anything else (silence, no SIM) re-initialises the modem.
                    if !error.answer.hasPrefix("+CMS ERROR") {
                        p.close()
                        port = nil
                    }
                } catch {
                    job.done.resume(returning: .failed("\(error)"))
                    p.close()
                    port = nil
                }
            }
            if let p = port, Date() >= nextPoll {
                nextPoll = Date().addingTimeInterval(pollInterval)
                do {
                    try readIncoming(p)
                } catch {
                    p.close()
                    port = nil
                }
            }
            let wait = port == nil ? min(pollInterval, 5) : max(0, nextPoll.timeIntervalSinceNow)
            waitForWake(seconds: wait)
        }
    }

    private func waitForWake(seconds: TimeInterval) {
        var fd = pollfd(fd: wake.readFD, events: Int16(POLLIN), revents: 0)
        _ = poll(&fd, 1, Int32(min(max(seconds, 0.01), 60) * 1000))
        wake.drain()
    }

    /// AT, echo off, numeric errors, SIM ready, registered on the network, PDU mode.
    private func initialise(_ p: SerialPort) throws {
        // A modem left waiting at a "> " prompt takes the next line as a PDU: Esc ends that first.
        try p.write([0x1B])
        _ = try? command(p, "AT")
        _ = try command(p, "AT")
        _ = try command(p, "ATE0")
        _ = try? command(p, "AT+CMEE=1")
        let pin = try command(p, "AT+CPIN?")
        guard pin.contains(where: { $0.contains("READY") }) else {
            throw ModemError(command: "AT+CPIN?", answer: "SIM not ready: \(pin.joined(separator: " "))")
        }
        try checkRegistered(p)
        _ = try command(p, "AT+CMGF=0")
    }

    private func checkRegistered(_ p: SerialPort) throws {
        let reg = try command(p, "AT+CREG?")
        // +CREG: <n>,<stat>: 1 registered at home, 5 roaming.
        let stat = reg.first { $0.hasPrefix("+CREG:") }?.split(separator: ",").dropFirst().first
        guard let stat,
            stat.trimmingCharacters(in: .whitespaces) == "1" || stat.trimmingCharacters(in: .whitespaces) == "5"
        else {
            throw ModemError(
                command: "AT+CREG?", answer: "not registered on the network: \(reg.joined(separator: " "))")
        }
    }

    /// Sends every part of `text`; returns the modem's "+CMGS: n" answers.
    private func sendSMS(_ p: SerialPort, to number: String, text: String) throws -> String {
        try checkRegistered(p)
        reference &+= 1
        var answers: [String] = []
        for submit in SMSPDU.submits(to: number, text: text, reference: reference) {
            let cmd = "AT+CMGS=\(submit.tpduLength)"
            try p.write(Array((cmd + "\r").utf8))
            try p.waitForPrompt(timeout: commandTimeout, command: cmd)
            try p.write(Array(submit.hex.utf8) + [0x1A])
            let lines = try p.finalResponse(timeout: sendTimeout, command: cmd)
            answers += lines.filter { $0.hasPrefix("+CMGS:") }
        }
        return answers.joined(separator: " ")
    }

    /// Reads every stored message, hands each on, deletes it.
    private func readIncoming(_ p: SerialPort) throws {
        let lines = try command(p, "AT+CMGL=4")
        var i = 0
        while i < lines.count {
            if lines[i].hasPrefix("+CMGL:"), i + 1 < lines.count {
                let index = lines[i].dropFirst(6).split(separator: ",").first.map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
                if let deliver = SMSPDU.deliver(hex: lines[i + 1]) { onMessage(deliver) }
                if let index, Int(index) != nil { _ = try? command(p, "AT+CMGD=\(index)") }
                i += 2
            } else {
                i += 1
            }
        }
    }

    private func command(_ p: SerialPort, _ cmd: String) throws -> [String] {
        try p.write(Array((cmd + "\r").utf8))
        return try p.finalResponse(timeout: commandTimeout, command: cmd)
    }
}

/// A serial port in raw mode, read with poll(2) and a deadline. Owned by one thread.
final class SerialPort {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(path: String, baud: Int) throws(SystemCallError) {
        fd = try systemCall("open \(path)") { open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC) }
        var t = termios()
        do {
            _ = try systemCall("tcgetattr \(path)") { tcgetattr(fd, &t) }
            cfmakeraw(&t)
            t.c_cflag |= tcflag_t(CLOCAL | CREAD)
            let speed = Self.speeds[baud] ?? speed_t(B115200)
            cfsetispeed(&t, speed)
            cfsetospeed(&t, speed)
            _ = try systemCall("tcsetattr \(path)") { tcsetattr(fd, TCSANOW, &t) }
            _ = tcflush(fd, TCIOFLUSH)
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    static let speeds: [Int: speed_t] = [
        1200: speed_t(B1200), 2400: speed_t(B2400), 4800: speed_t(B4800), 9600: speed_t(B9600),
        19200: speed_t(B19200), 38400: speed_t(B38400), 57600: speed_t(B57600), 115200: speed_t(B115200),
        230400: speed_t(B230400), 460800: speed_t(B460800), 921600: speed_t(B921600),
    ]

    func close() { Glibc.close(fd) }

    func write(_ bytes: [UInt8]) throws(SystemCallError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR {
                    var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&p, 1, 1000)
                    continue
                }
                throw SystemCallError(code: errno, operation: "write to the modem")
            }
            offset += n
        }
    }

    /// Reads what arrives until `deadline`, or until `done` says the buffer holds what is wanted.
    private func fill(until deadline: Date, command: String, done: ([UInt8]) -> Bool) throws {
        while !done(buffer) {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw ModemError(command: command, answer: "no answer within the timeout") }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, Int32(min(left, 1) * 1000) + 1)
            guard ready > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 1024)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EAGAIN || errno == EINTR { continue }
            guard n > 0 else { throw ModemError(command: command, answer: "the serial port closed") }
            buffer += chunk[0..<n]
        }
    }

    func waitForPrompt(timeout: TimeInterval, command: String) throws {
        try fill(until: Date().addingTimeInterval(timeout), command: command) { b in
            b.contains(UInt8(ascii: ">")) || Self.finalLine(in: b) != nil
        }
        if let (_, final) = Self.finalLine(in: buffer) {
            buffer.removeAll()
            throw ModemError(command: command, answer: final)
        }
        if let i = buffer.firstIndex(of: UInt8(ascii: ">")) { buffer.removeFirst(i + 1) }
    }

    /// The lines up to the final one; throws on ERROR, +CME ERROR, +CMS ERROR.
    func finalResponse(timeout: TimeInterval, command: String) throws -> [String] {
        try fill(until: Date().addingTimeInterval(timeout), command: command) { Self.finalLine(in: $0) != nil }
        guard let (count, final) = Self.finalLine(in: buffer) else { return [] }
        let lines = Self.lines(Array(buffer[0..<count])).filter { $0 != command && !$0.hasPrefix("+CMTI:") }
        buffer.removeFirst(count)
        guard final == "OK" else { throw ModemError(command: command, answer: final) }
        return lines.dropLast().map { $0 }
    }

    /// The number of bytes through the first final result line, and that line.
    static func finalLine(in b: [UInt8]) -> (Int, String)? {
        var start = 0
        var i = 0
        while i < b.count {
            if b[i] == 0x0A || b[i] == 0x0D {
                let line = String(decoding: b[start..<i], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                if line == "OK" || line == "ERROR" || line.hasPrefix("+CME ERROR") || line.hasPrefix("+CMS ERROR") {
                    return (i + 1, line)
                }
                start = i + 1
            }
            i += 1
        }
        return nil
    }

    static func lines(_ b: [UInt8]) -> [String] {
        String(decoding: b, as: UTF8.self).split(whereSeparator: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" })
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
