import CModbus
import Config
import Foundation
import ModbusWire

/// A Modbus RTU master on one serial line: libmodbus opens and sets up the line, Swift frames the transactions.
///
/// libmodbus keeps the serial setup (baud, parity, data and stop bits, raw mode, restoring the old settings on
/// close) that it does well. The frames themselves go over its file descriptor here, because libmodbus 3.1.6 takes
/// the first frame that arrives as the reply: a slave's late reply was read as the next slave's. Here each frame is
/// cut by its function code and byte count, its CRC and slave address are checked, a frame from another slave is
/// dropped while this request's own reply is still awaited within its timeout, and bytes left on the line before a
/// request are discarded (serial spec, sections 2.4 and 2.5). RTU has no transaction id, so a late reply from the
/// very slave being asked cannot be told from its answer; it is dropped when it arrives before the next request to
/// that slave, which the poller never sends within the same cycle after a timeout.
final class ModbusRTUClient: ModbusLink {
    // Owned: the `modbus_t *` is freed in deinit and never leaves this class.
    private let context: OpaquePointer
    private let timeout: Duration
    private let frameGap: Duration
    private(set) var isConnected = false
    let label: String
    var onDrop: ((_ unit: Int, _ fault: ReplyFault) -> Void)?

    private var fd: Int32 = -1
    private var buffer: [UInt8] = []
    private var scratch = [UInt8](repeating: 0, count: 512)
    /// The slave of the previous transaction: bytes that arrive from it afterwards are its late reply.
    private var previousUnit: UInt8?
    /// The slave whose last request timed out, and when that request went out: its reply may still come, and RTU
    /// has no transaction id to tell it from the answer to the next request to the same slave.
    private var overdue: (unit: UInt8, sentAt: ContinuousClock.Instant)?

    /// How long after a request its reply is still expected, in timeouts, before the next request to that slave.
    static let lateReplyWindow = 3

    /// Creates the context; it does not open the serial port yet.
    /// - Throws: `ModbusError` when libmodbus rejects the settings (e.g. an unknown parity).
    init(device rtu: RTUSettings, timeoutMs: Int) throws(ModbusError) {
        guard
            let ctx = modbus_new_rtu(
                rtu.device, Int32(rtu.baud), CChar(rtu.parity.letter.asciiValue!), Int32(rtu.dataBits),
                Int32(rtu.stopBits))
        else {
            throw ModbusError(code: levee_errno(), operation: "modbus_new_rtu(\(rtu.device))")
        }
        context = ctx
        label = rtu.device
        timeout = .milliseconds(max(1, timeoutMs))
        let timing = SerialTiming(
            baud: rtu.baud, dataBits: rtu.dataBits, parity: rtu.parity != .none, stopBits: rtu.stopBits)
        frameGap = .microseconds(Int((rtu.frameGapMs.map { $0 / 1000 } ?? timing.interFrameGap) * 1_000_000))
        // Error recovery stays off (the default): its link recovery can hang for seconds; the bus thread
        // reconnects with its own backoff instead.
        modbus_set_error_recovery(context, MODBUS_ERROR_RECOVERY_NONE)
    }

    deinit {
        close()
        modbus_free(context)
    }

    func connect() throws(ModbusError) {
        if isConnected { return }
        if modbus_connect(context) == -1 {
            let code = levee_errno()
            modbus_close(context)
            throw ModbusError(code: code, operation: "connect \(label)")
        }
        fd = modbus_get_socket(context)
        // Every read and write below waits with poll() against a deadline, never in the call itself.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        isConnected = true
        // A serial line may still hold half a frame from a process that died mid-transaction: drop it.
        _ = modbus_flush(context)
        buffer.removeAll()
    }

    func close() {
        if isConnected { modbus_close(context) }
        isConnected = false
        fd = -1
    }

    func transact(unit: Int, _ request: ModbusRequest) throws(ModbusError) -> ModbusReply {
        let operation = request.describe(unit: unit)
        guard isConnected else { throw ModbusError(code: ENOTCONN, operation: operation) }
        let address = UInt8(truncatingIfNeeded: unit)
        defer { previousUnit = address }
        do throws(ModbusError) {
            var lateFrom = overdue?.unit ?? previousUnit
            if let o = overdue {
                let end = o.sentAt + timeout * Self.lateReplyWindow
                if o.unit == address {
                    try awaitLateReply(until: end)
                    lateFrom = address
                }
                if o.unit == address || .now >= end { overdue = nil }
            }
            try discardInput(from: lateFrom)
            try write(RTUFrame.encode(unit: address, pdu: request.pdu))
            let sentAt = ContinuousClock.now
            let deadline = sentAt + timeout
            var dropped: ReplyFault?
            while true {
                switch try nextFrame(until: deadline) {
                case .frame(let frame):
                    let verified: (unit: UInt8, pdu: [UInt8])
                    do throws(ModbusFrameError) { verified = try RTUFrame.verify(frame) } catch {
                        let fault: ReplyFault =
                            if case .badCRC(let computed, let received) = error {
                                .crc(computed: computed, received: received)
                            } else { .truncated(have: frame.count, need: 4) }
                        throw refuse(fault, unit: unit, operation)
                    }
                    if verified.unit != address {
                        // Another slave's frame (a late reply) or a corrupted address: never this request's answer.
                        let fault = ReplyFault.unit(got: verified.unit, expected: address)
                        dropped = fault
                        onDrop?(Int(verified.unit == previousUnit ? verified.unit : address), fault)
                        continue
                    }
                    let reply: ModbusReply
                    do throws(ReplyFault) { reply = try request.check(reply: verified.pdu) } catch {
                        throw refuse(error, unit: unit, operation)
                    }
                    if case .exception(let code) = reply { throw ModbusError.exception(code, operation: operation) }
                    return reply
                case .timeout(let partial):
                    if partial > 0 {
                        buffer.removeAll()
                        throw refuse(
                            .truncated(have: partial, need: max(partial + 1, 4)), unit: unit, operation)
                    }
                    overdue = (address, sentAt)
                    throw ModbusError(
                        code: ETIMEDOUT, operation: operation,
                        reason: dropped.map { "no valid reply in time; dropped \($0)" })
                }
            }
        } catch {
            throw error  // a `.link` error makes the bus close the line and reopen it with backoff
        }
    }

