import Foundation
import ModbusWire

/// What a bus thread needs of its Modbus link, whether TCP or RTU. Not thread-safe by design: exactly one bus thread
/// owns a link, and every call blocks for up to the response timeout.
///
/// Every reply is checked before a byte of it becomes a value (`ModbusRequest.check(reply:)` plus the transport's
/// own checks); a reply that fails is dropped, reported through `onDrop`, and never decoded.
protocol ModbusLink: AnyObject {
    var isConnected: Bool { get }
    /// The endpoint, for logs: `host:port` or the serial device.
    var label: String { get }
    /// Called on the bus thread for every reply dropped: the unit it came from (as far as the link can tell) and
    /// why it was refused.
    var onDrop: ((_ unit: Int, _ fault: ReplyFault) -> Void)? { get set }

    func connect() throws(ModbusError)
    func close()
    /// Runs one request and returns its checked reply; an exception reply is thrown as `ModbusError.exception`.
    func transact(unit: Int, _ request: ModbusRequest) throws(ModbusError) -> ModbusReply
}

extension ModbusLink {
    /// Reads `count` bits or registers from `table`, returning one UInt16 per item (0/1 for bits).
    func read(unit: Int, table: RegisterTable, address: Int, count: Int) throws(ModbusError) -> [UInt16] {
        let request = ModbusRequest.read(table, address: UInt16(address), count: UInt16(count))
        if case .values(let words) = try transact(unit: unit, request) { return words }
        preconditionFailure("a checked read reply holds values")
    }

    func writeCoil(unit: Int, address: Int, value: Bool) throws(ModbusError) {
        _ = try transact(unit: unit, .writeSingleCoil(address: UInt16(address), value: value))
    }

    func writeRegister(unit: Int, address: Int, value: UInt16) throws(ModbusError) {
        _ = try transact(unit: unit, .writeSingleRegister(address: UInt16(address), value: value))
    }
}

extension ModbusRequest {
    /// The request as logs and device status name it: `read holding 0+2 unit 3`, `write coil 1 unit 4`.
    func describe(unit: Int) -> String {
        switch self {
        case .read(let table, let address, let count): "read \(table.rawValue) \(address)+\(count) unit \(unit)"
        case .writeSingleCoil(let address, _), .writeMultipleCoils(let address, _):
            "write coil \(address) unit \(unit)"
        case .writeSingleRegister(let address, _), .writeMultipleRegisters(let address, _):
            "write register \(address) unit \(unit)"
        }
    }
}

/// The one errno helper of the Modbus links: reads `errno` at once, after the call that failed.
func posixFailure(_ operation: @autoclosure () -> String, reason: String? = nil) -> ModbusError {
    let code = errno
    return ModbusError(code: code, operation: operation(), reason: reason)
}

/// Waits until `fd` is ready for `events` or `deadline` passes. Returns false on timeout.
func waitReady(_ fd: Int32, _ events: Int16, until deadline: ContinuousClock.Instant) throws(ModbusError) -> Bool {
    while true {
        let left = deadline - .now
        if left <= .zero { return false }
        let ms = Int32(clamping: Int((left / .milliseconds(1)).rounded(.up)))
        var p = pollfd(fd: fd, events: events, revents: 0)
        let rc = poll(&p, 1, ms)
        if rc > 0 { return true }
        if rc == 0 { continue }  // loop re-checks the deadline: poll may return a little early
        if errno == EINTR { continue }
        throw posixFailure("poll")
    }
}
