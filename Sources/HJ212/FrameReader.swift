/// Splits a TCP byte stream into frames: feed it chunks as they arrive, of any size, and take what it found.
///
/// A frame runs from `##` to the first CR LF (the data segment is printable ASCII, so it holds neither). What the
/// reader cannot use is handed back as a ``Rejection`` with its reason and raw bytes, and it resynchronises on the
/// next `##`:
/// - bytes before a `##` are garbage (CR, LF, spaces and NULs alone between frames are dropped silently);
/// - a `##` that comes before the CR LF of the frame in progress cuts that frame short;
/// - a frame start with no CR LF within the longest frame allowed is given up, and the search goes on after it.
///
/// Memory is bounded: the reader holds at most the longest frame allowed plus one chunk slice of that size, however
/// much garbage arrives, and a rejection's raw bytes are at most that long too.
public struct FrameReader: Sendable {
    /// What the reader found in the stream.
    public enum Output: Hashable, Sendable {
        /// A frame that decoded, and its bytes as received.
        case frame(Frame, raw: [UInt8])
        /// Bytes that are no frame, with the reason.
        case rejected(Rejection)
    }

    /// Bytes the reader refused and why.
    public struct Rejection: Hashable, Sendable, CustomStringConvertible {
        public var error: FrameError
        /// The refused bytes (at most ``FrameReader/maximumFrameLength``).
        public var raw: [UInt8]

        public var reason: String { error.description }
        public var description: String { "\(reason): \(FrameReader.printable(raw.prefix(120)))" }
    }

    /// The longest data segment accepted.
    public let maxSegmentLength: Int
    /// The longest frame accepted: the segment plus `##`, 4 length digits, 4 CRC digits and CR LF.
    public var maximumFrameLength: Int { maxSegmentLength + 12 }

    private var buffer: [UInt8] = []
    /// Where in `buffer` the search for CR LF or the next `##` resumes, so that a frame arriving a byte at a time is
    /// scanned once.
    private var scanned = 0
    /// Where the search for a frame start resumes, so that garbage arriving a byte at a time is scanned once.
    private var startScanned = 0

    /// - Parameter maxSegmentLength: the longest data segment accepted (at most 9999).
    public init(maxSegmentLength: Int = Frame.maximumSegmentLength) {
        self.maxSegmentLength = min(max(1, maxSegmentLength), Frame.maximumSegmentLength)
    }

    /// How many bytes are held, waiting for the rest of a frame.
    public var bufferedByteCount: Int { buffer.count }

    /// Forgets what is buffered, for a new connection.
    public mutating func reset() {
        buffer.removeAll(keepingCapacity: true)
        scanned = 0
        startScanned = 0
    }

    /// Takes `bytes` and returns the frames and rejections they complete, in stream order.
    public mutating func feed(_ bytes: some Collection<UInt8>) -> [Output] {
        var output: [Output] = []
        var rest = bytes[...]
        // In slices, so that a huge chunk of garbage never sits in the buffer whole.
        while !rest.isEmpty {
            let slice = rest.prefix(maximumFrameLength)
            rest = rest.dropFirst(slice.count)
            buffer.append(contentsOf: slice)
            process(into: &output)
        }
        return output
    }

    /// Ends the stream: whatever is buffered is rejected (an unfinished frame, or garbage), and the reader is empty.
    public mutating func finish() -> [Output] {
        defer { reset() }
        guard !buffer.isEmpty else { return [] }
        let blank: Set<UInt8> = [0x00, 0x0A, 0x0D, 0x20]
        if buffer.allSatisfy(blank.contains) { return [] }
        let hasStart = buffer.count >= 2 && buffer[0] == Self.hash && buffer[1] == Self.hash
        let error: FrameError = hasStart ? .unfinished(length: buffer.count) : .garbage(count: buffer.count)
        return [.rejected(Rejection(error: error, raw: buffer))]
    }

