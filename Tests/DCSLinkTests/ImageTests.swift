import Config
import ModbusWire
import Testing

@testable import DCSLink

/// What the registers hold for given facts: every type and word order, qualities, valve states, alarm bits.
struct ImageTests {
    static func map(_ dcs: String = "") throws -> DCSMap {
        let config = try Fixture.config(dcs: dcs)
        return DCSMap(config: config, book: DCSAddressBook.assign(config, lock: nil).book)
    }

    static func facts(gas: Double?, quality: QualityCode = .good) -> PlantFacts {
        var f = PlantFacts()
        f.devices["gas-a1"] = .init(
            answering: true, points: ["concentration": .init(value: gas, quality: quality, ageSeconds: 0.4)])
        return f
    }

    @Test(arguments: WordOrder.allCases)
    func theFloatAndBothIntegersDecodeToTheValueInEveryWordOrder(order: WordOrder) throws {
        let map = try Self.map("word_order = \"\(order.rawValue)\"\nint_scale = 100")
        var image = DCSImage(map: map)
        image.update(Self.facts(gas: -12.34), map: map)
        let r = try image.read(1010, count: 8).get()
        #expect(Float(RegisterCodec.decodeRaw(r[0...1], as: .float32, order: order)!) == Float(-12.34))
        #expect(RegisterCodec.decodeRaw(r[2...3], as: .int32, order: order) == -1234)
        #expect(RegisterCodec.decodeRaw(r[4...4], as: .int16, order: nil) == -1234)
        #expect(r[5] == QualityCode.good.rawValue)
        #expect(r[6] == 0, "age in whole seconds")
    }

    @Test func anInt16ThatWouldOverflowIsClampedAndTheInt32IsNot() throws {
        let map = try Self.map("int_scale = 1000")
        var image = DCSImage(map: map)
        image.update(Self.facts(gas: 99.5), map: map)
        let r = try image.read(1010, count: 8).get()
        #expect(RegisterCodec.decodeRaw(r[4...4], as: .int16, order: nil) == 32767)
        #expect(RegisterCodec.decodeRaw(r[2...3], as: .int32, order: .abcd) == 99500)
    }

    @Test func aPointWithNoValueReadsZeroAndSaysWhyInItsQuality() throws {
        let map = try Self.map()
        var image = DCSImage(map: map)
        image.update(Self.facts(gas: 20), map: map)
        image.update(Self.facts(gas: nil, quality: .commFail), map: map)
        let r = try image.read(1010, count: 8).get()
        #expect(Array(r[0...4]) == [0, 0, 0, 0, 0], "no stale number left behind")
        #expect(r[5] == QualityCode.commFail.rawValue)
        // A device that never reported at all.
        image.update(PlantFacts(), map: map)
        let never = try image.read(1010, count: 8).get()
        #expect(never[5] == QualityCode.noValue.rawValue && never[6] == 0xFFFF)
        #expect(try image.read(1000, count: 1).get() == [0], "not answering")
    }

    @Test func theValveBlockGivesPositionModeStrokeAndFailure() throws {
        let map = try Self.map()
        var image = DCSImage(map: map)
        var f = PlantFacts()
        f.devices["rain-outlet-1"] = .init(
            answering: true, points: [:],
            valve: .init(position: .closed, mode: .local, lastStrokeSeconds: 1.26, failedToMove: true, pending: 2))
        image.update(f, map: map)
        #expect(try image.read(1100, count: 6).get() == [1, 2, 2, 13, 1, 2])
    }

    @Test func plantStateAndAlarmBitsAndCounts() throws {
        let map = try Self.map()
        var image = DCSImage(map: map)
        var f = PlantFacts()
        f.uptimeSeconds = 65537
        f.latched = true
        f.plan = "plant-wide"
        f.tripSource = .dcs
        f.bypasses = 2
        f.historianHealthy = true
        f.mqtt = .down
        let high = try #require(map.alarms.first { $0.priority == .high })
        f.alarms[high.id] = .init(active: true, unacknowledged: true, hidden: false, priority: .high)
        f.alarms["device.gas-a1.comm-fail"] = .init(
            active: true, unacknowledged: false, hidden: false, priority: .critical)
        image.update(f, map: map)
        let plant = try image.read(0, count: 19).get()
        #expect(plant[0] == 1, "the heartbeat wraps")
        #expect(Array(plant[1...9]) == [1, 1, 7, 0, 2, 0, 1, 2, 0])
        #expect(Array(plant[10...14]) == [1, 1, 0, 0, 1])
        #expect(plant[15] == 2 && plant[18] == DCSLayout.version)
        let word = try image.read(DCSLayout.alarmBase + high.slot, count: 1).get()[0]
        #expect(word == 0x0203)
        // A plan the map does not know (merged plans, a restore) is 65535, never a wrong number.
        f.plan = "restore:plant-wide"
        image.update(f, map: map)
        #expect(try image.read(2, count: 1).get() == [0xFFFF])
    }

