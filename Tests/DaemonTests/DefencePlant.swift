import Foundation
import PlantSim

/// The simulated plant the three-lines-of-defence tests run against, and the Levee configuration that matches it.
///
/// One Modbus TCP port ("plc") and the simulated GPIO chip:
/// - unit 1 `gas-a1`: combustible gas in risk unit A (0 %LEL until a test raises it);
/// - unit 2 `valve-a-rain`: unit A's bund-to-rain valve, stroke 1.0 s, open;
/// - unit 3 `valve-b-rain`: unit B's bund-to-rain valve, stroke 1.5 s, open;
/// - unit 4 `pool-inlet`: the accident pool inlet, stroke 1.0 s, closed;
/// - unit 5 `rain-outlet-1`: the rain outlet (line 3), stroke 2.0 s, open;
/// - unit 6 `park-relay`: a register bank standing in for the relay to the park (coil 7);
/// - GPIO line 0 `estop`: the one-key button, normally closed; line 1 `rain`: the rain contact, dry.
enum DefencePlant {
    static let strokes = ["valve-a-rain": 1.0, "valve-b-rain": 1.5, "pool-inlet": 1.0, "rain-outlet-1": 2.0]

    static func scenario(_ directory: String) -> String {
        """
        name = "defence-test"
        control_socket = "\(directory)/sim-control.sock"
        [[servers]]
        name = "plc"
        kind = "tcp"
        port = 0
        [[devices]]
        id = "gas-a1"
        model = "gas-transmitter"
        server = "plc"
        unit_id = 1
        unit = "%LEL"
        alarm1 = 25.0
        alarm2 = 50.0
        profile = 0
        [[devices]]
        id = "valve-a-rain"
        model = "valve-actuator"
        server = "plc"
        unit_id = 2
        stroke_s = 1.0
        initial = "open"
        [[devices]]
        id = "valve-b-rain"
        model = "valve-actuator"
        server = "plc"
        unit_id = 3
        stroke_s = 1.5
        initial = "open"
        [[devices]]
        id = "pool-inlet"
        model = "valve-actuator"
        server = "plc"
        unit_id = 4
        stroke_s = 1.0
        initial = "closed"
        [[devices]]
        id = "rain-outlet-1"
        model = "valve-actuator"
        server = "plc"
        unit_id = 5
        stroke_s = 2.0
        initial = "open"
        [[devices]]
        id = "park-relay"
        model = "register-bank"
        server = "plc"
        unit_id = 6
        [gpio]
        socket = "\(directory)/gpio.sock"
        num_lines = 4
        [[gpio.lines]]
        offset = 0
        name = "shutoff-button"
        role = "button"
        contact = "nc"
        [[gpio.lines]]
        offset = 1
        name = "rain-contact"
        role = "rain"
        raining = false
        """
    }

    static func valve(
        _ id: String, name: String, unit: Int, line: String, role: String, stroke: Double, margin: Double = 1.5,
        group: String? = nil, location: String
    ) -> String {
        """

        [[devices]]
        id = "\(id)"
        name = "\(name)"
        type = "valve"
        bus = "plc"
        unit = \(unit)
        line = "\(line)"
        \(group.map { "group = \"\($0)\"" } ?? "")
        location = "\(location)"
        poll_ms = 100
        stroke_s = \(stroke)
        stroke_margin = \(margin)
        role = "\(role)"
        points.open_limit = { function = "discrete-input", address = 0 }
        points.closed_limit = { function = "discrete-input", address = 1 }
        points.remote = { function = "discrete-input", address = 2 }
        points.fault = { function = "discrete-input", address = 3 }
        commands.open = { function = "coil", address = 0 }
        commands.close = { function = "coil", address = 1 }

        """
    }

    /// The configuration; `extra` is appended (interlocks, first flush, settings). `configuredStrokes` replaces
    /// the stroke time Levee is told for a valve (the simulator's stays); valve-b-rain then gets a margin of 4, so
    /// that a slow stroke is a drift rather than a failure to move.
    static func config(
        port: Int, directory: String, extra: String = "", configuredStrokes: [String: Double] = [:],
        outletGroup: String? = nil
    ) -> String {
        func stroke(_ id: String) -> Double { configuredStrokes[id] ?? strokes[id]! }
        var text = """
            [site]
            id = "defence-plant"
            name = "三道防线测试厂"
            time_zone = "Asia/Shanghai"

            [historian]
            path = "levee.db"
            heartbeat_s = 5

            [daemon]
            control_socket = "leveed.sock"

            [defence]
            escalation_output = "park-relay"

            [buses.plc]
            type = "modbus-tcp"
            host = "127.0.0.1"
            port = \(port)
            timeout_ms = 300

            [buses.io]
            type = "gpio"
            chip = "sim:\(directory)/gpio.sock"

            [[devices]]
            id = "gas-a1"
            name = "罐区A可燃气体探测器"
            type = "gas"
            bus = "plc"
            unit = 1
            line = "risk-unit"
            group = "unit-a"
            poll_ms = 100
            gas_kind = "combustible"
            gas = "CH4"
            points.concentration = { function = "input", address = 0, type = "float32", word_order = "ABCD", unit = "%LEL", range = [0, 100], deadband = 0.5 }

            [[devices]]
            id = "park-relay"
            name = "园区联动继电器"
            type = "digital-output"
            bus = "plc"
            unit = 6
            line = "park"
            poll_ms = 200
            points.state = { function = "coil", address = 7 }
            commands.on = { function = "coil", address = 7, value = 1 }
            commands.off = { function = "coil", address = 7, value = 0 }

            [[devices]]
            id = "estop"
            name = "一键关断按钮"
            type = "digital-input"
            bus = "io"
            line = "boundary"
            location = "中控室"
            role = "button"
            points.state = { line = 0, normally_closed = true, debounce_ms = 20 }

            [[devices]]
            id = "rain"
            name = "降雨检测触点"
            type = "digital-input"
            bus = "io"
            line = "boundary"
            role = "rain"
            points.state = { line = 1 }

            [[alarms]]
            point = "gas-a1.concentration"
            preset = "combustible"

            """
        text += valve(
            "valve-a-rain", name: "罐区A围堰雨水阀", unit: 2, line: "risk-unit", role: "bund-to-rain",
            stroke: stroke("valve-a-rain"),
            group: "unit-a", location: "罐区A围堰东北角")
        text += valve(
            "valve-b-rain", name: "仓库B围堰雨水阀", unit: 3, line: "risk-unit", role: "bund-to-rain",
            stroke: stroke("valve-b-rain"),
            margin: configuredStrokes["valve-b-rain"] == nil ? 1.5 : 4,
            group: "unit-b", location: "仓库B围堰")
        text += valve(
            "pool-inlet", name: "应急池进水阀", unit: 4, line: "network-pool", role: "pool-inlet",
            stroke: stroke("pool-inlet"),
            location: "应急池井")
        text += valve(
            "rain-outlet-1", name: "1号雨水排口阀", unit: 5, line: "boundary", role: "rain-outlet",
            stroke: stroke("rain-outlet-1"), group: outletGroup,
            location: "东门1号排口井")
        return text + extra
    }

    /// Unit A's level-2 gas alarm runs unit A's plan.
    static let gasInterlock = """

        [[interlocks]]
        id = "gas-a-level2"
        alarm = "gas-a1.concentration.HH"
        plan = "group:unit-a"
        description = "罐区A可燃气体二级报警：关闭罐区A围堰雨水阀"

        """
}
