import Foundation
import LeveeTestSupport

@testable import HJ212

/// The standard's test vectors (domain brief), as bytes.
enum Vectors {
    static let one = Array(
        "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n"
            .utf8)
    static let two = Array(
        "##0109ST=32;CN=2011;PW=123456;MN=NJGDKYYC202101q0001w0001;CP=&&DataTime=20210305003817000;ele01-Rtd=1;ele02-Rtd=0&&8c41\r\n"
            .utf8)
}

/// Random valid frames for property tests.
enum Generate {
    static let safe = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:+".utf8)

    static func text(_ rng: inout SplitMix64, _ lengths: ClosedRange<Int>) -> String {
        let count = Int.random(in: lengths, using: &rng)
        return String(decoding: (0..<count).map { _ in safe.randomElement(using: &rng)! }, as: UTF8.self)
    }

    static func digits(_ rng: inout SplitMix64, _ count: Int) -> String {
        String((0..<count).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) })
    }

    static func frame(_ rng: inout SplitMix64, maxGroups: Int = 6) -> Frame {
        var groups: [[DataField]] = []
        for _ in 0..<Int.random(in: 0...maxGroups, using: &rng) {
            groups.append(
                (0..<Int.random(in: 1...4, using: &rng)).map { _ in
                    DataField(text(&rng, 1...12), text(&rng, 0...10))
                })
        }
        var flag = Bool.random(using: &rng) ? FrameFlag(rawValue: Int.random(in: 0...255, using: &rng)) : nil
        flag?.split = false
        return Frame(
            qn: Bool.random(using: &rng) ? digits(&rng, 17) : nil,
            st: SystemCode(rawValue: digits(&rng, Int.random(in: 1...5, using: &rng))),
            cn: CommandCode(rawValue: digits(&rng, Int.random(in: 1...7, using: &rng))),
            pw: text(&rng, 1...9), mn: text(&rng, 1...24), flag: flag, cp: DataArea(groups))
    }
}

extension Array where Element == UInt8 {
    var text: String { String(decoding: self, as: UTF8.self) }
}

/// A frame's bytes from its data segment, with a correct length and CRC: for building malformed segments.
func framed(_ segment: String, crc: String? = nil, length: String? = nil) -> [UInt8] {
    let bytes = Array(segment.utf8)
    return Array("##\(length ?? Frame.fourDigits(bytes.count))".utf8) + bytes
        + Array((crc ?? HJ212CRC.text(HJ212CRC.checksum(bytes))).utf8) + [0x0D, 0x0A]
}
