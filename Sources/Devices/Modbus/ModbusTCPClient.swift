import CModbus
import Foundation
import ModbusWire
import SystemCalls

/// A Modbus TCP client framed in Swift over a non-blocking POSIX socket, waited on with `poll` deadlines.
///
/// Why not libmodbus here: libmodbus 3.1.6 neither checks the MBAP protocol id nor keeps a reply that is not for
/// the request on the wire apart from the one that is. A reply that came after its timeout was read as the next
/// request's answer, and `modbus_flush` could not help because the late reply arrives after it. Here every frame is
/// taken out of the stream by its MBAP length and matched to the request by its transaction id (TCP guide, sections
/// 3.1.3 and 4.3.1.3): a late or duplicated reply is dropped and the current request's own reply is still awaited
/// within the current request's timeout. It also costs fewer system calls per transaction (send, poll, recv) than
/// libmodbus's header-then-body reads.
final class ModbusTCPClient: ModbusLink {
    let host: String
    let port: Int
    let label: String
    var onDrop: ((_ unit: Int, _ fault: ReplyFault) -> Void)?

    private let timeout: Duration
    private var fd: Int32 = -1
    private var lastTransaction: UInt16 = 0
    private var stream = MBAPStream()
    /// The units of the last transactions, by transaction id, so a late reply is charged to the unit that was slow.
    private var recent = [(transaction: UInt16, unit: UInt8)?](repeating: nil, count: 16)
    private var scratch = [UInt8](repeating: 0, count: 4096)

    /// More bytes than this dropped in one transaction in frames that are not Modbus (protocol id not 0) is taken
    /// for a stream read out of step rather than a few stray frames: the connection is reopened.
    static let garbageLimit = MBAPHeader.size + MBAPHeader.maxPDUSize

    init(host: String, port: Int, timeoutMs: Int) {
        self.host = host
        self.port = port
        self.label = "\(host):\(port)"
        self.timeout = .milliseconds(max(1, timeoutMs))
    }

    deinit { close() }

    var isConnected: Bool { fd >= 0 }

    func connect() throws(ModbusError) {
        if fd >= 0 { return }
        do {
            fd = try TCPConnect.open(host: host, port: port, timeoutMs: Self.milliseconds(timeout))
        } catch {
            throw ModbusError(code: error.code, operation: "connect \(label)", reason: error.message)
        }
        stream.reset()
    }

