import CModbus

/// A failed Modbus transaction or link call: an errno (or libmodbus's offset code) and the call that failed, and,
/// when Levee's own reply checks refused the reply, what they found.
public struct ModbusError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: Int32
    public var operation: String
    /// What was wrong with the reply, in words (`byte count 12 for 2 registers`), where the code alone would say
    /// only "Invalid data".
    public var reason: String?

    public init(code: Int32, operation: String, reason: String? = nil) {
        self.code = code
        self.operation = operation
        self.reason = reason
    }

    /// libmodbus offsets its own codes from errno's, so only `modbus_strerror` knows them all.
    public var description: String { "\(operation): \(reason ?? String(cString: modbus_strerror(code)))" }

    /// The error for an exception reply, coded as libmodbus codes exceptions so that `kind` reads it back.
    static func exception(_ code: UInt8, operation: String) -> ModbusError {
        ModbusError(code: levee_EMBXILFUN - 1 + Int32(code), operation: operation)
    }

    /// What the failure means for the bus and the device, which decides what the poller does next.
    public enum Kind: Sendable, Hashable {
        /// The device did not answer in time.
        case timeout
        /// The device answered with a Modbus exception.
        case exception(UInt8)
        /// The link itself is gone (reset, refused, serial adapter unplugged), or its byte stream can no longer be
        /// framed (`EPROTO`): reconnect.
        case link
        /// A reply arrived but was malformed (bad CRC, wrong length, wrong unit): a noisy line or a confused
        /// device; the transaction failed but the link may be fine.
        case badReply
        /// Anything else.
        case other
    }

    public var kind: Kind {
        let exceptionBase = levee_EMBXILFUN - 1
        if code >= levee_EMBXILFUN && code <= levee_EMBXGTAR { return .exception(UInt8(code - exceptionBase)) }
        if code == levee_EMBBADCRC || code == levee_EMBBADDATA || code == levee_EMBBADEXC || code == levee_EMBMDATA
            || code == levee_EMBBADSLAVE
        {
            return .badReply
        }
        switch code {
        case ETIMEDOUT: return .timeout
        case ECONNRESET, ECONNREFUSED, EPIPE, ENOTCONN, EBADF, EIO, ENXIO, ENODEV, ENOENT, EHOSTUNREACH,
            ENETUNREACH, ECONNABORTED, EINVAL, EPROTO:
            return .link
        default: return .other
        }
    }
}
