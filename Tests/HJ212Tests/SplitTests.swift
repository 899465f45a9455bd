import Foundation
import LeveeTestSupport
import Testing

@testable import HJ212

struct SplitTests {
    let builder = MessageBuilder(pw: "123456", mn: "010000A8900016F000169DC0")

    func bigMessage(factors: Int) -> Frame {
        let values = (0..<factors).map {
            AggregateValue(
                code: String(format: "w%05d", $0), average: 12.345, minimum: 1.5, maximum: 99.125, flag: .normal)
        }
        return builder.minuteData(
            qn: "20250301080000000", dataTime: Date(timeIntervalSince1970: 1_740_787_200), values: values,
            flag: .acknowledgement)
    }

    @Test func aSmallMessageIsNotSplit() throws {
        let frame = bigMessage(factors: 2)
        #expect(try frame.split() == [frame])
    }

    @Test func aLargeMessageIsSplitByWholeGroupsWithinTheLimit() throws {
        let frame = bigMessage(factors: 40)
        #expect(frame.segment.utf8.count > 1024)
        let packets = try frame.split(maxSegmentLength: 1024)
        #expect(packets.count > 1)
        for (index, packet) in packets.enumerated() {
            #expect(packet.segment.utf8.count <= 1024)
            #expect(packet.pnum == packets.count)
            #expect(packet.pno == index + 1)
            #expect(packet.flag?.split == true)
            #expect(packet.flag?.acknowledgementRequested == true)
            #expect(packet.qn == frame.qn)
            // Each packet repeats the DataTime group, so it stands alone.
            #expect(packet.cp.groups.first == frame.cp.groups.first)
            // And decodes.
            #expect(try Frame.decode(packet.encoded()) == packet)
        }
        // Whole groups only: together they are the message's groups, in order, once each.
        let body = packets.flatMap { $0.cp.groups.dropFirst() }
        #expect(Array(body) == Array(frame.cp.groups.dropFirst()))
    }

    @Test func reassemblyGivesBackTheMessageWhateverTheOrder() throws {
        let frame = bigMessage(factors: 60)
        let packets = try frame.split(maxSegmentLength: 512)
        #expect(packets.count >= 3)
        var rng = SplitMix64(seed: 3)
        for _ in 0..<20 {
            var reassembler = FrameReassembler()
            var results: [Frame] = []
            for packet in packets.shuffled(using: &rng) {
                if let message = reassembler.add(packet) { results.append(message) }
            }
            #expect(results == [frame])
            #expect(reassembler.pendingCount == 0)
        }
    }

    @Test func aPacketReceivedTwiceDoesNotDuplicateGroups() throws {
        let frame = bigMessage(factors: 30)
        let packets = try frame.split(maxSegmentLength: 400)
        var reassembler = FrameReassembler()
        #expect(reassembler.add(packets[0]) == nil)
        #expect(reassembler.add(packets[0]) == nil)
        var result: Frame?
        for packet in packets.dropFirst() { result = reassembler.add(packet) ?? result }
        #expect(result == frame)
    }

    @Test func unsplitFramesPassStraightThroughAndLostPacketsAreBounded() throws {
        var reassembler = FrameReassembler(maxPending: 4)
        let plain = bigMessage(factors: 1)
        #expect(reassembler.add(plain) == plain)
        for n in 0..<10 {
            var frame = bigMessage(factors: 30)
            frame.qn = "2025030108000\(String(format: "%04d", n))"
            let packets = try frame.split(maxSegmentLength: 400)
            _ = reassembler.add(packets[0])  // the rest are lost
            #expect(reassembler.pendingCount <= 4)
        }
    }

    @Test func aGroupTooLargeForAnyPacketIsRefused() {
        let frame = Frame(
            qn: "20250301080000000", st: "32", cn: "2051", pw: "1", mn: "A",
            cp: DataArea([
                [DataField("DataTime", "20250301080000")], [DataField("x", String(repeating: "1", count: 300))],
            ]))
        #expect(throws: FrameError.self) { try frame.split(maxSegmentLength: 200) }
    }

    /// Property: for random messages and limits, packets fit, decode, and reassemble to the message.
    @Test func randomMessagesSplitAndReassemble() throws {
        var rng = SplitMix64(seed: 99)
        for _ in 0..<300 {
            var frame = Generate.frame(&rng, maxGroups: 60)
            frame.flag = Bool.random(using: &rng) ? .acknowledgement : nil
            let limit = Int.random(in: 150...1200, using: &rng)
            let packets: [Frame]
            do {
                packets = try frame.split(maxSegmentLength: limit)
            } catch {
                // A group longer than the limit cannot be split; anything else is a failure.
                guard case .groupTooLarge = error else { throw error }
                continue
            }
            var reassembler = FrameReassembler()
            var result: Frame?
            for packet in packets {
                #expect(packet.segment.utf8.count <= limit || packets.count == 1)
                result = reassembler.add(try Frame.decode(packet.encoded())) ?? result
            }
            var expected = frame
            if packets.count > 1 { expected.flag = expected.flag ?? .noAcknowledgement }
            #expect(result == expected)
        }
    }
}
