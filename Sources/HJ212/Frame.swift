/// One HJ 212-2017 frame: the header fields of its data segment and its data area.
///
/// On the wire: `##`, the data segment's length as 4 decimal digits, the data segment
/// (`QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;]CP=&&…&&`), its CRC as 4 hex digits (``HJ212CRC``), and CR LF.
/// QN, Flag, PNUM and PNO are optional: a platform's real-time frame may carry no QN, and the standard's own example
/// of an upload carries no Flag.
///
/// Field rules (checked by ``decode(_:maxSegmentLength:)`` and ``encoded()``, from the 2017 standard's field table):
/// QN is 17 digits (`yyyyMMddHHmmssSSS`); ST 1-5 digits; CN 1-7 digits; PW 1-9 and MN 1-24 printable ASCII characters
/// other than `;`, `,`, `=` and `&`; Flag 0-255; PNUM and PNO 1-9999, both or neither, with the split bit of Flag
/// set exactly when they are present.
public struct Frame: Hashable, Sendable {
    public var qn: String?
    public var st: SystemCode
    public var cn: CommandCode
    public var pw: String
    public var mn: String
    public var flag: FrameFlag?
    /// How many packets the message was split into; nil when it is not split.
    public var pnum: Int?
    /// This packet's number, from 1; nil when the message is not split.
    public var pno: Int?
    public var cp: DataArea

    public init(
        qn: String? = nil,
        st: SystemCode,
        cn: CommandCode,
        pw: String,
        mn: String,
        flag: FrameFlag? = nil,
        pnum: Int? = nil,
        pno: Int? = nil,
        cp: DataArea = DataArea()
    ) {
        self.qn = qn
        self.st = st
        self.cn = cn
        self.pw = pw
        self.mn = mn
        self.flag = flag
        self.pnum = pnum
        self.pno = pno
        self.cp = cp
    }

    /// The largest data segment the 4 length digits can declare.
    public static let maximumSegmentLength = 9999

    /// The data segment: the text the length counts and the CRC covers.
    public var segment: String {
        var text = ""
        if let qn { text += "QN=\(qn);" }
        text += "ST=\(st.rawValue);CN=\(cn.rawValue);PW=\(pw);MN=\(mn);"
        if let flag { text += "Flag=\(flag.rawValue);" }
        if let pnum, let pno { text += "PNUM=\(pnum);PNO=\(pno);" }
        return text + "CP=&&" + cp.text + "&&"
    }

    /// The whole frame, from `##` to CR LF.
    /// - Throws: ``FrameError`` when a field breaks its rule (the frame would not decode) or the data segment is
    ///   over 9999 bytes (split it first, ``split(maxSegmentLength:)``).
    public func encoded() throws(FrameError) -> [UInt8] {
        try validate()
        let segment = Array(segment.utf8)
        guard segment.count <= Self.maximumSegmentLength else {
            throw .segmentTooLong(length: segment.count, maximum: Self.maximumSegmentLength)
        }
        var bytes: [UInt8] = Array("##".utf8)
        bytes.reserveCapacity(segment.count + 12)
        bytes += Array(Self.fourDigits(segment.count).utf8)
        bytes += segment
        bytes += Array(HJ212CRC.text(HJ212CRC.checksum(segment)).utf8)
        bytes += [0x0D, 0x0A]
        return bytes
    }

    static func fourDigits(_ n: Int) -> String {
        let digits = String(n)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// Checks every field against the rules in the type's documentation.
    public func validate() throws(FrameError) {
        if let qn { try Self.check("QN", qn, digits: 17...17) }
        try Self.check("ST", st.rawValue, digits: 1...5)
        try Self.check("CN", cn.rawValue, digits: 1...7)
        try Self.check("PW", pw, characters: 1...9)
        try Self.check("MN", mn, characters: 1...24)
        if let flag, !(0...255).contains(flag.rawValue) { throw .badFlag(String(flag.rawValue)) }
        switch (pnum, pno) {
        case (nil, nil):
            if flag?.split == true {
                throw .badSplit("Flag \(flag!.rawValue) marks a split packet but PNUM/PNO are missing")
            }
        case (let pnum?, let pno?):
            guard (1...9999).contains(pnum) else {
                throw .badField(name: "PNUM", value: String(pnum), rule: "expected 1 to 9999")
            }
            guard (1...pnum).contains(pno) else {
                throw .badField(name: "PNO", value: String(pno), rule: "expected 1 to PNUM (\(pnum))")
            }
            guard flag?.split == true else {
                throw .badSplit(
                    "PNUM/PNO present but Flag \(flag.map { String($0.rawValue) } ?? "(none)") has no split bit")
            }
        default:
            throw .badSplit("PNUM and PNO must come together")
        }
        try cp.validate()
    }

    static func check(_ name: String, _ value: String, digits: ClosedRange<Int>) throws(FrameError) {
        let ok = digits.contains(value.utf8.count) && value.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        guard ok else {
            let size = digits.count == 1 ? "\(digits.lowerBound)" : "\(digits.lowerBound) to \(digits.upperBound)"
            throw .badField(name: name, value: value, rule: "expected \(size) decimal digits")
        }
    }

    static func check(_ name: String, _ value: String, characters: ClosedRange<Int>) throws(FrameError) {
        guard characters.contains(value.utf8.count), value.utf8.allSatisfy(DataField.allowed) else {
            throw .badField(
                name: name, value: value,
                rule: "expected \(characters.lowerBound) to \(characters.upperBound) printable ASCII characters "
                    + "other than ; , = &")
        }
    }
}