    static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        return Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
        stream.reset()
    }

    func transact(unit: Int, _ request: ModbusRequest) throws(ModbusError) -> ModbusReply {
        do throws(Failure) {
            return try exchange(unit: UInt8(truncatingIfNeeded: unit), request)
        } catch .lostSync(let fault, let ours) where !ours {
            // The stream broke on bytes that were not this request's reply: reopen and ask again, once, within a
            // fresh timeout. The reads and writes Levee sends (FC01-06) are idempotent.
            close()
            onDrop?(unit, fault)
            try reconnect(unit: unit, request)
            do throws(Failure) {
                return try exchange(unit: UInt8(truncatingIfNeeded: unit), request)
            } catch {
                throw self.error(error, unit: unit, request)
            }
        } catch {
            throw self.error(error, unit: unit, request)
        }
    }

    private func reconnect(unit: Int, _ request: ModbusRequest) throws(ModbusError) {
        do throws(ModbusError) { try connect() } catch {
            throw ModbusError(code: error.code, operation: request.describe(unit: unit), reason: error.description)
        }
    }

    /// How one exchange ended when it returned no reply.
    private enum Failure: Error {
        case timeout(dropped: ReplyFault?)
        /// A reply for this request that failed a check; the stream is still in step.
        case refused(ReplyFault)
        /// The stream can no longer be framed; `ours` when the bytes at fault were this request's reply.
        case lostSync(ReplyFault, ours: Bool)
        case link(ModbusError)
        case exception(UInt8)
    }

    private func error(_ failure: Failure, unit: Int, _ request: ModbusRequest) -> ModbusError {
        let operation = request.describe(unit: unit)
        switch failure {
        case .timeout(let dropped):
            return ModbusError(
                code: ETIMEDOUT, operation: operation,
                reason: dropped.map { "no valid reply in time; dropped \($0)" })
        case .refused(let fault):
            onDrop?(unit, fault)
            return ModbusError(code: levee_EMBBADDATA, operation: operation, reason: fault.description)
        case .lostSync(let fault, let ours):
            if ours { onDrop?(unit, fault) }
            // The bus closes the link on this error's kind (`.link`) and reopens it at once.
            return ModbusError(code: EPROTO, operation: operation, reason: "\(fault); reopening the connection")
        case .link(let e):
            return ModbusError(code: e.code, operation: operation, reason: e.reason)
        case .exception(let code):
            return .exception(code, operation: operation)
        }
    }

    private func exchange(unit: UInt8, _ request: ModbusRequest) throws(Failure) -> ModbusReply {
        guard fd >= 0 else { throw .link(ModbusError(code: ENOTCONN, operation: "send")) }
        lastTransaction &+= 1
        let transaction = lastTransaction
        recent[Int(transaction) % recent.count] = (transaction, unit)
        let deadline = ContinuousClock.now + timeout
        try send(MBAPHeader.frame(transactionID: transaction, unitID: unit, pdu: request.pdu), until: deadline)

        var dropped: ReplyFault?
        var garbage = 0
        while true {
            let frame: MBAPStream.Frame?
            do throws(ReplyFault) { frame = try stream.next() } catch {
                let head = stream.headTransactionID
                throw .lostSync(error, ours: head == transaction)
            }
            if let frame {
                if frame.transactionID != transaction {
                    // A late or repeated reply, or a stray frame: never this request's answer.
                    let fault: ReplyFault =
                        frame.protocolID != 0
                        ? .protocolID(frame.protocolID) : .transaction(got: frame.transactionID, expected: transaction)
                    if frame.protocolID != 0 {
                        garbage += MBAPHeader.size + frame.pdu.count
                        if garbage > Self.garbageLimit { throw .lostSync(.garbage(garbage), ours: false) }
                    }
                    dropped = fault
                    onDrop?(Int(unitOf(frame.transactionID) ?? unit), fault)
                    continue
                }
                if frame.protocolID != 0 { throw .refused(.protocolID(frame.protocolID)) }
                if frame.unitID != unit { throw .refused(.unit(got: frame.unitID, expected: unit)) }
                let reply: ModbusReply
                do throws(ReplyFault) { reply = try request.check(reply: frame.pdu) } catch {
                    throw error.breaksFraming ? .lostSync(error, ours: true) : .refused(error)
                }
                if case .exception(let code) = reply { throw .exception(code) }
                return reply
            }
            // Nothing whole yet: wait for more bytes, up to this request's own deadline.
            let ready: Bool
            do throws(ModbusError) { ready = try waitReady(fd, Int16(POLLIN), until: deadline) } catch {
                throw .link(error)
            }
            if !ready {
                if stream.pending > 0 {
                    // Part of a frame sits unfinished at the deadline, so where the next frame starts is unknown.
                    // This request had no reply in time either way: it fails rather than being asked again.
                    let fault = ReplyFault.truncated(
                        have: stream.pending, need: stream.headFrameSize ?? MBAPHeader.size)
                    throw .lostSync(fault, ours: true)
                }
                throw .timeout(dropped: dropped)
            }
            let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                stream.append(scratch[0..<n])
            } else if n == 0 {
                throw .link(ModbusError(code: ECONNRESET, operation: "recv", reason: "connection closed by the peer"))
            } else if errno != EAGAIN && errno != EINTR {
                throw .link(posixFailure("recv"))
            }
        }
    }

    private func send(_ bytes: [UInt8], until deadline: ContinuousClock.Instant) throws(Failure) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                sent += n
                continue
            }
            if errno == EINTR { continue }
            guard errno == EAGAIN else { throw .link(posixFailure("send")) }
            let ready: Bool
            do throws(ModbusError) { ready = try waitReady(fd, Int16(POLLOUT), until: deadline) } catch {
                throw .link(error)
            }
            if !ready { throw .timeout(dropped: nil) }
        }
    }

    private func unitOf(_ transaction: UInt16) -> UInt8? {
        guard let r = recent[Int(transaction) % recent.count], r.transaction == transaction else { return nil }
        return r.unit
    }
}
