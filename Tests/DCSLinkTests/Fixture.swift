import Config
import LeveeTestSupport

/// A small plant for the map and server tests: a gas detector (float), a valve, a pool level, two alarms.
enum Fixture {
    static func devices(_ extra: String = "", gasAddress: String = "") -> String {
        """
        [[devices]]
        id = "gas-a1"
        name = "罐区A可燃气体探测器"
        type = "gas"
        bus = "plc"
        unit = 1
        line = "risk-unit"
        group = "tank-farm-A"
        gas_kind = "combustible"
        gas = "CH4"
        \(gasAddress)
        points.concentration = { function = "input", address = 0, type = "float32", word_order = "ABCD", unit = "%LEL", range = [0, 100] }

        [[devices]]
        id = "rain-outlet-1"
        name = "1号雨水排口阀"
        type = "valve"
        bus = "plc"
        unit = 2
        line = "boundary"
        stroke_s = 1.0
        points.open_limit = { function = "discrete-input", address = 0 }
        points.closed_limit = { function = "discrete-input", address = 1 }
        points.remote = { function = "discrete-input", address = 2 }
        commands.open = { function = "coil", address = 0 }
        commands.close = { function = "coil", address = 1 }
        \(extra)
        """
    }

    static let pool = """

        [[devices]]
        id = "pool"
        name = "事故池液位"
        type = "level"
        bus = "plc"
        unit = 3
        line = "network-pool"
        pool = true
        area_m2 = 100
        points.level = { function = "input", address = 0, type = "int16", scale = 0.01, unit = "m" }

        """

    static func text(devices: String = Fixture.devices(), dcs: String = "", port: Int = 1502) -> String {
        """
        [site]
        id = "dcs-plant"
        name = "测试化工厂"
        time_zone = "Asia/Shanghai"

        [historian]
        path = "/tmp/levee-dcs-test/levee.db"

        [buses.plc]
        type = "modbus-tcp"
        host = "127.0.0.1"
        port = 1502

        \(devices)

        [[alarms]]
        point = "gas-a1.concentration"
        preset = "combustible"

        [dcs]
        enabled = true
        listen = "127.0.0.1:\(port)"
        \(dcs)
        """
    }

    static func config(devices: String = Fixture.devices(), dcs: String = "", port: Int = 1502) throws -> LeveeConfig {
        try ConfigLoader.parse(text(devices: devices, dcs: dcs, port: port), file: "levee.toml")
    }
}
