import Foundation
import Glibc
import ModbusWire
import Testing

@testable import PlantSim

@Suite(.serialized)
struct PhysicsAndFaultTests {
    @Test func rainFillsThePoolAndPumpsEmptyIt() throws {
        let sim = try RunningPlant(testScenario)
        let p = sim.plant
        #expect(p.value(device: "pool", signal: "level") == 2.5)
        try p.setLineLevel(line: 1, level: 1)  // raining: 3600 m3/h over 10 m2 = 0.1 m/s
        #expect(eventually { (p.value(device: "pool", signal: "level") ?? 0) > 2.7 })
        try p.setLineLevel(line: 1, level: 0)

        // Start the pump over the wire (pulse coil), then the pool drains to empty and clamps at 0.
        #expect(
            try PlantCoreProbe.request(p, server: "plc", unit: 6, .writeSingleCoil(address: 0, value: true))
                == [0x05, 0x00, 0x00, 0xFF, 0x00])
        #expect(eventually { p.pump("pump-1")?.running == true })
        #expect(eventually { p.value(device: "pool", signal: "level") == 0 })
        #expect(p.register(.inputRegister, address: 2, device: "pool") == 0)
        _ = try PlantCoreProbe.request(p, server: "plc", unit: 6, .writeSingleCoil(address: 1, value: true))
        #expect(eventually { p.pump("pump-1")?.running == false })
    }

    @Test func halfwayJamsBetweenTheLimitsAndClearFreesIt() throws {
        let sim = try RunningPlant(testScenario)
        let p = sim.plant
        try p.inject(.halfway(percent: 50), device: "valve-1")
        _ = try PlantCoreProbe.request(p, server: "plc", unit: 2, .writeSingleCoil(address: 1, value: true))
        #expect(eventually { p.valve("valve-1")?.positionPercent == 50 && p.valve("valve-1")?.moving == false })
        usleep(500_000)
        let v = try #require(p.valve("valve-1"))
        #expect(v.positionPercent == 50 && !v.openLimit && !v.closedLimit)
        #expect(p.register(.inputRegister, address: 0, device: "valve-1") == 500)
        // Jammed: commands do nothing.
        _ = try PlantCoreProbe.request(p, server: "plc", unit: 2, .writeSingleCoil(address: 0, value: true))
        usleep(500_000)
        #expect(p.valve("valve-1")?.positionPercent == 50)
        try p.clear(device: "valve-1")
        _ = try PlantCoreProbe.request(p, server: "plc", unit: 2, .writeSingleCoil(address: 0, value: true))
        #expect(eventually { p.valve("valve-1")?.openLimit == true })
    }

    @Test func stuckValveIgnoresCommands() throws {
        let sim = try RunningPlant(testScenario)
        let p = sim.plant
        try p.inject(.stuck, device: "valve-1")
        _ = try PlantCoreProbe.request(p, server: "plc", unit: 2, .writeSingleCoil(address: 1, value: true))
        #expect(eventually { p.register(.coil, address: 1, device: "valve-1") == 0 })
        usleep(2_000_000)  // longer than the 1.5 s stroke
        #expect(p.valve("valve-1")?.positionPercent == 100)
        #expect(p.valve("valve-1")?.openLimit == true)
    }

    @Test func frozenAndOutOfRangeSensors() throws {
        let toml = """
            [[servers]]
            name = "plc"
            kind = "tcp"
            port = 0
            [[devices]]
            id = "gas"
            model = "gas-transmitter"
            server = "plc"
            unit_id = 1
            alarm1 = 20
            alarm2 = 40
            profile = [[0, 0], [100, 1000]]
            """
        let sim = try RunningPlant(toml)
        let p = sim.plant
        func reading() -> Double? {
            guard let a = p.register(.inputRegister, address: 0, device: "gas"),
                let b = p.register(.inputRegister, address: 1, device: "gas")
            else { return nil }
            return RegisterCodec.decodeRaw([a, b], as: .float32, order: .abcd)
        }
        #expect(eventually { (reading() ?? 0) > 1 })
        try p.inject(.frozen, device: "gas")
        let held = try #require(reading())
        usleep(500_000)
        #expect(reading() == held)
        #expect((p.value(device: "gas", signal: "value") ?? 0) > held, "the gas itself keeps rising")
        try p.inject(.outOfRange(value: 150, signal: nil), device: "gas")
        #expect(eventually { reading() == 150 })
        #expect(p.register(.inputRegister, address: 2, device: "gas") == 0b110)
        try p.clear(device: "gas")
        #expect(
            eventually {
                let r = reading() ?? 0
                return r != 150 && r > held
            })
    }

    @Test func gasLeakProfileRaisesTheAlarmBits() throws {
        let toml = """
            [[servers]]
            name = "plc"
            kind = "tcp"
            port = 0
            [[devices]]
            id = "gas"
            model = "gas-transmitter"
            server = "plc"
            unit_id = 1
            alarm1 = 25
            alarm2 = 50
            profile = [[0, 0], [0.5, 0], [1.5, 60]]
            """
        let sim = try RunningPlant(toml)
        let p = sim.plant
        #expect(p.register(.inputRegister, address: 2, device: "gas") == 0)
        #expect(eventually { p.register(.inputRegister, address: 2, device: "gas") == 0b110 })
        #expect(eventually { p.value(device: "gas", signal: "value") == 60 })
        // The device's own thresholds are writable: raise level 2 to 70.0 and the bit clears.
        _ = try PlantCoreProbe.request(p, server: "plc", unit: 1, .writeSingleRegister(address: 11, value: 700))
        #expect(eventually { p.register(.inputRegister, address: 2, device: "gas") == 0b010 })
    }

    @Test func scriptedFaultsStartAndExpire() throws {
        let toml = """
            [[servers]]
            name = "plc"
            kind = "tcp"
            port = 0
            [[devices]]
            id = "gas"
            model = "gas-transmitter"
            server = "plc"
            unit_id = 1
            alarm1 = 25
            alarm2 = 50
            [[faults]]
            at_s = 0.3
            device = "gas"
            kind = "exception"
            code = 4
            duration_s = 0.6
            """
        let sim = try RunningPlant(toml)
        let p = sim.plant
        let read = ModbusRequest.read(.inputRegister, address: 0, count: 2)
        #expect(eventually { p.faults(device: "gas") == [.exception(.serverDeviceFailure)] })
        #expect(try PlantCoreProbe.request(p, server: "plc", unit: 1, read) == [0x84, 0x04])
        #expect(eventually { p.faults(device: "gas").isEmpty })
        #expect(try PlantCoreProbe.request(p, server: "plc", unit: 1, read).first == 0x04)
    }

    @Test func faultsThatDoNotFitTheModelAreRejected() throws {
        let sim = try RunningPlant(testScenario)
        #expect(throws: PlantError.self) { try sim.plant.inject(.stuck, device: "gas-1") }
        #expect(throws: PlantError.self) { try sim.plant.inject(.frozen, device: "valve-1") }
        #expect(throws: PlantError.self) { try sim.plant.inject(.drop, device: "pool") }  // RTU
        #expect(throws: PlantError.unknownDevice("nope")) { try sim.plant.inject(.dead, device: "nope") }
        #expect(throws: PlantError.self) { try sim.plant.setValue(1, device: "gas-1", signal: "nope") }
    }
}