    @Test func registersOutsideTheMapAnswerIllegalDataAddress() throws {
        let map = try Self.map()
        let image = DCSImage(map: map)
        #expect(image.read(99, count: 2) == .failure(.illegalDataAddress), "the plant area ends at 99")
        #expect(image.read(1200, count: 1) == .failure(.illegalDataAddress), "slot 2 is not given")
        #expect((try? image.read(1000, count: 100).get())?.count == 100, "a whole block reads, reserved words as 0")
    }
}

/// The write coils: a rising edge held for the hold time acts once.
struct CoilGateTests {
    let t0 = ContinuousClock.now

    @Test func aHeldEdgeActsOnceAndAReleaseBeforeTheHoldDoesNothing() {
        var gate = CoilGate(hold: .milliseconds(1000))
        gate.write(100, true, client: "10.0.0.5", at: t0)
        #expect(gate.tick(at: t0 + .milliseconds(999)).isEmpty)
        #expect(gate.tick(at: t0 + .milliseconds(1000)) == [CoilGate.Fire(coil: 100, client: "10.0.0.5")])
        // Still 1: nothing more until it has been 0.
        gate.write(100, true, client: "10.0.0.5", at: t0 + .seconds(2))
        #expect(gate.tick(at: t0 + .seconds(5)).isEmpty)
        gate.write(100, false, client: "10.0.0.5", at: t0 + .seconds(6))
        #expect(!gate.value(100))
        // A tap shorter than the hold.
        gate.write(100, true, client: "10.0.0.5", at: t0 + .seconds(7))
        gate.write(100, false, client: "10.0.0.5", at: t0 + .milliseconds(7500))
        #expect(gate.tick(at: t0 + .seconds(9)).isEmpty)
    }

    @Test func rewritingOneDuringTheHoldDoesNotRestartIt() {
        var gate = CoilGate(hold: .milliseconds(1000))
        gate.write(0, true, client: "a", at: t0)
        gate.write(0, true, client: "b", at: t0 + .milliseconds(600))
        #expect(gate.nextDeadline == t0 + .milliseconds(1000))
        #expect(gate.tick(at: t0 + .milliseconds(1000)).map(\.client) == ["a"])
    }
}

/// The answers: reads, writes to enabled and disabled coils, and everything else.
struct ResponderTests {
    @Test func writesToAnythingButAnEnabledCoilAreRefusedWithException01Or02() throws {
        let map = try ImageTests.map("reset_coil = true")
        let image = DCSImage(map: map)
        var gate = CoilGate(hold: .seconds(1))
        let now = ContinuousClock.now
        func answer(_ r: ModbusRequest) -> DCSResponder.Answer {
            DCSResponder.answer(
                pdu: r.pdu, image: image, coils: Set(map.coils.keys), gate: &gate, client: "c", at: now)
        }
        let ack = answer(.writeSingleCoil(address: 1, value: true))
        #expect(ack.response == .exception(function: 0x05, .illegalDataAddress) && ack.refusedWrite)
        let reg = answer(.writeSingleRegister(address: 0, value: 1))
        #expect(reg.response == .exception(function: 0x06, .illegalFunction) && reg.refusedWrite)
        let regs = answer(.writeMultipleRegisters(address: 1010, values: [1, 2]))
        #expect(regs.response == .exception(function: 0x10, .illegalFunction))
        let span = answer(.writeMultipleCoils(address: 0, values: [true, true]))
        #expect(span.response == .exception(function: 0x0F, .illegalDataAddress))
        #expect(!gate.value(0), "a refused multiple write writes nothing")
        let reset = answer(.writeSingleCoil(address: 0, value: true))
        #expect(reset.response == .writeSingle(function: 0x05, address: 0, value: 0xFF00) && !reset.refusedWrite)
        #expect(gate.value(0))
        #expect(answer(.read(.coil, address: 0, count: 1)).response == .bits(function: 0x01, [true]))
        #expect(
            answer(.read(.discreteInput, address: 0, count: 1)).response == .exception(function: 0x02, .illegalFunction)
        )
        let bad = DCSResponder.answer(pdu: [0x2B, 0x0E], image: image, coils: [], gate: &gate, client: "c", at: now)
        #expect(bad.response == .exception(function: 0x2B, .illegalFunction))
    }
}
