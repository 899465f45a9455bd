/// Why a frame was refused, worded for the journal: what was wrong and what was expected.
///
/// Decoding, encoding, splitting and ``FrameReader`` all report with it; ``description`` is never empty.
public enum FrameError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the smallest frame (`##`, 4 length digits, 4 CRC digits, CR LF).
    case tooShort(length: Int)
    /// The frame does not begin with `##`.
    case badStart
    /// The 4 bytes after `##` are not decimal digits.
    case badLengthDigits(String)
    /// The data segment is longer than allowed (9999 by the 4 length digits, or less by configuration).
    case segmentTooLong(length: Int, maximum: Int)
    /// The length field disagrees with the data segment's actual length.
    case lengthMismatch(declared: Int, actual: Int)
    /// The frame does not end with CR LF.
    case missingTerminator
    /// The 4 bytes before CR LF are not hex digits.
    case badCRCDigits(String)
    /// The CRC sent is not the one computed over the data segment.
    case crcMismatch(expected: UInt16, got: UInt16)
    /// The data segment holds a byte outside printable ASCII.
    case nonASCII(offset: Int, byte: UInt8)
    /// A header field is not `key=value`.
    case badHeaderField(String)
    /// A required header field (ST, CN, PW, MN) or the data area is absent.
    case missingField(String)
    /// A header field appears twice.
    case duplicateField(String)
    /// A header field the 2017 standard does not define.
    case unknownField(String)
    /// A header field's value breaks its rule.
    case badField(name: String, value: String, rule: String)
    /// The Flag field is not a number from 0 to 255.
    case badFlag(String)
    /// PNUM, PNO and the split bit of Flag disagree.
    case badSplit(String)
    /// The data area's delimiters or fields are malformed.
    case badDataArea(String)
    /// Bytes between frames that belong to none (no `##` before them).
    case garbage(count: Int)
    /// A frame start with no CR LF within the longest frame allowed.
    case unterminated(length: Int, maximum: Int)
    /// A new `##` came before this frame's CR LF: the frame was cut short.
    case truncated(length: Int)
    /// The stream ended in the middle of a frame.
    case unfinished(length: Int)
    /// One data-area group alone is longer than a split packet may be.
    case groupTooLarge(length: Int, maximum: Int)

    /// The reason, for the journal.
    public var reason: String { description }

    public var description: String {
        switch self {
        case .tooShort(let length):
            "frame too short: \(length) bytes, the smallest frame is 12 (##, 4 length digits, 4 CRC digits, CR LF)"
        case .badStart: "frame does not start with \"##\""
        case .badLengthDigits(let text): "bad length digits \"\(text)\": expected 4 decimal digits after \"##\""
        case .segmentTooLong(let length, let maximum):
            "data segment of \(length) bytes is over the maximum of \(maximum)"
        case .lengthMismatch(let declared, let actual):
            "length mismatch: the frame declares \(declared) bytes but its data segment is \(actual)"
        case .missingTerminator: "frame does not end with CR LF"
        case .badCRCDigits(let text): "bad CRC digits \"\(text)\": expected 4 hex digits before CR LF"
        case .crcMismatch(let expected, let got):
            "CRC mismatch: expected \(HJ212CRC.text(expected)), got \(HJ212CRC.text(got))"
        case .nonASCII(let offset, let byte):
            "non-ASCII or control byte \(Self.show(byte)) at offset \(offset) of the data segment"
        case .badHeaderField(let text): "header field \"\(text)\" is not key=value"
        case .missingField(let name): "missing \(name)"
        case .duplicateField(let name): "\(name) appears twice"
        case .unknownField(let name): "unknown header field \(name)"
        case .badField(let name, let value, let rule): "bad \(name) \"\(value)\": \(rule)"
        case .badFlag(let text): "bad Flag \"\(text)\": expected a number from 0 to 255"
        case .badSplit(let why): "bad split packet: \(why)"
        case .badDataArea(let why): "bad CP data area: \(why)"
        case .garbage(let count): "\(count) bytes outside any frame (no \"##\" before them)"
        case .unterminated(let length, let maximum):
            "no CR LF within \(length) bytes of a frame start (the longest frame allowed is \(maximum))"
        case .truncated(let length): "frame cut short after \(length) bytes: a new \"##\" came before its CR LF"
        case .unfinished(let length): "the stream ended \(length) bytes into a frame, before its CR LF"
        case .groupTooLarge(let length, let maximum):
            "a data-area group of \(length) bytes cannot fit a packet of at most \(maximum) bytes"
        }
    }

    /// A byte as a person reads it: the character when printable, else its hex value.
    static func show(_ byte: UInt8) -> String {
        byte > 0x20 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "0x" + hex(byte)
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}