    private static let hash = UInt8(ascii: "#")

    private mutating func process(into output: inout [Output]) {
        while !buffer.isEmpty {
            // 1. The buffer must start with the "##" of a frame: the last two of a run of '#'.
            guard let start = frameStart() else {
                // No start yet. Garbage waits for one (to be reported in one piece) up to the longest frame; all but
                // a trailing "#" (half of a "##" to come) then goes.
                var keep = 0
                while keep < buffer.count, keep < 2, buffer[buffer.count - 1 - keep] == Self.hash { keep += 1 }
                guard buffer.count - keep >= maximumFrameLength else { return }
                discard(upTo: maximumFrameLength, into: &output)
                continue
            }
            if start > 0 {
                discard(upTo: min(start, maximumFrameLength), into: &output)
                continue
            }
            // 2. At "##": the frame ends at the first CR LF, unless a new "##" comes first.
            var index = max(scanned, 2)
            var end: Int?
            var cutAt: Int?
            while index < buffer.count {
                let byte = buffer[index]
                if byte == 0x0A, buffer[index - 1] == 0x0D {
                    end = index + 1
                    break
                }
                if byte == Self.hash, buffer[index - 1] == Self.hash, index - 1 >= 2 {
                    cutAt = index - 1
                    break
                }
                index += 1
            }
            if let end {
                let raw = Array(buffer[0..<end])
                take(end)
                do {
                    output.append(.frame(try Frame.decode(raw, maxSegmentLength: maxSegmentLength), raw: raw))
                } catch {
                    output.append(.rejected(Rejection(error: error, raw: raw)))
                }
            } else if let cutAt {
                output.append(.rejected(Rejection(error: .truncated(length: cutAt), raw: Array(buffer[0..<cutAt]))))
                take(cutAt)
            } else if buffer.count > maximumFrameLength {
                let raw = Array(buffer[0..<maximumFrameLength])
                output.append(
                    .rejected(
                        Rejection(error: .unterminated(length: raw.count, maximum: maximumFrameLength), raw: raw)))
                take(maximumFrameLength)
            } else {
                scanned = buffer.count
                return
            }
        }
    }

    /// The index of the first "##" that starts a frame (the last two bytes of a run of '#'), or nil when there is
    /// none yet. A run ending the buffer is not a start yet: another '#' may follow.
    private mutating func frameStart() -> Int? {
        var index = startScanned
        while index + 1 < buffer.count {
            if buffer[index] == Self.hash, buffer[index + 1] == Self.hash {
                var last = index + 1
                while last + 1 < buffer.count, buffer[last + 1] == Self.hash { last += 1 }
                if last + 1 == buffer.count {
                    startScanned = index
                    return nil
                }
                return last - 1
            }
            index += 1
        }
        startScanned = max(0, buffer.count - 1)
        return nil
    }

    /// Drops the first `count` bytes as garbage, reporting them unless they are only line ends, spaces or NULs.
    private mutating func discard(upTo count: Int, into output: inout [Output]) {
        let raw = Array(buffer[0..<count])
        take(count)
        let blank: Set<UInt8> = [0x00, 0x0A, 0x0D, 0x20]
        if !raw.allSatisfy(blank.contains) {
            output.append(.rejected(Rejection(error: .garbage(count: raw.count), raw: raw)))
        }
    }

    private mutating func take(_ count: Int) {
        buffer.removeFirst(count)
        scanned = 0
        startScanned = 0
    }

    /// Bytes as a person reads them: printable ASCII as is, others as `\xNN`.
    public static func printable(_ bytes: some Sequence<UInt8>) -> String {
        var text = ""
        for byte in bytes {
            if byte >= 0x20 && byte < 0x7F {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else if byte == 0x0D {
                text += "\\r"
            } else if byte == 0x0A {
                text += "\\n"
            } else {
                let digits = Array("0123456789ABCDEF")
                text += "\\x" + String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
            }
        }
        return text
    }
}
