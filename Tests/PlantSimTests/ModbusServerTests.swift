import Foundation
import Glibc
import ModbusWire
import Testing

@testable import PlantSim

/// A small plant for the server tests: one PLC port, one gateway port, one RTU line, a GPIO chip.
let testScenario = """
    name = "test"

    [[servers]]
    name = "plc"
    kind = "tcp"
    port = 0

    [[servers]]
    name = "gw"
    kind = "tcp"
    port = 0
    gateway = true

    [[servers]]
    name = "rtu"
    kind = "rtu"
    link = "/tmp/unused"
    baud = 9600

    [[devices]]
    id = "gas-1"
    model = "gas-transmitter"
    server = "plc"
    unit_id = 1
    unit = "%LEL"
    alarm1 = 25.0
    alarm2 = 50.0
    profile = 12.5

    [[devices]]
    id = "valve-1"
    model = "valve-actuator"
    server = "plc"
    unit_id = 2
    stroke_s = 1.5
    initial = "open"

    [[devices]]
    id = "valve-local"
    model = "valve-actuator"
    server = "plc"
    unit_id = 3
    stroke_s = 1.0
    initial = "open"
    mode = "local"

    [[devices]]
    id = "bank"
    model = "register-bank"
    server = "plc"
    unit_id = 4

    [[devices]]
    id = "h2s-1"
    model = "toxic-transmitter-int"
    server = "plc"
    unit_id = 5
    alarm1 = 10.0
    alarm2 = 20.0
    profile = -3.5

    [[devices]]
    id = "pump-1"
    model = "pump"
    server = "plc"
    unit_id = 6
    flow_m3h = 36000.0

    [[devices]]
    id = "gas-gw"
    model = "gas-transmitter"
    server = "gw"
    unit_id = 1
    alarm1 = 25.0
    alarm2 = 50.0

    [[devices]]
    id = "pool"
    model = "level-transmitter"
    server = "rtu"
    unit_id = 1
    area_m2 = 10.0
    depth_m = 5.0
    initial_m = 2.5
    rain_inflow_m3h = 3600.0
    rain_line = 1
    pumps = ["pump-1"]

    [[devices]]
    id = "wq"
    model = "water-quality"
    server = "rtu"
    unit_id = 2
    ph = 7.25
    cod = 88.5
    conductivity = 1234

    [[devices]]
    id = "inlet"
    model = "valve-actuator"
    server = "rtu"
    unit_id = 3
    stroke_s = 1.0
    initial = "closed"

    [gpio]
    socket = "/tmp/unused.sock"
    chip = "testchip"
    num_lines = 6

    [[gpio.lines]]
    offset = 0
    name = "shutoff"
    role = "button"

    [[gpio.lines]]
    offset = 1
    name = "rain"
    role = "rain"

    [[gpio.lines]]
    offset = 2
    name = "siren"
    role = "output"
    """

