import Config
import Devices
import ModbusWire

/// A simulated field for one benchmark: which devices sit on which Modbus server, written out both as a levee-sim
/// scenario and as the Levee configuration that polls it.
///
/// The register maps are the ones simulators/README.md documents for each model, as in the Devices tests.
struct FieldLayout {
    enum Model {
        /// `valve-actuator`: limits, remote and fault (discrete inputs 0-3), position (input 0), status word
        /// (holding 1, its bit 3 as `torque_trip`): three reads per poll cycle.
        case valve
        /// `gas-transmitter`: concentration, status bits and unit code (input 0-3): one read per poll cycle.
        case gas
    }

    enum Transport {
        case tcp
        /// An RTU line; the simulator serves it on a pty behind `link`. `parity` is "none" (8N1, 10 bits a
        /// character) or "even" (8E1, 11 bits, the Modbus default).
        case rtu(link: String, baud: Int, parity: String = "none")
    }

    struct Server {
        var name: String
        var transport: Transport
    }

    struct Unit {
        var id: String
        var model: Model
        var server: String
        var unit: Int
        var pollMs: Int
    }

    var servers: [Server]
    var units: [Unit]

    /// `count` devices on `server`, units 1, 2, ..., one model for the first `valves`, gas transmitters after.
    static func units(server: String, count: Int, valves: Int, pollMs: Int, firstUnit: Int = 1) -> [Unit] {
        (0..<count).map { i in
            let valve = i < valves
            return Unit(
                id: "\(server)-\(valve ? "valve" : "gas")-\(firstUnit + i)", model: valve ? .valve : .gas,
                server: server, unit: firstUnit + i, pollMs: pollMs)
        }
    }

    /// The levee-sim scenario. TCP servers listen on port 0 (the kernel's pick: read it from the banner or from
    /// `Plant.tcpPort`).
    func scenarioTOML(controlSocket: String) -> String {
        var s = "name = \"levee-bench\"\ncontrol_socket = \"\(controlSocket)\"\n"
        for server in servers {
            switch server.transport {
            case .tcp:
                s += "\n[[servers]]\nname = \"\(server.name)\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\nport = 0\n"
            case .rtu(let link, let baud, let parity):
                s += "\n[[servers]]\nname = \"\(server.name)\"\nkind = \"rtu\"\nlink = \"\(link)\"\nbaud = \(baud)\n"
                s += "parity = \"\(parity)\"\n"
            }
        }
        for u in units {
            s += "\n[[devices]]\nid = \"\(u.id)\"\nserver = \"\(u.server)\"\nunit_id = \(u.unit)\n"
            switch u.model {
            case .valve: s += "model = \"valve-actuator\"\nstroke_s = 10\ninitial = \"open\"\n"
            case .gas: s += "model = \"gas-transmitter\"\nunit = \"%LEL\"\nalarm1 = 25\nalarm2 = 50\nprofile = 1.5\n"
            }
        }
        return s
    }

    /// The Levee configuration for this field. `ports` maps TCP server names to the ports they listen on.
    func leveeTOML(ports: [String: Int], historianPath: String? = nil, controlSocket: String? = nil) -> String {
        var s = "[site]\nid = \"bench\"\nname = \"基准测试厂\"\ntime_zone = \"Asia/Shanghai\"\n"
        if let historianPath { s += "\n[historian]\npath = \"\(historianPath)\"\n" }
        if let controlSocket { s += "\n[daemon]\ncontrol_socket = \"\(controlSocket)\"\n" }
        for server in servers {
            switch server.transport {
            case .tcp:
                s += "\n[buses.\(server.name)]\ntype = \"modbus-tcp\"\nhost = \"127.0.0.1\"\n"
                s += "port = \(ports[server.name] ?? 0)\ntimeout_ms = 500\n"
            case .rtu(let link, let baud, let parity):
                s += "\n[buses.\(server.name)]\ntype = \"modbus-rtu\"\ndevice = \"\(link)\"\nbaud = \(baud)\n"
                s += "parity = \"\(parity)\"\ntimeout_ms = 300\n"
            }
        }
        for u in units {
            s += "\n[[devices]]\nid = \"\(u.id)\"\nname = \"\(u.id)\"\nbus = \"\(u.server)\"\nunit = \(u.unit)\n"
            s += "poll_ms = \(u.pollMs)\n"
            switch u.model {
            case .valve:
                s += """
                    type = "valve"
                    line = "boundary"
                    stroke_s = 10
                    points.open_limit = { function = "discrete-input", address = 0 }
                    points.closed_limit = { function = "discrete-input", address = 1 }
                    points.remote = { function = "discrete-input", address = 2 }
                    points.fault = { function = "discrete-input", address = 3 }
                    points.position = { function = "input", address = 0, type = "uint16", scale = 0.1, unit = "%" }
                    points.torque_trip = { function = "holding", address = 1, type = "bit", bit = 3 }
                    commands.open = { function = "coil", address = 0 }
                    commands.close = { function = "coil", address = 1 }
                    commands.stop = { function = "holding", address = 0, value = 3 }

                    """
            case .gas:
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
            }
        }
        return s
    }
}

extension LeveeConfig {
    /// Every read request Levee's poller makes in one poll cycle of every device on `bus`, as the poller plans
    /// them (`PollPlan`): what the C baseline replays.
    func pollRequests(bus: String) -> [(unit: Int, request: ReadRequest)] {
        guard let b = self.bus(bus) else { return [] }
        return devices(onBus: bus).flatMap { device in
            PollPlan.requests(for: device, maxGap: device.maxGap ?? b.maxGap).map { (device.unit ?? 1, $0) }
        }
    }
}

extension ReadRequest {
    /// Bytes of the RTU request frame: unit, function, address (2), quantity (2), CRC (2).
    var rtuRequestBytes: Int { 8 }

    /// Bytes of the RTU reply frame: unit, function, byte count, the data, CRC (2): 5 + 2n for n registers.
    var rtuReplyBytes: Int { 5 + (table.isBitTable ? (count + 7) / 8 : 2 * count) }
}
