import Foundation
import ModbusWire
import Testing

@testable import Config

/// Loading valid files: the values a poller will use, defaults included.
struct ConfigLoaderTests {
    static let exampleURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config/levee.example.toml")

    @Test func shippedExampleValidates() throws {
        let config: LeveeConfig
        do {
            config = try ConfigLoader.load(path: Self.exampleURL.path)
        } catch {
            Issue.record("example config has issues:\n\(error)")
            return
        }
        #expect(config.site.name == "宏达化工有限公司")
        #expect(config.buses.map(\.id) == ["plc", "rs485-1", "io"])
        #expect(Set(config.devices.map(\.kind)) == Set(DeviceKind.allCases))
    }

    @Test func exampleValues() throws {
        let config = try ConfigLoader.load(path: Self.exampleURL.path)

        let valve = try #require(config.device("rain-outlet-1"))
        #expect(valve.name == "1号雨水排口切断阀")
        #expect(valve.line == .boundary)
        #expect(valve.valveSettings == ValveSettings(strokeSeconds: 45, strokeMargin: 1.5, role: .rainOutlet))
        let position = try #require(valve.points["position"]?.modbus)
        #expect(position.table == .inputRegister)
        #expect(position.address == 20)
        #expect(position.type == .float32)
        #expect(position.wordOrder == .cdab)
        #expect(valve.points["position"]?.range == 0...100)
        #expect(valve.points["position"]?.unit == "%")
        #expect(valve.points["torque_trip"]?.modbus?.type == .bit(3))
        #expect(valve.points["local"]?.modbus?.invert == true)
        #expect(valve.commands["close"] == Command(name: "close", target: .coil(address: 1), value: 1, pulseMs: 500))

        let bund = try #require(config.device("bund-a-rain"))
        #expect(bund.commands["open"]?.target == .registerBit(address: 100, bit: 0))
        #expect(bund.points["closed_limit"]?.modbus?.type == .bit(1))

        let rtu = try #require(config.bus("rs485-1"))
        guard case .modbusRTU(let serial) = rtu.kind else {
            Issue.record("rs485-1 is \(rtu.kind)")
            return
        }
        #expect(serial == RTUSettings(device: "/dev/ttyUSB0", frameGapMs: 4))
        #expect(rtu.timeoutMs == 300)
        #expect(rtu.maxGap == 4)
        #expect(rtu.backoffMaxSeconds == 60)

        let pool = try #require(config.device("accident-pool")?.levelSettings)
        #expect(pool.isPool)
        #expect(pool.volume(atLevel: 1.5) == 280)
        #expect(config.device("first-flush-pool")?.levelSettings?.volume(atLevel: 2) == 240)

        let h2s = try #require(config.device("gas-h2s-1"))
        #expect(h2s.unit == 255)
        #expect(h2s.gasSettings == GasSettings(gasKind: .toxic, gas: "H2S"))
        #expect(h2s.points["concentration"]?.modbus?.scaling == Scaling(scale: 0.01))

        let button = try #require(config.device("shutoff-button"))
        #expect(button.digitalInputSettings?.role == .button)
        #expect(button.points["state"]?.gpio == GPIOLine(offset: 4, direction: .input, normallyClosed: true))

        let gate = try #require(config.device("park-gate-3"))
        #expect(gate.unit == nil)
        #expect(gate.commands["open"] == Command(name: "open", target: .gpio(offset: 20), pulseMs: 2000))
        #expect(gate.points["fault"]?.gpio?.activeLow == true)

        let beacon = try #require(config.device("pool-inlet-beacon"))
        #expect(beacon.commands["off"]?.value == 0)
    }

    @Test func defaultsApply() throws {
        let text = Fixture.config(
            Fixture.valve,
            Fixture.with(
                Fixture.level,
                ["bus": #""rtu""#, "points.level": #"{ function = "holding", address = 0 }"#]
            ),
            Fixture.button
        )
        let config = try ConfigLoader.parse(text, file: "/etc/levee/levee.toml")
        let tcp = try #require(config.bus("plc"))
        #expect(tcp.kind == .modbusTCP(host: "10.0.0.2", port: 502))
        #expect(tcp.timeoutMs == 500)
        #expect(tcp.maxGap == 8)
        #expect(tcp.failCyclesBeforeBackoff == 3)
        #expect(tcp.backoffMaxSeconds == 30)
        let rtu = try #require(config.bus("rtu"))
        #expect(
            rtu.kind
                == .modbusRTU(RTUSettings(device: "/dev/ttyUSB0", baud: 9600, parity: .none, dataBits: 8, stopBits: 1)))
        #expect(rtu.timeoutMs == 300)

        let valve = try #require(config.device("v1"))
        #expect(valve.pollMs == 1000)
        #expect(valve.maxGap == nil)
        #expect(valve.valveSettings?.strokeMargin == 1.5)
        #expect(valve.valveSettings?.role == .rainOutlet)  // default on the boundary line
        #expect(valve.points["open_limit"]?.modbus == ModbusPoint(table: .discreteInput, address: 0, type: .bool))
        #expect(valve.commands["open"]?.value == 1)
        #expect(valve.commands["open"]?.releaseValue == 0)

        let level = try #require(config.device("pool"))
        #expect(level.points["level"]?.modbus?.type == .uint16)
        #expect(level.points["level"]?.modbus?.scaling == .identity)
        #expect(level.levelSettings == LevelSettings())

        let state = try #require(config.device("button")?.points["state"]?.gpio)
        #expect(state.direction == .input)
        #expect(state.debounceMs == 20)
        #expect(state.activeLow == false)
        #expect(config.device("button")?.name == "一键关断按钮")
    }

