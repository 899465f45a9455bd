import LeveeTestSupport
import Testing

@testable import HJ212

/// Seeded fuzzing of the decoder and the stream reader: random bytes, and valid frames flipped, cut, grown and
/// shrunk. Nothing may crash; every rejection must give a reason; anything accepted must re-encode to a frame
/// whose CRC checks.
struct FuzzTests {
    enum Mutation: CaseIterable {
        case flip, insert, delete, truncate, duplicate
    }

    static func mutate(_ bytes: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            guard !bytes.isEmpty else { break }
            let index = Int.random(in: 0..<bytes.count, using: &rng)
            switch Mutation.allCases.randomElement(using: &rng)! {
            case .flip: bytes[index] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            case .insert: bytes.insert(interesting(&rng), at: index)
            case .delete: bytes.remove(at: index)
            case .truncate: bytes.removeLast(bytes.count - index)
            case .duplicate: bytes.insert(contentsOf: bytes[index..<min(bytes.count, index + 8)], at: index)
            }
        }
        return bytes
    }

    /// Bytes that matter to the format more often than chance would pick them.
    static func interesting(_ rng: inout SplitMix64) -> UInt8 {
        let special = Array("#;,=&\r\n0123456789ABCDEF".utf8) + [0x00, 0x7F, 0xC3, 0xFF]
        return Bool.random(using: &rng) ? special.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
    }

    static func checkAccepted(_ frame: Frame) throws {
        let bytes = try frame.encoded()
        let segment = bytes[6..<(bytes.count - 6)]
        #expect(HJ212CRC.parse(bytes[(bytes.count - 6)..<(bytes.count - 2)]) == HJ212CRC.checksum(segment))
        #expect(try Frame.decode(bytes) == frame)
    }

    @Test func randomBytesThroughDecode() throws {
        var rng = SplitMix64(seed: 0xF022)
        for _ in 0..<5000 {
            var bytes = (0..<Int.random(in: 0...200, using: &rng)).map { _ in interestingOrAny(&rng) }
            if Bool.random(using: &rng) { bytes = Array("##".utf8) + bytes }
            do {
                try Self.checkAccepted(try Frame.decode(bytes))
            } catch let error as FrameError {
                #expect(!error.reason.isEmpty)
            }
        }
    }

    private func interestingOrAny(_ rng: inout SplitMix64) -> UInt8 { Self.interesting(&rng) }

    @Test func mutatedFramesThroughDecode() throws {
        var rng = SplitMix64(seed: 0xBAD_F00D)
        var accepted = 0
        var rejected = 0
        for _ in 0..<5000 {
            let valid = try Generate.frame(&rng).encoded()
            let bytes = Self.mutate(valid, &rng)
            do {
                try Self.checkAccepted(try Frame.decode(bytes))
                accepted += 1
            } catch let error as FrameError {
                #expect(!error.reason.isEmpty)
                rejected += 1
            }
        }
        // Most mutations break the CRC; a few (in the CRC's case, or a flip back) survive.
        #expect(rejected > accepted)
    }

    @Test func mutatedStreamsThroughTheReader() throws {
        var rng = SplitMix64(seed: 0x57_2EA4)
        for round in 0..<300 {
            var reader = FrameReader(maxSegmentLength: Int.random(in: 100...1024, using: &rng))
            var stream: [UInt8] = []
            var intact = 0
            var damage = 0
            for _ in 0..<Int.random(in: 1...20, using: &rng) {
                let valid = try Generate.frame(&rng).encoded()
                if Int.random(in: 0..<4, using: &rng) == 0 {
                    stream += Self.mutate(valid, &rng)
                    damage += 1
                } else {
                    stream += valid
                    if valid.count <= reader.maximumFrameLength { intact += 1 }
                }
                if Int.random(in: 0..<5, using: &rng) == 0 {
                    stream += (0..<Int.random(in: 1...50, using: &rng)).map { _ in Self.interesting(&rng) }
                    damage += 1
                }
            }
            var outputs: [FrameReader.Output] = []
            var index = 0
            while index < stream.count {
                let size = Int.random(in: 1...300, using: &rng)
                outputs += reader.feed(stream[index..<min(index + size, stream.count)])
                index += size
                #expect(reader.bufferedByteCount <= 2 * reader.maximumFrameLength)
            }
            outputs += reader.finish()
            var frames = 0
            for output in outputs {
                switch output {
                case .frame(let frame, let raw):
                    frames += 1
                    try Self.checkAccepted(frame)
                    #expect(raw.count <= reader.maximumFrameLength)
                case .rejected(let rejection):
                    #expect(!rejection.reason.isEmpty, "round \(round)")
                }
            }
            // The reader resynchronises on the next "##": damage costs at most the frame after it.
            #expect(frames >= intact - damage, "round \(round)")
        }
    }

    @Test func randomBytesThroughTheReader() {
        var rng = SplitMix64(seed: 42)
        var reader = FrameReader(maxSegmentLength: 512)
        for _ in 0..<3000 {
            let chunk = (0..<Int.random(in: 0...600, using: &rng)).map { _ in Self.interesting(&rng) }
            for output in reader.feed(chunk) {
                switch output {
                case .frame(let frame, _): #expect((try? frame.encoded()) != nil)
                case .rejected(let rejection): #expect(!rejection.reason.isEmpty)
                }
            }
            #expect(reader.bufferedByteCount <= 2 * reader.maximumFrameLength)
        }
    }
}
