import CModbus
import Config
import Foundation
import ModbusWire

/// Owns one libmodbus context (`modbus_t *`) for one bus. Not thread-safe by design: exactly one bus thread
/// owns it, and every call blocks for up to the response timeout.
final class ModbusConnection {
    private let context: OpaquePointer
    private(set) var isConnected = false
    let label: String

    /// Creates the context; it does not open the socket or serial port yet.
    /// - Throws: `ModbusError` when libmodbus rejects the settings (e.g. an unknown parity).
    init(bus: Bus) throws {
        switch bus.kind {
        case .modbusTCP(let host, let port):
            // modbus_new_tcp_pi resolves names too ("plc1.local"), modbus_new_tcp takes only dotted IPv4.
            guard let ctx = modbus_new_tcp_pi(host, String(port)) else {
                throw ModbusError(code: levee_errno(), operation: "modbus_new_tcp_pi(\(host), \(port))")
            }
            context = ctx
            label = "\(host):\(port)"
        case .modbusRTU(let rtu):
            guard
                let ctx = modbus_new_rtu(
                    rtu.device, Int32(rtu.baud), CChar(rtu.parity.letter.asciiValue!), Int32(rtu.dataBits),
                    Int32(rtu.stopBits))
            else {
                throw ModbusError(code: levee_errno(), operation: "modbus_new_rtu(\(rtu.device))")
            }
            context = ctx
            label = rtu.device
        case .gpio:
            preconditionFailure("ModbusConnection made for a GPIO bus")
        }
        // Error recovery stays off (the default): its link recovery can hang for seconds; the bus thread
        // reconnects with its own backoff instead.
        modbus_set_error_recovery(context, MODBUS_ERROR_RECOVERY_NONE)
        setTimeout(milliseconds: bus.timeoutMs)
    }

    deinit {
        if isConnected { modbus_close(context) }
        modbus_free(context)
    }

    func setTimeout(milliseconds: Int) {
        let ms = max(1, milliseconds)
        modbus_set_response_timeout(context, UInt32(ms / 1000), UInt32((ms % 1000) * 1000))
        // The gap allowed between bytes of one reply: generous enough for a slow serial line.
        modbus_set_byte_timeout(context, 0, UInt32(min(ms, 500) * 1000))
    }

    func connect() throws(ModbusError) {
        if isConnected { return }
        if modbus_connect(context) == -1 {
            let code = levee_errno()
            modbus_close(context)
            throw ModbusError(code: code, operation: "connect \(label)")
        }
        isConnected = true
        // A serial line may still hold half a frame from a process that died mid-transaction: drop it.
        _ = modbus_flush(context)
    }

    func close() {
        if isConnected { modbus_close(context) }
        isConnected = false
    }

    /// Discards any late reply still in the receive buffer, so it cannot be taken for the next one.
    func flush() {
        if isConnected { _ = modbus_flush(context) }
    }

    private func select(unit: Int) throws(ModbusError) {
        if modbus_set_slave(context, Int32(unit)) == -1 {
            throw ModbusError(code: levee_errno(), operation: "modbus_set_slave(\(unit))")
        }
    }

    /// Reads `count` bits or registers from `table`, returning one UInt16 per item (0/1 for bits).
    func read(unit: Int, table: RegisterTable, address: Int, count: Int) throws(ModbusError) -> [UInt16] {
        try select(unit: unit)
        var result = [UInt16](repeating: 0, count: count)
        let rc: Int32
        if table.isBitTable {
            var bits = [UInt8](repeating: 0, count: count)
            rc = bits.withUnsafeMutableBufferPointer { buf in
                table == .coil
                    ? modbus_read_bits(context, Int32(address), Int32(count), buf.baseAddress)
                    : modbus_read_input_bits(context, Int32(address), Int32(count), buf.baseAddress)
            }
            if rc != -1 { for i in 0..<count { result[i] = UInt16(bits[i]) } }
        } else {
            rc = result.withUnsafeMutableBufferPointer { buf in
                table == .holdingRegister
                    ? modbus_read_registers(context, Int32(address), Int32(count), buf.baseAddress)
                    : modbus_read_input_registers(context, Int32(address), Int32(count), buf.baseAddress)
            }
        }
        if rc == -1 {
            throw ModbusError(code: levee_errno(), operation: "read \(table.rawValue) \(address)+\(count) unit \(unit)")
        }
        return result
    }

    func writeCoil(unit: Int, address: Int, value: Bool) throws(ModbusError) {
        try select(unit: unit)
        if modbus_write_bit(context, Int32(address), value ? 1 : 0) == -1 {
            throw ModbusError(code: levee_errno(), operation: "write coil \(address) unit \(unit)")
        }
    }

    func writeRegister(unit: Int, address: Int, value: UInt16) throws(ModbusError) {
        try select(unit: unit)
        if modbus_write_register(context, Int32(address), value) == -1 {
            throw ModbusError(code: levee_errno(), operation: "write register \(address) unit \(unit)")
        }
    }
}
