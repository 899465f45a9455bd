extension Frame {
    /// The 2017 standard's longest data segment, which splitting keeps every packet within by default.
    public static let standardMaxSegmentLength = 1024

    /// The packets to send for this message: itself when its data segment fits `maxSegmentLength`, else packets of
    /// whole data-area groups, each with `PNUM` (the count), `PNO` (from 1), the split bit of Flag set, and the
    /// same QN.
    ///
    /// A leading group that holds only `DataTime` is repeated at the head of every packet, so that a platform
    /// storing packets one by one still knows their time; ``FrameReassembler`` drops the copies.
    /// - Throws: ``FrameError/groupTooLarge(length:maximum:)`` when one group cannot fit a packet on its own, and
    ///   what ``encoded()`` throws for a bad field.
    public func split(maxSegmentLength: Int = Frame.standardMaxSegmentLength) throws(FrameError) -> [Frame] {
        let maximum = min(max(1, maxSegmentLength), Frame.maximumSegmentLength)
        try validate()
        guard segment.utf8.count > maximum else { return [self] }
        let repeated = cp.groups.first.map(Self.isTimeGroup) == true ? [cp.groups[0]] : []
        let body = Array(cp.groups.dropFirst(repeated.count))
        var flag = self.flag ?? .noAcknowledgement
        flag.split = true
        let groupLengths = body.map { Self.groupText($0).utf8.count }
        let repeatedLength = repeated.isEmpty ? 0 : Self.groupText(repeated[0]).utf8.count
        for digits in 1...4 {
            let widest = Int(String(repeating: "9", count: digits))!
            var template = self
            template.flag = flag
            template.pnum = widest
            template.pno = widest
            template.cp = DataArea()
            // What a packet costs besides its groups: the header and "CP=&&&&".
            let room = maximum - template.segment.utf8.count
            var packets: [[[DataField]]] = []
            var current: [[DataField]] = []
            var used = repeatedLength
            for (group, length) in zip(body, groupLengths) {
                let cost = (repeated.isEmpty && current.isEmpty ? 0 : 1) + length
                if used + cost > room {
                    if current.isEmpty {
                        throw .groupTooLarge(length: length + template.segment.utf8.count, maximum: maximum)
                    }
                    packets.append(current)
                    current = []
                    used = repeatedLength
                    let fresh = (repeated.isEmpty ? 0 : 1) + length
                    if used + fresh > room {
                        throw .groupTooLarge(length: length + template.segment.utf8.count, maximum: maximum)
                    }
                    used += fresh
                } else {
                    used += cost
                }
                current.append(group)
            }
            if !current.isEmpty { packets.append(current) }
            if packets.isEmpty {
                throw .groupTooLarge(length: repeatedLength + template.segment.utf8.count, maximum: maximum)
            }
            guard packets.count <= widest else { continue }
            return packets.enumerated().map { index, groups in
                var packet = self
                packet.flag = flag
                packet.pnum = packets.count
                packet.pno = index + 1
                packet.cp = DataArea(repeated + groups)
                return packet
            }
        }
        throw .badSplit("the message needs more than 9999 packets of \(maximum) bytes")
    }

    static func isTimeGroup(_ group: [DataField]) -> Bool {
        group.count == 1 && group[0].key == "DataTime"
    }

    static func groupText(_ group: [DataField]) -> String {
        group.map(\.description).joined(separator: ",")
    }
}

/// Puts split messages back together on the receiving side.
///
/// Give it every frame received: a frame that is not split comes straight back; a packet is held until its
/// message is complete, and then the whole message comes back as one frame (no PNUM/PNO, split bit cleared, the
/// groups of every packet in PNO order, repeated `DataTime` groups dropped). Packets belong together when they share
/// MN, CN, QN and PNUM; a packet received twice replaces the first. At most `maxPending` incomplete messages are
/// held: past that, the oldest is given up, so lost packets never grow memory without bound.
public struct FrameReassembler: Sendable {
    struct Key: Hashable, Sendable {
        var mn: String
        var cn: CommandCode
        var qn: String?
        var pnum: Int
    }

    public let maxPending: Int
    private var pending: [Key: [Int: Frame]] = [:]
    private var arrival: [Key] = []

    public init(maxPending: Int = 16) {
        self.maxPending = max(1, maxPending)
    }

    /// How many incomplete messages are held.
    public var pendingCount: Int { pending.count }

    /// Takes a received frame; returns the message it completes (or the frame itself when it is not split).
    public mutating func add(_ frame: Frame) -> Frame? {
        guard let pnum = frame.pnum, let pno = frame.pno else { return frame }
        let key = Key(mn: frame.mn, cn: frame.cn, qn: frame.qn, pnum: pnum)
        if pending[key] == nil {
            arrival.append(key)
            if arrival.count > maxPending { pending[arrival.removeFirst()] = nil }
        }
        pending[key, default: [:]][pno] = frame
        guard let packets = pending[key], packets.count == pnum else { return nil }
        pending[key] = nil
        arrival.removeAll { $0 == key }
        let ordered = (1...pnum).compactMap { packets[$0] }
        var message = ordered[0]
        let head = message.cp.groups.first
        let repeatedHead = head.map(Frame.isTimeGroup) == true ? head : nil
        for packet in ordered.dropFirst() {
            var groups = packet.cp.groups
            if let repeatedHead, groups.first == repeatedHead { groups.removeFirst() }
            message.cp.groups += groups
        }
        message.pnum = nil
        message.pno = nil
        message.flag?.split = false
        return message
    }
}
