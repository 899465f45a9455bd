/// The `Flag` field: a byte whose bits say what the receiver should do with the frame.
///
/// Bit 0 (A) asks for an acknowledgement; bit 1 (D) marks one packet of a split message, which then carries `PNUM`
/// and `PNO`; bits 2-7 hold the protocol version, 1 for HJ 212-2017. So a 2017 frame has Flag=4 (no
/// acknowledgement) or Flag=5 (acknowledge), and 6 or 7 when split.
public struct FrameFlag: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int

    public init(rawValue: Int) { self.rawValue = rawValue }

    /// A flag for `version` (1: HJ 212-2017) with the given bits.
    public init(version: Int = FrameFlag.version2017, acknowledgementRequested: Bool, split: Bool = false) {
        rawValue = version << 2 | (split ? 2 : 0) | (acknowledgementRequested ? 1 : 0)
    }

    /// The version bits' value for HJ 212-2017.
    public static let version2017 = 1

    /// Flag=4: an HJ 212-2017 frame that wants no acknowledgement.
    public static let noAcknowledgement = FrameFlag(acknowledgementRequested: false)
    /// Flag=5: an HJ 212-2017 frame that asks for an acknowledgement.
    public static let acknowledgement = FrameFlag(acknowledgementRequested: true)

    /// Bit 0: the sender wants the receiver to acknowledge the frame.
    public var acknowledgementRequested: Bool {
        get { rawValue & 1 != 0 }
        set { rawValue = newValue ? rawValue | 1 : rawValue & ~1 }
    }

    /// Bit 1: the frame is one packet of a split message.
    public var split: Bool {
        get { rawValue & 2 != 0 }
        set { rawValue = newValue ? rawValue | 2 : rawValue & ~2 }
    }

    /// Bits 2-7: the protocol version (1 for HJ 212-2017).
    public var version: Int { rawValue >> 2 }

    public var description: String { String(rawValue) }
}
