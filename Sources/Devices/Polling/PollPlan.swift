import Config
import ModbusWire

/// One read request on the wire and which points it serves.
public struct ReadRequest: Sendable, Hashable {
    public var table: RegisterTable
    public var address: Int
    public var count: Int
    /// Points decoded from this request, each with its offset into the returned words.
    public var points: [Slot]

    public struct Slot: Sendable, Hashable {
        public var name: String
        public var point: ModbusPoint
        public var offset: Int
    }

    /// The contiguous runs of points inside this request (split apart when a device rejects reading the gaps).
    public func splitAtGaps() -> [ReadRequest] {
        PollPlan.coalesce(points.map { ($0.name, $0.point) }, maxGap: 0)
    }
}

/// Coalesces a device's points into as few read requests as the protocol allows.
///
/// Points of one table are sorted by address and merged while the merged request stays within the protocol limit
/// (125 registers, 2000 bits) and the unused gap between neighbours is at most `maxGap`. A gap costs two bytes a
/// register on the wire but saves a whole transaction (at 9600 baud about 25 ms), so small gaps are worth reading.
public enum PollPlan {
    public static func requests(for device: Device, maxGap: Int) -> [ReadRequest] {
        let modbusPoints = device.points.compactMap { name, point in point.modbus.map { (name, $0) } }
        return coalesce(modbusPoints, maxGap: maxGap)
    }

    public static func coalesce(_ points: [(String, ModbusPoint)], maxGap: Int) -> [ReadRequest] {
        var result: [ReadRequest] = []
        for table in RegisterTable.allCases {
            let sorted = points.filter { $0.1.table == table }.sorted {
                ($0.1.address, $0.0) < ($1.1.address, $1.0)
            }
            var current: ReadRequest?
            for (name, point) in sorted {
                let lo = point.addresses.lowerBound
                let hi = point.addresses.upperBound
                if var req = current {
                    let reqEnd = req.address + req.count - 1
                    let newEnd = max(reqEnd, hi)
                    if lo - reqEnd - 1 <= maxGap && newEnd - req.address + 1 <= table.maxReadQuantity {
                        req.count = newEnd - req.address + 1
                        req.points.append(.init(name: name, point: point, offset: lo - req.address))
                        current = req
                        continue
                    }
                    result.append(req)
                }
                current = ReadRequest(
                    table: table, address: lo, count: hi - lo + 1,
                    points: [.init(name: name, point: point, offset: 0)])
            }
            if let req = current { result.append(req) }
        }
        return result
    }

    /// Decodes one point from the words a request returned, applying scaling, inversion and the valid range.
    public static func decode(_ slot: ReadRequest.Slot, from words: [UInt16], range: ClosedRange<Double>?)
        -> (value: Double?, quality: Quality)
    {
        let p = slot.point
        let slice = words[slot.offset..<(slot.offset + (p.table.isBitTable ? 1 : p.type.registerCount))]
        let type: ValueType = p.table.isBitTable ? .bool : p.type
        guard let raw = RegisterCodec.decodeRaw(slice, as: type, order: p.wordOrder) else {
            return (nil, .outOfRange)
        }
        var value: Double
        switch type {
        case .bool, .bit:
            value = p.invert ? (raw != 0 ? 0 : 1) : raw
        default:
            value = p.scaling.engineering(fromRaw: raw)
        }
        if let range, !range.contains(value) { return (value, .outOfRange) }
        value = value == 0 ? 0 : value  // no "-0.0" on screens
        return (value, .good)
    }
}
