import Config
import ModbusWire
import Testing

@testable import Devices

struct PollPlanTests {
    typealias S = TestSupport

    @Test func contiguousPointsOfOneTableBecomeOneRequest() {
        let device = S.device(
            "gas", bus: "b",
            points: [
                S.point("concentration", .inputRegister, 0, .float32, order: .abcd),
                S.point("status", .inputRegister, 2),
                S.point("unit_code", .inputRegister, 3),
            ])
        let requests = PollPlan.requests(for: device, maxGap: 0)
        #expect(requests.count == 1)
        #expect(requests.first?.table == .inputRegister)
        #expect(requests.first.map { [$0.address, $0.count] } == [0, 4])
    }

    @Test func eachTableNeedsItsOwnRequest() {
        let device = S.device(
            "valve", bus: "b",
            points: [
                S.point("open_limit", .discreteInput, 0), S.point("closed_limit", .discreteInput, 1),
                S.point("remote", .discreteInput, 2), S.point("position", .inputRegister, 0),
                S.point("status", .holdingRegister, 1, .bit(3)),
            ])
        let requests = PollPlan.requests(for: device, maxGap: 8)
        #expect(requests.count == 3)
        #expect(
            requests.map(\.table).sorted { $0.rawValue < $1.rawValue } == [
                .discreteInput, .holdingRegister, .inputRegister,
            ])
    }

    @Test(arguments: [(0, 3), (3, 3), (4, 2), (9, 2), (10, 1)])
    func gapDecidesWhetherToReadAcross(maxGap: Int, expected: Int) {
        // Registers 0, 5 (4 unused between) and 16...17 (10 unused after 5).
        let device = S.device(
            "d", bus: "b",
            points: [
                S.point("a", .holdingRegister, 0), S.point("b", .holdingRegister, 5),
                S.point("c", .holdingRegister, 16, .float32, order: .cdab),
            ])
        #expect(PollPlan.requests(for: device, maxGap: maxGap).count == expected)
    }

    @Test func requestsNeverExceedTheProtocolLimits() {
        // 300 registers one apart and 3000 coils: 125 registers and 2000 bits per request at most.
        let registers = (0..<300).map { S.point("r\($0)", .holdingRegister, $0) }
        let coils = (0..<3000).map { S.point("c\($0)", .coil, $0) }
        let requests = PollPlan.coalesce(
            (registers + coils).map { ($0.0, $0.1.modbus!) }, maxGap: 8)
        let regs = requests.filter { $0.table == .holdingRegister }
        let bits = requests.filter { $0.table == .coil }
        #expect(regs.map(\.count) == [125, 125, 50])
        #expect(bits.map(\.count) == [2000, 1000])
        #expect(requests.allSatisfy { $0.count <= $0.table.maxReadQuantity })
    }

    @Test func aTwoRegisterValueIsNeverSplitAcrossRequests() {
        let points =
            (0..<124).map { S.point("r\($0)", .holdingRegister, $0) } + [
                S.point("f", .holdingRegister, 124, .float32, order: .abcd)
            ]
        let requests = PollPlan.coalesce(points.map { ($0.0, $0.1.modbus!) }, maxGap: 0)
        #expect(requests.map(\.count) == [124, 2])
    }

    @Test func splittingAtGapsGivesTheContiguousRuns() {
        let device = S.device(
            "d", bus: "b",
            points: [
                S.point("a", .holdingRegister, 0), S.point("b", .holdingRegister, 1), S.point("c", .holdingRegister, 6),
            ])
        let request = PollPlan.requests(for: device, maxGap: 8)
        #expect(request.count == 1)
        let parts = request[0].splitAtGaps()
        #expect(parts.map { [$0.address, $0.count] } == [[0, 2], [6, 1]])
    }

    @Test func decodingAppliesScaleOffsetInversionAndRange() throws {
        let level = ReadRequest.Slot(
            name: "level",
            point: ModbusPoint(
                table: .inputRegister, address: 0, type: .uint16, scaling: Scaling(scale: 0.001, offset: -0.5)),
            offset: 1)
        let words: [UInt16] = [0, 2750]
        let (v, q) = PollPlan.decode(level, from: words, range: 0...5)
        #expect(q == .good)
        #expect(abs(try #require(v) - 2.25) < 1e-9)
        let (_, q2) = PollPlan.decode(level, from: [0, 6000], range: 0...5)
        #expect(q2 == .outOfRange)
        let inverted = ReadRequest.Slot(
            name: "local", point: ModbusPoint(table: .discreteInput, address: 0, type: .bool, invert: true), offset: 0)
        #expect(PollPlan.decode(inverted, from: [1], range: nil).value == 0)
        let nan = ReadRequest.Slot(
            name: "f", point: ModbusPoint(table: .inputRegister, address: 0, type: .float32, wordOrder: .abcd),
            offset: 0)
        #expect(PollPlan.decode(nan, from: [0x7FC0, 0x0000], range: nil).quality == .outOfRange)
    }
}
