/// Converts between engineering values and the raw registers a device holds. Pure arithmetic, no I/O.
public enum RegisterCodec {
    /// Joins two registers into the 32-bit pattern A B C D according to `order`.
    public static func join(_ first: UInt16, _ second: UInt16, order: WordOrder) -> UInt32 {
        let r0 = UInt32(first)
        let r1 = UInt32(second)
        switch order {
        case .abcd: return r0 << 16 | r1
        case .cdab: return r1 << 16 | r0
        case .badc: return UInt32(first.byteSwapped) << 16 | UInt32(second.byteSwapped)
        case .dcba: return UInt32(second.byteSwapped) << 16 | UInt32(first.byteSwapped)
        }
    }

    /// Splits the 32-bit pattern A B C D into two registers in wire order for `order`.
    public static func split(_ value: UInt32, order: WordOrder) -> (UInt16, UInt16) {
        let hi = UInt16(truncatingIfNeeded: value >> 16)  // A B
        let lo = UInt16(truncatingIfNeeded: value)  // C D
        switch order {
        case .abcd: return (hi, lo)
        case .cdab: return (lo, hi)
        case .badc: return (hi.byteSwapped, lo.byteSwapped)
        case .dcba: return (lo.byteSwapped, hi.byteSwapped)
        }
    }

    /// Decodes the raw (unscaled) value of `type` from `registers`, which must hold `type.registerCount` words.
    /// Returns nil for a float that is NaN or infinite: a device that sends one has no usable value.
    public static func decodeRaw(_ registers: ArraySlice<UInt16>, as type: ValueType, order: WordOrder?) -> Double? {
        precondition(registers.count >= type.registerCount, "decodeRaw needs \(type.registerCount) registers")
        let first = registers[registers.startIndex]
        switch type {
        case .bool: return first != 0 ? 1 : 0
        case .bit(let n): return (first >> UInt16(n)) & 1 == 1 ? 1 : 0
        case .int16: return Double(Int16(bitPattern: first))
        case .uint16: return Double(first)
        case .int32, .uint32, .float32:
            let pattern = join(first, registers[registers.startIndex + 1], order: order ?? .abcd)
            switch type {
            case .int32: return Double(Int32(bitPattern: pattern))
            case .uint32: return Double(pattern)
            default:
                let f = Float(bitPattern: pattern)
                return f.isFinite ? Double(f) : nil
            }
        }
    }

    /// Encodes a raw (unscaled) value into registers. Integers are rounded and clamped to the type's range.
    /// For `.bit(n)` the result is a register with only that bit set or clear; callers merging into a live
    /// register must read-modify-write.
    public static func encodeRaw(_ value: Double, as type: ValueType, order: WordOrder?) -> [UInt16] {
        switch type {
        case .bool: return [value != 0 ? 1 : 0]
        case .bit(let n): return [value != 0 ? UInt16(1) << UInt16(n) : 0]
        case .int16: return [UInt16(bitPattern: Int16(clamping: rounded(value)))]
        case .uint16: return [UInt16(clamping: rounded(value))]
        case .int32, .uint32, .float32:
            let pattern: UInt32
            switch type {
            case .int32: pattern = UInt32(bitPattern: Int32(clamping: rounded(value)))
            case .uint32: pattern = UInt32(clamping: rounded(value))
            default: pattern = Float(value).bitPattern
            }
            let (a, b) = split(pattern, order: order ?? .abcd)
            return [a, b]
        }
    }

    private static func rounded(_ v: Double) -> Int64 {
        guard v.isFinite else { return v > 0 ? Int64.max : (v < 0 ? Int64.min : 0) }
        if v >= 9.2e18 { return Int64.max }
        if v <= -9.2e18 { return Int64.min }
        return Int64(v.rounded())
    }
}

/// Linear scaling from raw to engineering units: `engineering = raw * scale + offset`.
public struct Scaling: Sendable, Hashable {
    public var scale: Double
    public var offset: Double

    public init(scale: Double = 1, offset: Double = 0) {
        self.scale = scale
        self.offset = offset
    }

    public static let identity = Scaling()

    public func engineering(fromRaw raw: Double) -> Double { raw * scale + offset }

    /// The raw value for an engineering value; `scale` is never 0 (configuration rejects it).
    public func raw(fromEngineering value: Double) -> Double { (value - offset) / scale }
}