    private func refuse(_ fault: ReplyFault, unit: Int, _ operation: String) -> ModbusError {
        buffer.removeAll()  // the rest of a refused frame must not be taken for the start of the next one
        onDrop?(unit, fault)
        return ModbusError(code: levee_EMBBADDATA, operation: operation, reason: fault.description)
    }

    private enum Next {
        case frame([UInt8])
        /// The deadline passed with this many bytes of an unfinished frame received.
        case timeout(partial: Int)
    }

    /// The next whole frame on the line. Its length comes from its function code and byte count; a function code
    /// whose reply length is unknown ends at the first silence of a frame gap, as the serial spec frames RTU.
    private func nextFrame(until deadline: ContinuousClock.Instant) throws(ModbusError) -> Next {
        while true {
            if let size = Self.replySize(buffer) {
                if buffer.count >= size {
                    let frame = Array(buffer[..<size])
                    buffer.removeFirst(size)
                    return .frame(frame)
                }
            } else if buffer.count >= 2 {
                // Unknown length: whatever has come when the line falls silent is the frame.
                if try !waitReady(fd, Int16(POLLIN), until: min(deadline, .now + max(frameGap, .milliseconds(2)))) {
                    defer { buffer.removeAll() }
                    return .frame(buffer)
                }
                try readAvailable()
                continue
            }
            if try !waitReady(fd, Int16(POLLIN), until: deadline) { return .timeout(partial: buffer.count) }
            try readAvailable()
        }
    }

    /// The length of the reply frame `b` starts with, CRC included, or nil when it cannot be told from the bytes so
    /// far (application spec, section 6, for the PDU; serial spec, section 2.5.1, for the ADU).
    static func replySize(_ b: [UInt8]) -> Int? {
        guard b.count >= 2 else { return nil }
        switch b[1] {
        case let f where f & 0x80 != 0: return 5  // address, function, exception code, CRC
        case 0x01...0x04: return b.count >= 3 ? 5 + Int(b[2]) : nil
        case 0x05, 0x06, 0x0F, 0x10: return 8
        default: return nil
        }
    }

    private func readAvailable() throws(ModbusError) {
        let n = scratch.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if n > 0 {
            buffer.append(contentsOf: scratch[0..<n])
        } else if n == 0 {
            throw ModbusError(code: EIO, operation: "read \(label)", reason: "the serial line closed")
        } else if errno != EAGAIN && errno != EINTR {
            throw posixFailure("read \(label)")
        }
    }

    /// Before asking a slave again whose last request timed out, waits (at most until `deadline`) for its late reply,
    /// so that the reply is dropped rather than taken for the answer to the new request. Costs bus time only for a
    /// slave that just failed, and ends as soon as a late frame has come and the line is quiet again.
    private func awaitLateReply(until deadline: ContinuousClock.Instant) throws(ModbusError) {
        guard try waitReady(fd, Int16(POLLIN), until: deadline) else { return }
        // Something arrived: let the rest of the frame come, then `discardInput` drops and counts it.
        while try waitReady(fd, Int16(POLLIN), until: .now + max(frameGap, .milliseconds(5))) {
            try readAvailable()
        }
    }

    /// Drops bytes already on the line before a request: a late reply, or noise.
    private func discardInput(from late: UInt8?) throws(ModbusError) {
        var stale = buffer.count
        buffer.removeAll()
        while true {
            let n = scratch.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                stale += n
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno != EAGAIN { throw posixFailure("read \(label)") }
            break
        }
        if stale > 0, let late { onDrop?(Int(late), .stale(stale)) }
    }

    private func write(_ bytes: [UInt8]) throws(ModbusError) {
        var sent = 0
        let deadline = ContinuousClock.now + timeout
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + sent, bytes.count - sent) }
            if n > 0 {
                sent += n
                continue
            }
            if n < 0 && errno == EINTR { continue }
            guard n < 0 && errno == EAGAIN else { throw posixFailure("write \(label)") }
            if try !waitReady(fd, Int16(POLLOUT), until: deadline) {
                throw ModbusError(code: ETIMEDOUT, operation: "write \(label)")
            }
        }
    }
}