    @Test func gpioOutputDerivesOnAndOff() throws {
        let config = try ConfigLoader.parse(Fixture.config(Fixture.valve, Fixture.siren), file: "levee.toml")
        let siren = try #require(config.device("siren"))
        #expect(siren.points["state"]?.gpio?.direction == .output)
        #expect(siren.commands["on"] == Command(name: "on", target: .gpio(offset: 5), value: 1))
        #expect(siren.commands["off"] == Command(name: "off", target: .gpio(offset: 5), value: 0))
    }

    /// `[[devices]]` then `[devices.points.x]` sections apply to the last device, exactly as inline tables do.
    @Test func sectionAndInlineFormsAgree() throws {
        let sections = """
            \(Fixture.site)

            \(Fixture.buses)

            [[devices]]
            id = "gas-a1"
            name = "可燃气体探测器"
            type = "gas"
            bus = "rtu"
            unit = 5
            line = "risk-unit"
            gas_kind = "combustible"
            gas = "CH4"

            [devices.points.concentration]
            function = "holding"
            address = 0
            type = "float32"
            word_order = "CDAB"

            [devices.points.fault]
            function = "holding"
            address = 2
            type = "bit"
            bit = 0

            [[devices]]
            id = "v1"
            name = "阀"
            type = "valve"
            bus = "plc"
            unit = 1
            line = "boundary"
            stroke_s = 30

            [devices.points]
            open_limit = { function = "discrete-input", address = 0 }
            closed_limit = { function = "discrete-input", address = 1 }

            [devices.commands.open]
            function = "coil"
            address = 0

            [devices.commands.close]
            function = "coil"
            address = 0
            value = 0
            """
        let inline = Fixture.config(
            Fixture.with(
                Fixture.gas,
                [
                    "name": #""可燃气体探测器""#,
                    "points.concentration":
                        #"{ function = "holding", address = 0, type = "float32", word_order = "CDAB" }"#,
                    "points.fault": #"{ function = "holding", address = 2, type = "bit", bit = 0 }"#,
                ]
            ),
            Fixture.with(
                Fixture.valve,
                [
                    "name": #""阀""#,
                    "commands.open": #"{ function = "coil", address = 0 }"#,
                    "commands.close": #"{ function = "coil", address = 0, value = 0 }"#,
                ]
            )
        )
        let a = try ConfigLoader.parse(sections, file: "a.toml")
        let b = try ConfigLoader.parse(inline, file: "b.toml")
        #expect(a == b)
        #expect(a.devices.map(\.id) == ["gas-a1", "v1"])
        #expect(a.device("gas-a1")?.points.keys.sorted() == ["concentration", "fault"])
        #expect(a.device("v1")?.commands["close"]?.value == 0)
    }

    @Test func busesKeepFileOrder() {
        let text = """
            [buses.zeta]
            type = "gpio"
            [buses."alpha"]
            type = "gpio"
            [buses]
            mid = { type = "gpio" }
            [[devices]]
            [devices.points]
            """
        #expect(ConfigLoader.busOrder(in: text) == ["zeta", "alpha", "mid"])
    }
}

/// Reading the file itself: the failures `check-config` exits 2 for.
struct ConfigReadTests {
    @Test func missingFileNamesPathAndErrno() {
        #expect(
            throws: ConfigReadError(path: "/nonexistent/levee.toml", code: ENOENT, reason: "No such file or directory")
        ) {
            try ConfigLoader.read(path: "/nonexistent/levee.toml")
        }
    }

    @Test func directoryIsNotAFile() throws {
        let error = #expect(throws: ConfigReadError.self) { try ConfigLoader.read(path: "/tmp") }
        #expect(error?.code == EISDIR)
        #expect(error?.description == "cannot read /tmp: Is a directory")
    }

    @Test func loadReportsUnreadableFileAsIssue() {
        let error = #expect(throws: ConfigErrors.self) { try ConfigLoader.load(path: "/nonexistent/levee.toml") }
        #expect(error?.lines == ["levee.toml: cannot read /nonexistent/levee.toml: No such file or directory"])
    }

    @Test func invalidUTF8() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("levee-\(UUID()).toml")
        try Data([0x5B, 0xFF, 0xFE, 0x5D]).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let error = #expect(throws: ConfigReadError.self) { try ConfigLoader.read(path: url.path) }
        #expect(error?.reason == "the file is not valid UTF-8")
    }
}
