import Config
import Foundation
import PlantSim

@testable import Devices

/// A simulated plant plus the Levee configuration that reads it, for tests of the poller against levee-sim.
///
/// The configuration is written as TOML and goes through `ConfigLoader`, as a plant engineer's file would; its
/// register maps are the ones simulators/README.md documents for each model.
final class SimulatedPlant {
    let plant: Plant
    let config: LeveeConfig
    let directory: String

    /// One simulated device: its model, the Levee device type, and extra scenario keys.
    struct Spec {
        var id: String
        var model: String
        var unit: Int
        var scenario: String = ""
        var levee: String = ""
        var pollMs: Int = 200
    }

    /// - Parameters:
    ///   - transport: "tcp" or "rtu": which server the Modbus devices sit on.
    ///   - gpio: whether to serve the simulated GPIO chip (button on line 0, siren on line 2).
    init(transport: String, devices: [Spec], gpio: Bool = false, timeoutMs: Int = 300, backoffMax: Double = 2) throws {
        directory = NSTemporaryDirectory() + "levee-test-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var scenario = "name = \"test\"\ncontrol_socket = \"\(directory)/control.sock\"\n"
        if transport == "tcp" {
            scenario += "[[servers]]\nname = \"field\"\nkind = \"tcp\"\nport = 0\n"
        } else {
            scenario += "[[servers]]\nname = \"field\"\nkind = \"rtu\"\nlink = \"\(directory)/ttyRTU\"\nbaud = 9600\n"
        }
        for d in devices {
            scenario +=
                "[[devices]]\nid = \"\(d.id)\"\nmodel = \"\(d.model)\"\nserver = \"field\"\nunit_id = \(d.unit)\n"
            scenario += d.scenario + "\n"
        }
        if gpio {
            scenario += """
                [gpio]
                socket = "\(directory)/gpio.sock"
                num_lines = 8
                [[gpio.lines]]
                offset = 0
                role = "button"
                contact = "nc"
                [[gpio.lines]]
                offset = 2
                role = "output"

                """
        }
        plant = try Plant(scenario: Scenario.parse(scenario, source: "test-scenario"))
        try plant.start()

        var toml = "[site]\nid = \"test\"\nname = \"测试厂\"\ntime_zone = \"Asia/Shanghai\"\n\n"
        if transport == "tcp" {
            let port = plant.tcpPort(server: "field")!
            toml += "[buses.field]\ntype = \"modbus-tcp\"\nhost = \"127.0.0.1\"\nport = \(port)\n"
        } else {
            toml +=
                "[buses.field]\ntype = \"modbus-rtu\"\ndevice = \"\(plant.rtuLinkPath(server: "field")!)\"\nbaud = 9600\n"
        }
        toml += "timeout_ms = \(timeoutMs)\nbackoff_max_s = \(backoffMax)\n"
        if gpio { toml += "[buses.io]\ntype = \"gpio\"\nchip = \"sim:\(directory)/gpio.sock\"\n" }
        for d in devices {
            toml += Self.leveeDevice(d)
        }
        if gpio {
            toml += """
                [[devices]]
                id = "estop"
                name = "一键关断按钮"
                type = "digital-input"
                bus = "io"
                line = "boundary"
                role = "button"
                poll_ms = 200
                points.state = { line = 0, normally_closed = true, debounce_ms = 30 }

                [[devices]]
                id = "siren"
                name = "声光报警器"
                type = "digital-output"
                bus = "io"
                line = "boundary"
                points.state = { line = 2, direction = "output", initial = false }

                """
        }
        do {
            config = try ConfigLoader.parse(toml, file: "test.toml")
        } catch {
            plant.stop()
            throw PeerError(message: "test config invalid:\n\(error)\n\(toml)")
        }
    }

    func stop() {
        plant.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }

