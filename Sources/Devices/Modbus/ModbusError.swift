import CModbus

/// A failure reported by libmodbus: the errno it set and the call that failed.
public struct ModbusError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: Int32
    public var operation: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// libmodbus offsets its own codes from errno's, so only `modbus_strerror` knows them all.
    public var description: String { "\(operation): \(String(cString: modbus_strerror(code)))" }

    /// What the failure means for the bus and the device, which decides what the poller does next.
    public enum Kind: Sendable, Hashable {
        /// The device did not answer in time.
        case timeout
        /// The device answered with a Modbus exception.
        case exception(UInt8)
        /// The link itself is gone (reset, refused, serial adapter unplugged): reconnect.
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
            ENETUNREACH, ECONNABORTED, EINVAL:
            return .link
        default: return .other
        }
    }
}
