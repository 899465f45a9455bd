import LeveeTestSupport
import Testing

@testable import HJ212

struct FrameTests {
    @Test func vectorOneDecodesAndEncodesBackByteForByte() throws {
        let frame = try Frame.decode(Vectors.one)
        #expect(frame.qn == "20160801085857223")
        #expect(frame.st == .waterPollutionSource)
        #expect(frame.cn == .setRealTimeInterval)
        #expect(frame.pw == "100000")
        #expect(frame.mn == "010000A8900016F000169DC0")
        #expect(frame.flag == .acknowledgement)
        #expect(frame.flag?.version == 1)
        #expect(frame.pnum == nil && frame.pno == nil)
        #expect(frame.cp["RtdInterval"] == "30")
        #expect(try frame.encoded() == Vectors.one)
    }

    /// Vector 2 has no QN and no Flag, and a lowercase CRC; Levee writes it back in uppercase.
    @Test func vectorTwoHasNoQNNoFlagAndALowercaseCRC() throws {
        let frame = try Frame.decode(Vectors.two)
        #expect(frame.qn == nil)
        #expect(frame.flag == nil)
        #expect(frame.cn == .realTimeData)
        #expect(frame.mn == "NJGDKYYC202101q0001w0001")
        #expect(
            frame.cp.groups == [
                [DataField("DataTime", "20210305003817000")], [DataField("ele01-Rtd", "1")],
                [DataField("ele02-Rtd", "0")],
            ])
        let encoded = try frame.encoded()
        #expect(encoded.text == Vectors.two.text.replacingOccurrences(of: "8c41", with: "8C41"))
    }

    @Test func dataAreaKeepsGroupsAndFieldOrder() throws {
        let text = "DataTime=20210305003817000;w01018-Rtd=1.1,w01018-Flag=N;w00000-Rtd=3"
        let frame = try Frame.decode(framed("ST=32;CN=2011;PW=123456;MN=A1;Flag=4;CP=&&\(text)&&"))
        #expect(frame.cp.groups.count == 3)
        #expect(frame.cp.groups[1] == [DataField("w01018-Rtd", "1.1"), DataField("w01018-Flag", "N")])
        #expect(frame.cp.text == text)
        #expect(frame.cp["w00000-Rtd"] == "3")
        #expect(frame.cp.fields.map(\.key) == ["DataTime", "w01018-Rtd", "w01018-Flag", "w00000-Rtd"])
    }

    @Test func anEmptyDataAreaIsAllowed() throws {
        let frame = try Frame.decode(framed("QN=20250301080000000;ST=91;CN=9014;PW=123456;MN=A1;Flag=4;CP=&&&&"))
        #expect(frame.cp.groups.isEmpty)
        #expect(frame.cn == .dataReply)
    }

    @Test func flagBits() {
        #expect(FrameFlag.noAcknowledgement.rawValue == 4)
        #expect(FrameFlag.acknowledgement.rawValue == 5)
        #expect(FrameFlag(acknowledgementRequested: true, split: true).rawValue == 7)
        var flag = FrameFlag(rawValue: 5)
        #expect(flag.acknowledgementRequested && !flag.split && flag.version == 1)
        flag.split = true
        flag.acknowledgementRequested = false
        #expect(flag.rawValue == 6)
    }

    /// Property: any valid frame encodes, decodes to itself, and encodes to the same bytes again.
    @Test func randomFramesRoundTrip() throws {
        var rng = SplitMix64(seed: 0x212_2017)
        for _ in 0..<2000 {
            let frame = Generate.frame(&rng)
            let bytes = try frame.encoded()
            let decoded = try Frame.decode(bytes)
            #expect(decoded == frame)
            #expect(try decoded.encoded() == bytes)
            let segment = bytes[6..<(bytes.count - 6)]
            #expect(Int(String(decoding: bytes[2..<6], as: UTF8.self)) == segment.count)
        }
    }

    @Test func lowercaseCRCIsAccepted() throws {
        let bytes = framed("ST=32;CN=2011;PW=1;MN=A;CP=&&a=1&&")
        let lowered = bytes.enumerated().map { index, byte in
            index >= bytes.count - 6 && byte >= 0x41 && byte <= 0x46 ? byte + 0x20 : byte
        }
        #expect(try Frame.decode(lowered) == Frame.decode(bytes))
    }

    static let good = "QN=20250301080000000;ST=32;CN=2011;PW=123456;MN=STATION1;Flag=5;CP=&&a=1&&"

    struct Rejection: Sendable, CustomTestStringConvertible {
        var bytes: [UInt8]
        var expected: FrameError

        init(_ bytes: [UInt8], _ expected: FrameError) {
            self.bytes = bytes
            self.expected = expected
        }

        var testDescription: String { expected.description }
    }

    /// Every way a frame can be refused, each with its reason (appended one by one: as one literal it takes the
    /// type checker too long).
    static var rejections: [Rejection] {
        var cases: [Rejection] = []
        cases.append(Rejection(Array("##0000\r\n".utf8), FrameError.tooShort(length: 8)))
        cases.append(Rejection(Array("#0101".utf8) + Vectors.one.dropFirst(5), .badStart))
        cases.append(Rejection(framed(good, length: "00a7"), .badLengthDigits("00a7")))
        cases.append(Rejection(framed(good, length: "0070"), .lengthMismatch(declared: 70, actual: 74)))
        cases.append(Rejection(Array(Vectors.one.dropLast(2)) + Array("\n\n".utf8), .missingTerminator))
        cases.append(Rejection(framed(good, crc: "12G4"), .badCRCDigits("12G4")))
        cases.append(
            Rejection(
                framed(good, crc: HJ212CRC.text(HJ212CRC.checksum(Array(good.utf8)) ^ 1)),
                .crcMismatch(
                    expected: HJ212CRC.checksum(Array(good.utf8)), got: HJ212CRC.checksum(Array(good.utf8)) ^ 1)))
        cases.append(Rejection(framed("ST=32;CN=2011;PW=1;MN=Ä;CP=&&&&"), .nonASCII(offset: 22, byte: 0xC3)))
        cases.append(Rejection(framed("ST=32;CN=2011;PW=1;MN=A\t;CP=&&&&"), .nonASCII(offset: 23, byte: 0x09)))
        cases.append(Rejection(framed("QN;ST=32;CN=2011;PW=1;MN=A;CP=&&&&"), .badHeaderField("QN")))
        cases.append(Rejection(framed("ST=32;CN=2011;PW=1;CP=&&&&"), .missingField("MN")))
        cases.append(Rejection(framed("ST=32;PW=1;MN=A;CP=&&&&"), .missingField("CN")))
        cases.append(
            Rejection(framed("ST=32;CN=2011;PW=1;MN=A;Flag=4"), .missingField("CP (the data area, \"CP=&&...&&\")")))
        cases.append(Rejection(framed("ST=32;ST=32;CN=2011;PW=1;MN=A;CP=&&&&"), .duplicateField("ST")))
        cases.append(Rejection(framed("ST=32;CN=2011;PW=1;MN=A;XX=1;CP=&&&&"), .unknownField("XX")))
        cases.append(
            Rejection(
                framed("QN=2025030108000000;ST=32;CN=2011;PW=1;MN=A;CP=&&&&"),
                .badField(name: "QN", value: "2025030108000000", rule: "expected 17 decimal digits")))
        cases.append(
            Rejection(
                framed("ST=3a;CN=2011;PW=1;MN=A;CP=&&&&"),
                .badField(name: "ST", value: "3a", rule: "expected 1 to 5 decimal digits")))
        cases.append(
            Rejection(
                framed("ST=32;CN=2011;PW=1234567890;MN=A;CP=&&&&"),
                .badField(
                    name: "PW", value: "1234567890",
                    rule: "expected 1 to 9 printable ASCII characters other than ; , = &")))
        cases.append(
            Rejection(
                framed("ST=32;CN=2011;PW=1;MN=\(String(repeating: "A", count: 25));CP=&&&&"),
                .badField(
                    name: "MN", value: String(repeating: "A", count: 25),
                    rule: "expected 1 to 24 printable ASCII characters other than ; , = &")))
        cases.append(Rejection(framed("ST=32;CN=2011;PW=1;MN=A;Flag=256;CP=&&&&"), .badFlag("256")))
        cases.append(Rejection(framed("ST=32;CN=2011;PW=1;MN=A;Flag=x;CP=&&&&"), .badFlag("x")))
        cases.append(
            Rejection(
                framed("ST=32;CN=2011;PW=1;MN=A;Flag=7;CP=&&&&"),
                .badSplit("Flag 7 marks a split packet but PNUM/PNO are missing")))
        cases.append(
            Rejection(
                framed("ST=32;CN=2011;PW=1;MN=A;Flag=5;PNUM=2;PNO=1;CP=&&&&"),
                .badSplit("PNUM/PNO present but Flag 5 has no split bit")))
        cases.append(
            Rejection(
                framed("ST=32;CN=2011;PW=1;MN=A;Flag=7;PNUM=2;CP=&&&&"), .badSplit("PNUM and PNO must come together")))
        cases.append(
            Rejection(
                framed("ST=32;CN=2011;PW=1;MN=A;Flag=7;PNUM=2;PNO=3;CP=&&&&"),
                .badField(name: "PNO", value: "3", rule: "expected 1 to PNUM (2)")))
        cases.append(Rejection(framed("ST=32;CN=2011;PW=1;MN=A;CP=&&a=1"), .badDataArea("CP does not end with \"&&\"")))
        cases.append(
            Rejection(framed("ST=32;CN=2011;PW=1;MN=A;CP=&a=1&&"), .badDataArea("CP does not start with \"&&\"")))
        cases.append(
            Rejection(framed("ST=32;CN=2011;PW=1;MN=A;CP=&&a=1&&b=2&&"), .badDataArea("\"&&\" inside the data area")))
        cases.append(
            Rejection(
                framed("ST=32;CN=2011;PW=1;MN=A;CP=&&a=1;;b=2&&"),
                .badDataArea("group 2 is empty (\";;\" or a stray \";\")")))
        cases.append(
            Rejection(
                framed("ST=32;CN=2011;PW=1;MN=A;CP=&&a=1,,b=2&&"),
                .badDataArea("group 1 has an empty field (\",,\" or a stray \",\")")))
        cases.append(Rejection(framed("ST=32;CN=2011;PW=1;MN=A;CP=&&a&&"), .badDataArea("field \"a\" has no \"=\"")))
        cases.append(
            Rejection(framed("ST=32;CN=2011;PW=1;MN=A;CP=&&=1&&"), .badDataArea("a field has an empty name (\"=1\")")))
        return cases
    }

    @Test(arguments: rejections)
    func rejection(_ rejection: Rejection) {
        let error = #expect(throws: FrameError.self) { try Frame.decode(rejection.bytes) }
        #expect(error == rejection.expected)
        #expect(error?.reason.isEmpty == false)
    }

    @Test func segmentsOverTheMaximumAreRefused() {
        #expect(throws: FrameError.segmentTooLong(length: 101, maximum: 100)) {
            try Frame.decode(Vectors.one, maxSegmentLength: 100)
        }
        let huge = "ST=32;CN=2011;PW=1;MN=A;CP=&&a=\(String(repeating: "1", count: 10_000))&&"
        #expect(throws: FrameError.segmentTooLong(length: 10_033, maximum: 9999)) {
            try Frame.decode(framed(huge, length: "9999"))
        }
        let frame = Frame(
            st: "32", cn: "2011", pw: "1", mn: "A",
            cp: DataArea([[DataField("a", String(repeating: "1", count: 10_000))]]))
        #expect(throws: FrameError.segmentTooLong(length: 10_033, maximum: 9999)) { try frame.encoded() }
    }

    @Test func reasonsNameTheProblem() {
        #expect(
            FrameError.crcMismatch(expected: 0x1C80, got: 0x1C81).description
                == "CRC mismatch: expected 1C80, got 1C81")
        #expect(
            FrameError.lengthMismatch(declared: 100, actual: 101).description
                == "length mismatch: the frame declares 100 bytes but its data segment is 101")
        #expect(FrameError.missingField("MN").description == "missing MN")
    }

    @Test func encodingRefusesWhatWouldNotDecode() {
        var frame = Frame(st: "32", cn: "2011", pw: "12;3", mn: "A")
        #expect(throws: FrameError.self) { try frame.encoded() }
        frame.pw = "123"
        frame.cp = DataArea([[DataField("a", "1,2")]])
        #expect(throws: FrameError.self) { try frame.encoded() }
        frame.cp = DataArea([[]])
        #expect(throws: FrameError.self) { try frame.encoded() }
    }
}