@Suite(.serialized)
struct ModbusServerTests {
    @Test func mbpollReadsTheGasFloat() throws {
        let sim = try RunningPlant(testScenario)
        // ABCD is what mbpoll calls big-endian word order (-B).
        let r = try Tools.mbpoll([
            "-m", "tcp", "-p", "\(try sim.port("plc"))", "-a", "1", "-t", "3:float", "-B",
            "-r", "0", "-c", "1", "127.0.0.1",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Tools.mbpollValues(r.stdout)[0] == "12.5")

        // Status and unit code: 12.5 %LEL is below both thresholds; unit 1 = %LEL.
        let s = try Tools.mbpoll([
            "-m", "tcp", "-p", "\(try sim.port("plc"))", "-a", "1", "-t", "3", "-r", "2",
            "-c", "2", "127.0.0.1",
        ])
        #expect(Tools.mbpollValues(s.stdout) == [2: "0", 3: "1"])
    }

    @Test func pymodbusReadsTheGasFloatAndStatusBits() throws {
        try #require(Tools.hasPymodbus, "pymodbus is not in the project's venv: run scripts/setup-debian.sh")
        let sim = try RunningPlant(testScenario)
        try sim.plant.setValue(33.25, device: "gas-1", signal: "value")
        let results = try Tools.pymodbus(
            port: try sim.port("plc"),
            [
                ["fn": "ir", "address": 0, "count": 4, "unit": 1],
                ["fn": "hr", "address": 10, "count": 2, "unit": 1],
            ])
        let regs = try #require(results[0]["registers"] as? [Int])
        #expect(regs.count == 4)
        let pattern = UInt32(regs[0]) << 16 | UInt32(regs[1])
        #expect(Float(bitPattern: pattern) == 33.25)
        #expect(regs[2] == 0b010)  // level-1 alarm only
        #expect(regs[3] == 1)
        #expect(results[1]["registers"] as? [Int] == [250, 500])
    }

    @Test func undefinedAddressIsIllegalDataAddress() throws {
        let sim = try RunningPlant(testScenario)
        let r = try Tools.mbpoll([
            "-m", "tcp", "-p", "\(try sim.port("plc"))", "-a", "1", "-t", "3", "-r", "4",
            "127.0.0.1",
        ])
        #expect(r.stdout.contains("Illegal data address") || r.stderr.contains("Illegal data address"), "\(r)")
        // A read running from defined into undefined addresses fails as a whole.
        let plant = sim.plant
        let reply = try PlantCoreProbe.request(
            plant, server: "plc", unit: 1, .read(.inputRegister, address: 2, count: 3))
        #expect(reply == [0x84, 0x02])
    }

    @Test func unknownUnitTimesOutButAGatewaySays0B() throws {
        try #require(Tools.hasPymodbus, "pymodbus is not in the project's venv: run scripts/setup-debian.sh")
        let sim = try RunningPlant(testScenario)
        let plain = try Tools.pymodbus(
            port: try sim.port("plc"), timeout: 0.5,
            [
                ["fn": "ir", "address": 0, "count": 1, "unit": 99],
                ["fn": "ir", "address": 0, "count": 1, "unit": 1],
            ])
        #expect(plain[0]["timeout"] as? Bool == true)
        #expect(plain[1]["registers"] as? [Int] != nil, "the connection still works after a silent unit")
        let gateway = try Tools.pymodbus(
            port: try sim.port("gw"), [["fn": "ir", "address": 0, "count": 1, "unit": 99]])
        #expect(gateway[0]["exception"] as? Int == 0x0B)
        #expect(sim.plant.requestCount(server: "plc", unit: 99) == 1)
        #expect(sim.plant.requestCount(server: "gw", unit: 99, function: 0x04) == 1)
    }

    @Test func valveCommandedClosedTravelsForItsStrokeTime() throws {
        try #require(Tools.hasPymodbus, "pymodbus is not in the project's venv: run scripts/setup-debian.sh")
        let sim = try RunningPlant(testScenario)
        let stroke = 1.5
        let before = ContinuousClock.now
        let write = try Tools.pymodbus(port: try sim.port("plc"), [["fn": "wc", "address": 1, "value": 1, "unit": 2]])
        #expect(write[0]["error"] == nil && write[0]["exception"] == nil, "\(write)")
        let log = sim.plant.writeLog(server: "plc")
        let record = try #require(log.last)
        #expect(record.device == "valve-1" && record.function == 0x05 && record.address == 1 && record.values == [1])
        #expect(record.receivedAt > before)

        // Mid-travel: moving, both limits off.
        #expect(eventually { sim.plant.valve("valve-1")?.moving == true })
        let mid = try #require(sim.plant.valve("valve-1"))
        #expect(!mid.openLimit)

        #expect(eventually { sim.plant.valve("valve-1")?.closedLimit == true })
        let travel = record.receivedAt.duration(to: .now).seconds
        #expect(travel >= stroke * 0.9, "closed after \(travel) s, stroke is \(stroke) s")
        let closed = try #require(sim.plant.valve("valve-1"))
        #expect(closed.positionPercent == 0 && !closed.openLimit && !closed.moving)

        // What the wire says: limits, selector, coil cleared, status word, position.
        let read = try Tools.pymodbus(
            port: try sim.port("plc"),
            [
                ["fn": "di", "address": 0, "count": 4, "unit": 2],
                ["fn": "co", "address": 0, "count": 3, "unit": 2],
                ["fn": "hr", "address": 0, "count": 2, "unit": 2],
                ["fn": "ir", "address": 0, "count": 1, "unit": 2],
            ])
        #expect(read[0]["bits"] as? [Int] == [0, 1, 1, 0])
        #expect(read[1]["bits"] as? [Int] == [0, 0, 0])
        #expect(read[2]["registers"] as? [Int] == [0, 0b0110])
        #expect(read[3]["registers"] as? [Int] == [0])
    }

    @Test func valveCommandRegisterOpensAndRejectsBadValues() throws {
        let sim = try RunningPlant(testScenario)
        try sim.plant.setValue(0, device: "valve-1", signal: "position")
        #expect(
            try PlantCoreProbe.request(sim.plant, server: "plc", unit: 2, .writeSingleRegister(address: 0, value: 7))
                == [0x86, 0x03])
        #expect(
            try PlantCoreProbe.request(sim.plant, server: "plc", unit: 2, .writeSingleRegister(address: 1, value: 1))
                == [0x86, 0x02])  // the status word is read only
        _ = try PlantCoreProbe.request(sim.plant, server: "plc", unit: 2, .writeSingleRegister(address: 0, value: 1))
        #expect(eventually { sim.plant.valve("valve-1")?.openLimit == true })
        #expect(sim.plant.register(.holdingRegister, address: 0, device: "valve-1") == 0)
    }

    @Test func localModeAcceptsButIgnoresCommands() throws {
        let sim = try RunningPlant(testScenario)
        let r = try Tools.mbpoll([
            "-m", "tcp", "-p", "\(try sim.port("plc"))", "-a", "3", "-t", "0", "-r", "1",
            "127.0.0.1", "1",
        ])
        #expect(r.status == 0, "the write is accepted on the wire: \(r.stdout) \(r.stderr)")
        #expect(sim.plant.writeLog(server: "plc").last?.device == "valve-local")
        // The coil is consumed at the next scan, and nothing moves for well over the 1 s stroke.
        #expect(eventually { sim.plant.register(.coil, address: 1, device: "valve-local") == 0 })
        usleep(2_000_000)
        let v = try #require(sim.plant.valve("valve-local"))
        #expect(v.positionPercent == 100 && v.openLimit && v.mode == .local && !v.moving)
        let di = try Tools.mbpoll([
            "-m", "tcp", "-p", "\(try sim.port("plc"))", "-a", "3", "-t", "1", "-r", "0",
            "-c", "3", "127.0.0.1",
        ])
        #expect(Tools.mbpollValues(di.stdout) == [0: "1", 1: "0", 2: "0"])

        // Switched to remote through the fault API, the same command works.
        try sim.plant.inject(.remote, device: "valve-local")
        _ = try PlantCoreProbe.request(sim.plant, server: "plc", unit: 3, .writeSingleCoil(address: 1, value: true))
        #expect(eventually { sim.plant.valve("valve-local")?.closedLimit == true })
    }

    @Test func deadFaultTimesOutAndExceptionFaultAnswersWithItsCode() throws {
        try #require(Tools.hasPymodbus, "pymodbus is not in the project's venv: run scripts/setup-debian.sh")
        let sim = try RunningPlant(testScenario)
        let port = try sim.port("plc")
        try sim.plant.inject(.dead, device: "gas-1")
        let dead = try Tools.pymodbus(port: port, timeout: 0.5, [["fn": "ir", "address": 0, "count": 2, "unit": 1]])
        #expect(dead[0]["timeout"] as? Bool == true, "\(dead)")
        #expect(sim.plant.requestCount(server: "plc", unit: 1, function: 0x04) == 1, "a dead device still hears")

        try sim.plant.clear(device: "gas-1")
        try sim.plant.inject(.exception(.serverDeviceBusy), device: "gas-1")
        let busy = try Tools.pymodbus(port: port, [["fn": "ir", "address": 0, "count": 2, "unit": 1]])
        #expect(busy[0]["exception"] as? Int == 6)

        try sim.plant.clear(device: "gas-1")
        try sim.plant.inject(.slow(delayMs: 300), device: "gas-1")
        let slow = try Tools.pymodbus(port: port, timeout: 3, [["fn": "ir", "address": 0, "count": 2, "unit": 1]])
        #expect(slow[0]["registers"] != nil)
        #expect((slow[0]["elapsed"] as? Double ?? 0) >= 0.3)

        try sim.plant.clear(device: "gas-1")
        let ok = try Tools.pymodbus(port: port, [["fn": "ir", "address": 0, "count": 2, "unit": 1]])
        #expect(ok[0]["registers"] as? [Int] == [0x4148, 0x0000])  // 12.5
    }

    @Test func requestCountersCountByUnitAndFunction() throws {
        let sim = try RunningPlant(testScenario)
        let port = try sim.port("plc")
        for _ in 0..<3 {
            _ = try Tools.mbpoll([
                "-m", "tcp", "-p", "\(port)", "-a", "1", "-t", "3", "-r", "0", "-c", "2", "127.0.0.1",
            ])
        }
        _ = try Tools.mbpoll(["-m", "tcp", "-p", "\(port)", "-a", "4", "-t", "4", "-r", "0", "127.0.0.1", "42"])
        #expect(sim.plant.requestCount(server: "plc", unit: 1, function: 0x04) == 3)
        #expect(sim.plant.requestCount(server: "plc", unit: 1) == 3)
        #expect(sim.plant.requestCount(server: "plc", unit: 4, function: 0x06) == 1)
        #expect(sim.plant.requestCount(server: "plc") == 4)
        #expect(sim.plant.requestCount(server: "gw") == 0)
        #expect(sim.plant.register(.holdingRegister, address: 0, device: "bank") == 42)
        sim.plant.resetObservations()
        #expect(sim.plant.requestCount(server: "plc") == 0 && sim.plant.writeLog().isEmpty)
    }

    @Test func registerBankServesEveryTypeInOneCoalescedRead() throws {
        try #require(Tools.hasPymodbus, "pymodbus is not in the project's venv: run scripts/setup-debian.sh")
        let sim = try RunningPlant(testScenario)
        let p = sim.plant
        try p.setEncoded(123.456, as: .float32, order: .cdab, table: .holdingRegister, address: 100, device: "bank")
        try p.setEncoded(-2, as: .int32, order: .badc, table: .holdingRegister, address: 102, device: "bank")
        try p.setEncoded(305_419_896, as: .uint32, order: .dcba, table: .holdingRegister, address: 104, device: "bank")
        try p.setEncoded(
            -12.3, as: .int16, scaling: Scaling(scale: 0.1), table: .holdingRegister, address: 106,
            device: "bank")
        try p.setInputRegister(device: "bank", address: 999, 0xBEEF)
        try p.setDiscreteInput(device: "bank", address: 7, true)
        let r = try Tools.pymodbus(
            port: try sim.port("plc"),
            [
                ["fn": "hr", "address": 0, "count": 125, "unit": 4],
                ["fn": "ir", "address": 999, "count": 1, "unit": 4],
                ["fn": "di", "address": 0, "count": 16, "unit": 4],
                ["fn": "ir", "address": 999, "count": 2, "unit": 4],
                ["fn": "wrs", "address": 10, "values": [1, 2, 3], "unit": 4],
            ])
        let hr = try #require(r[0]["registers"] as? [Int])
        #expect(hr.count == 125)
        #expect(Array(hr[100...106]) == [0xE979, 0x42F6, 0xFFFF, 0xFEFF, 0x7856, 0x3412, 0xFF85])
        #expect(r[1]["registers"] as? [Int] == [0xBEEF])
        #expect((r[2]["bits"] as? [Int]).map { Array($0.prefix(8)) } == [0, 0, 0, 0, 0, 0, 0, 1])
        #expect(r[3]["exception"] as? Int == 2)  // address 1000 is past the bank
        #expect((10...12).map { p.register(.holdingRegister, address: UInt16($0), device: "bank") } == [1, 2, 3])
    }

    @Test func dropClosesConnectionsAndRefusesForItsDuration() throws {
        let sim = try RunningPlant(testScenario)
        let port = try sim.port("plc")
        let fd = try tcpConnect(port: port).get()
        defer { close(fd) }
        #expect(eventually { sim.plant.tcpConnectionCount(server: "plc") == 1 })
        try sim.plant.inject(.drop, device: "valve-1", duration: 1.5)
        // The open connection is closed: a read sees end of file.
        #expect(POSIX.waitReadable(fd, timeoutMs: 5000))
        var byte: UInt8 = 0
        #expect(read(fd, &byte, 1) == 0)
        // New connections are refused for the duration, then accepted again.
        #expect(
            eventually(timeout: 1) {
                if case .failure(let e) = tcpConnect(port: port) { return e.code == ECONNREFUSED }
                return false
            })
        #expect(
            eventually {
                guard case .success(let fd) = tcpConnect(port: port) else { return false }
                close(fd)
                return true
            })
        #expect(sim.plant.tcpPort(server: "plc") == port)
    }

    @Test func toxicIntegerAndWaterQualityLayouts() throws {
        let sim = try RunningPlant(testScenario)
        // -3.5 ppm ×10 = -35 as int16.
        #expect(
            try PlantCoreProbe.request(sim.plant, server: "plc", unit: 5, .read(.inputRegister, address: 0, count: 2))
                == [0x04, 0x04, 0xFF, 0xDD, 0x00, 0x00])
        try sim.plant.setValue(25, device: "h2s-1", signal: "value")
        #expect(eventually { sim.plant.register(.inputRegister, address: 1, device: "h2s-1") == 0b110 })
        #expect(sim.plant.register(.inputRegister, address: 0, device: "h2s-1") == 250)

        let wq = try PlantCoreProbe.request(
            sim.plant, server: "rtu", unit: 2, .read(.inputRegister, address: 0, count: 7))
        let words = stride(from: 2, to: wq.count, by: 2).map { UInt16(wq[$0]) << 8 | UInt16(wq[$0 + 1]) }
        #expect(RegisterCodec.decodeRaw(words[0...1], as: .float32, order: .dcba) == 7.25)
        #expect(RegisterCodec.decodeRaw(words[2...3], as: .float32, order: .badc) == 88.5)
        #expect(RegisterCodec.decodeRaw(words[4...5], as: .uint32, order: .cdab) == 1234)
        #expect(words[6] == 0)
    }
}

/// Sends a request straight into the plant model, bypassing the sockets, for layout checks that need no
/// independent client.
enum PlantCoreProbe {
    static func request(_ plant: Plant, server: String, unit: UInt8, _ request: ModbusRequest) throws -> [UInt8] {
        let reply = plant.handleForTesting(server: server, unit: unit, pdu: request.pdu)
        return try #require(reply)
    }
}