    /// The Levee side of each simulator model, from the register maps in simulators/README.md.
    static func leveeDevice(_ d: Spec) -> String {
        var s = "\n[[devices]]\nid = \"\(d.id)\"\nname = \"\(d.id)\"\nbus = \"field\"\nunit = \(d.unit)\n"
        s += "poll_ms = \(d.pollMs)\n"
        switch d.model {
        case "valve-actuator":
            s += """
                type = "valve"
                line = "boundary"
                stroke_s = \(d.levee.isEmpty ? "1.5" : d.levee)
                stroke_margin = 1.5
                location = "雨水排口井"
                points.open_limit = { function = "discrete-input", address = 0 }
                points.closed_limit = { function = "discrete-input", address = 1 }
                points.remote = { function = "discrete-input", address = 2 }
                points.fault = { function = "discrete-input", address = 3 }
                points.position = { function = "input", address = 0, type = "uint16", scale = 0.1, unit = "%", range = [0, 100] }
                commands.open = { function = "coil", address = 0 }
                commands.close = { function = "coil", address = 1 }
                commands.stop = { function = "holding", address = 0, value = 3 }

                """
        case "gas-transmitter":
            s += """
                type = "gas"
                line = "risk-unit"
                gas_kind = "combustible"
                gas = "CH4"
                points.concentration = { function = "input", address = 0, type = "float32", word_order = "ABCD", unit = "%LEL", range = [0, 100] }
                points.fault = { function = "input", address = 2, type = "bit", bit = 0 }
                points.alarm1 = { function = "input", address = 2, type = "bit", bit = 1 }
                points.alarm2 = { function = "input", address = 2, type = "bit", bit = 2 }
                points.unit_code = { function = "input", address = 3 }

                """
        case "toxic-transmitter-int":
            s += """
                type = "gas"
                line = "risk-unit"
                gas_kind = "toxic"
                gas = "H2S"
                points.concentration = { function = "input", address = 0, type = "int16", scale = 0.1, unit = "ppm", range = [0, 100] }
                points.fault = { function = "input", address = 1, type = "bit", bit = 0 }

                """
        case "level-transmitter":
            s += """
                type = "level"
                line = "network-pool"
                pool = true
                area_m2 = 1000
                points.level = { function = "input", address = 0, type = "float32", word_order = "CDAB", unit = "m", range = [0, 5] }
                points.fault = { function = "discrete-input", address = 0 }

                """
        case "dust-monitor":
            s += """
                type = "dust"
                line = "risk-unit"
                points.concentration = { function = "input", address = 0, type = "uint16", scale = 0.1, unit = "mg/m3" }
                points.pressure_diff = { function = "input", address = 1, type = "int16", unit = "Pa" }
                points.hopper_temp = { function = "input", address = 2, type = "int16", scale = 0.1, unit = "°C" }
                points.fault = { function = "discrete-input", address = 0 }
                points.fan_running = { function = "discrete-input", address = 1 }

                """
        case "water-quality":
            s += """
                type = "water-quality"
                line = "boundary"
                points.ph = { function = "input", address = 0, type = "float32", word_order = "DCBA", range = [0, 14] }
                points.cod = { function = "input", address = 2, type = "float32", word_order = "BADC", unit = "mg/L" }
                points.conductivity = { function = "input", address = 4, type = "uint32", word_order = "CDAB", unit = "uS/cm" }

                """
        case "pump":
            s += """
                type = "pump"
                line = "network-pool"
                points.running = { function = "discrete-input", address = 0 }
                points.fault = { function = "discrete-input", address = 1 }
                points.remote = { function = "discrete-input", address = 2 }
                commands.start = { function = "coil", address = 0 }
                commands.stop = { function = "coil", address = 1 }

                """
        case "register-bank" where d.levee == "digital-input":
            s += """
                type = "digital-input"
                line = "boundary"
                role = "fire"
                points.state = { function = "discrete-input", address = 5 }

                """
        case "register-bank" where d.levee == "digital-output":
            s += """
                type = "digital-output"
                line = "boundary"
                points.state = { function = "coil", address = 7 }
                commands.on = { function = "coil", address = 7, value = 1 }
                commands.off = { function = "coil", address = 7, value = 0 }

                """
        default:
            s += d.levee
        }
        return s
    }
}
