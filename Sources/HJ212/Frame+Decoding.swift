extension Frame {
    /// Decodes one whole frame, `##` to CR LF, checking its length, CRC (hex digits of either case) and fields.
    ///
    /// - Parameter maxSegmentLength: the longest data segment accepted (at most 9999, which the 4 length digits
    ///   allow).
    /// - Throws: ``FrameError``, whose description says what was wrong.
    public static func decode(
        _ bytes: some Collection<UInt8>,
        maxSegmentLength: Int = Frame.maximumSegmentLength
    ) throws(FrameError) -> Frame {
        let bytes = Array(bytes)
        let maximum = min(max(0, maxSegmentLength), maximumSegmentLength)
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "#"), bytes[1] == UInt8(ascii: "#") else {
            throw .badStart
        }
        guard bytes.count >= 12 else { throw .tooShort(length: bytes.count) }
        let lengthDigits = bytes[2..<6]
        guard lengthDigits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw .badLengthDigits(FrameReader.printable(lengthDigits))
        }
        let declared = lengthDigits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        guard bytes[bytes.count - 2] == 0x0D, bytes[bytes.count - 1] == 0x0A else { throw .missingTerminator }
        let segment = bytes[6..<(bytes.count - 6)]
        guard declared <= maximum, segment.count <= maximum else {
            throw .segmentTooLong(length: max(declared, segment.count), maximum: maximum)
        }
        guard declared == segment.count else { throw .lengthMismatch(declared: declared, actual: segment.count) }
        let crcDigits = bytes[(bytes.count - 6)..<(bytes.count - 2)]
        guard let got = HJ212CRC.parse(crcDigits) else { throw .badCRCDigits(FrameReader.printable(crcDigits)) }
        let expected = HJ212CRC.checksum(segment)
        guard got == expected else { throw .crcMismatch(expected: expected, got: got) }
        return try parse(segment: segment)
    }

    /// Parses a data segment whose length and CRC were checked.
    static func parse(segment: ArraySlice<UInt8>) throws(FrameError) -> Frame {
        if let bad = segment.firstIndex(where: { $0 < 0x20 || $0 > 0x7E }) {
            throw .nonASCII(offset: bad - segment.startIndex, byte: segment[bad])
        }
        let text = Substring(String(decoding: segment, as: UTF8.self))
        // The data area comes last and holds `;` and `=` of its own, so it is cut off first: at the first "CP=" that
        // starts a field.
        var cpStart: Substring.Index?
        var search = text.startIndex
        while let range = text[search...].firstRange(of: "CP=") {
            if range.lowerBound == text.startIndex || text[text.index(before: range.lowerBound)] == ";" {
                cpStart = range.lowerBound
                break
            }
            search = range.upperBound
        }
        guard let cpStart else { throw .missingField("CP (the data area, \"CP=&&...&&\")") }
        let area = text[text.index(cpStart, offsetBy: 3)...]
        guard area.hasPrefix("&&") else { throw .badDataArea("CP does not start with \"&&\"") }
        let inner = area.dropFirst(2)
        guard inner.hasSuffix("&&") else { throw .badDataArea("CP does not end with \"&&\"") }
        let content = inner.dropLast(2)
        if content.contains("&&") { throw .badDataArea("\"&&\" inside the data area") }
        let cp = try DataArea.parse(content)

        var fields: [String: String] = [:]
        let header = text[..<cpStart]
        if !header.isEmpty {
            for item in header.dropLast().split(separator: ";", omittingEmptySubsequences: false) {
                guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                    throw .badHeaderField(String(item))
                }
                let key = String(item[..<equals])
                guard headerKeys.contains(key) else { throw .unknownField(key) }
                guard fields[key] == nil else { throw .duplicateField(key) }
                fields[key] = String(item[item.index(after: equals)...])
            }
        }
        for required in ["ST", "CN", "PW", "MN"] where fields[required] == nil { throw .missingField(required) }
        var flag: FrameFlag?
        if let text = fields["Flag"] {
            guard (1...3).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let value = Int(text), value <= 255
            else { throw .badFlag(text) }
            flag = FrameFlag(rawValue: value)
        }
        let pnum = try number("PNUM", fields["PNUM"])
        let pno = try number("PNO", fields["PNO"])
        let frame = Frame(
            qn: fields["QN"], st: SystemCode(rawValue: fields["ST"]!), cn: CommandCode(rawValue: fields["CN"]!),
            pw: fields["PW"]!, mn: fields["MN"]!, flag: flag, pnum: pnum, pno: pno, cp: cp)
        try frame.validate()
        return frame
    }

    static let headerKeys: Set<String> = ["QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO"]

    private static func number(_ name: String, _ text: String?) throws(FrameError) -> Int? {
        guard let text else { return nil }
        try check(name, text, digits: 1...4)
        return Int(text)!
    }
}
