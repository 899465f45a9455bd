import LeveeTestSupport
import Testing

@testable import HJ212

struct FrameReaderTests {
    func frames(_ outputs: [FrameReader.Output]) -> [Frame] {
        outputs.compactMap { if case .frame(let frame, _) = $0 { frame } else { nil } }
    }

    func rejections(_ outputs: [FrameReader.Output]) -> [FrameReader.Rejection] {
        outputs.compactMap { if case .rejected(let rejection) = $0 { rejection } else { nil } }
    }

    @Test func framesSplitAcrossChunksOfEverySize() throws {
        let stream = Vectors.one + Vectors.two + Vectors.one
        let expected = [try Frame.decode(Vectors.one), try Frame.decode(Vectors.two), try Frame.decode(Vectors.one)]
        for size in [1, 2, 3, 7, 50, 101, 500] {
            var reader = FrameReader()
            var outputs: [FrameReader.Output] = []
            var index = 0
            while index < stream.count {
                outputs += reader.feed(stream[index..<min(index + size, stream.count)])
                index += size
            }
            #expect(frames(outputs) == expected, "chunks of \(size)")
            #expect(rejections(outputs).isEmpty)
            #expect(reader.bufferedByteCount == 0)
        }
    }

    @Test func rawBytesComeWithTheFrame() {
        var reader = FrameReader()
        let outputs = reader.feed(Vectors.two)
        guard case .frame(_, let raw) = outputs.first else {
            Issue.record("no frame")
            return
        }
        #expect(raw == Vectors.two)
    }

    @Test func garbageBeforeAFrameIsRejectedAndTheFrameStillRead() throws {
        var reader = FrameReader()
        let outputs = reader.feed(Array("hello#world".utf8) + Vectors.one)
        #expect(frames(outputs) == [try Frame.decode(Vectors.one)])
        let rejected = rejections(outputs)
        #expect(rejected.map(\.error) == [.garbage(count: 11)])
        #expect(rejected.first?.raw == Array("hello#world".utf8))
    }

    @Test func aRunOfHashesStartsTheFrameAtItsLastTwo() throws {
        var reader = FrameReader()
        let outputs = reader.feed(Array("#".utf8) + Vectors.one)  // "###0101..."
        #expect(frames(outputs) == [try Frame.decode(Vectors.one)])
        #expect(rejections(outputs).map(\.error) == [.garbage(count: 1)])
    }

    @Test func lineEndsBetweenFramesAreNotReported() throws {
        var reader = FrameReader()
        let outputs = reader.feed(Vectors.one + Array("\r\n\r\n".utf8) + Vectors.two)
        #expect(frames(outputs).count == 2)
        #expect(rejections(outputs).isEmpty)
    }

    @Test func aFrameCutShortByTheNextIsRejectedAndTheNextRead() throws {
        var reader = FrameReader()
        let outputs = reader.feed(Array(Vectors.one.prefix(40)) + Vectors.two)
        #expect(frames(outputs) == [try Frame.decode(Vectors.two)])
        #expect(rejections(outputs).map(\.error) == [.truncated(length: 40)])
        #expect(rejections(outputs).first?.raw == Array(Vectors.one.prefix(40)))
    }

    @Test func aBadFrameIsRejectedWithItsReasonAndTheNextRead() throws {
        var bad = Vectors.one
        bad[20] = UInt8(ascii: "9")
        var reader = FrameReader()
        let outputs = reader.feed(bad + Vectors.two)
        #expect(frames(outputs) == [try Frame.decode(Vectors.two)])
        let rejected = try #require(rejections(outputs).first)
        guard case .crcMismatch = rejected.error else {
            Issue.record("expected a CRC mismatch, got \(rejected.error)")
            return
        }
        #expect(rejected.raw == bad)
        #expect(rejected.reason.hasPrefix("CRC mismatch: expected "))
    }

    @Test func aStartWithoutLineEndIsGivenUpAtTheMaximumLength() throws {
        var reader = FrameReader(maxSegmentLength: 200)
        var outputs = reader.feed(Array("##0150".utf8) + Array(repeating: UInt8(ascii: "A"), count: 300))
        #expect(rejections(outputs).map(\.error) == [.unterminated(length: 212, maximum: 212)])
        outputs = reader.feed(Vectors.one)
        #expect(frames(outputs) == [try Frame.decode(Vectors.one)])
        #expect(reader.bufferedByteCount == 0)
    }

    /// A flood of garbage never grows the reader's memory past its bound, and the stream recovers after it.
    @Test func aFloodOfGarbageStaysBounded() throws {
        var reader = FrameReader(maxSegmentLength: 1024)
        var rng = SplitMix64(seed: 7)
        var rejectedBytes = 0
        for _ in 0..<2000 {
            let chunk = (0..<Int.random(in: 1...4096, using: &rng)).map { _ in
                // No '#' at all, so the garbage never looks like a start.
                UInt8.random(in: 0x30...0x7A, using: &rng)
            }
            for case .rejected(let rejection) in reader.feed(chunk) {
                #expect(rejection.raw.count <= reader.maximumFrameLength)
                rejectedBytes += rejection.raw.count
            }
            #expect(reader.bufferedByteCount <= 2 * reader.maximumFrameLength)
        }
        #expect(rejectedBytes > 1_000_000)
        // The rest of the garbage, then a frame.
        let outputs = reader.feed(Vectors.one)
        #expect(frames(outputs) == [try Frame.decode(Vectors.one)])
    }

    @Test func oneHugeChunkIsProcessedInSlices() throws {
        var reader = FrameReader(maxSegmentLength: 200)
        let garbage = [UInt8](repeating: UInt8(ascii: "x"), count: 1_000_000)
        let outputs = reader.feed(garbage + Vectors.one)
        #expect(frames(outputs) == [try Frame.decode(Vectors.one)])
        #expect(rejections(outputs).allSatisfy { $0.raw.count <= reader.maximumFrameLength })
        #expect(rejections(outputs).reduce(0) { $0 + $1.raw.count } == 1_000_000)
    }

    @Test func finishRejectsWhatIsLeft() {
        var reader = FrameReader()
        _ = reader.feed(Vectors.one.prefix(30))
        let outputs = reader.finish()
        #expect(rejections(outputs).map(\.error) == [.unfinished(length: 30)])
        #expect(reader.bufferedByteCount == 0)
        #expect(reader.finish().isEmpty)
    }
}
