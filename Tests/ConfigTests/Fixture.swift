import Config

/// Small TOML documents built from parts, so each test changes only the keys it is about.
enum Fixture {
    static let site = """
        [site]
        id = "hongda"
        name = "宏达化工"
        time_zone = "Asia/Shanghai"
        """

    static let buses = """
        [buses.plc]
        type = "modbus-tcp"
        host = "10.0.0.2"

        [buses.rtu]
        type = "modbus-rtu"
        device = "/dev/ttyUSB0"

        [buses.io]
        type = "gpio"
        chip = "gpiochip0"
        """

    /// A device as ordered `key = value` lines; dotted keys (`points.open_limit`) keep it one table.
    typealias Device = [(key: String, value: String)]

    static let valve: Device = [
        ("id", #""v1""#),
        ("name", #""1号雨水排口阀""#),
        ("type", #""valve""#),
        ("bus", #""plc""#),
        ("unit", "1"),
        ("line", #""boundary""#),
        ("stroke_s", "30"),
        ("points.open_limit", #"{ function = "discrete-input", address = 0 }"#),
        ("points.closed_limit", #"{ function = "discrete-input", address = 1 }"#),
        ("commands.open", #"{ function = "coil", address = 0, pulse_ms = 500 }"#),
        ("commands.close", #"{ function = "coil", address = 1, pulse_ms = 500 }"#),
    ]

    static let gas: Device = [
        ("id", #""gas-a1""#),
        ("name", #""罐区A可燃气体探测器""#),
        ("type", #""gas""#),
        ("bus", #""rtu""#),
        ("unit", "5"),
        ("line", #""risk-unit""#),
        ("gas_kind", #""combustible""#),
        ("gas", #""CH4""#),
        ("points.concentration", #"{ function = "holding", address = 0, type = "float32", word_order = "ABCD" }"#),
    ]

    static let level: Device = [
        ("id", #""pool""#),
        ("name", #""事故应急池""#),
        ("type", #""level""#),
        ("bus", #""plc""#),
        ("unit", "2"),
        ("line", #""network-pool""#),
        ("points.level", #"{ function = "input", address = 0, scale = 0.001, unit = "m" }"#),
    ]

    static let button: Device = [
        ("id", #""button""#),
        ("name", #""一键关断按钮""#),
        ("type", #""digital-input""#),
        ("bus", #""io""#),
        ("line", #""boundary""#),
        ("role", #""button""#),
        ("points.state", "{ line = 4, normally_closed = true }"),
    ]

    static let siren: Device = [
        ("id", #""siren""#),
        ("name", #""声光报警器""#),
        ("type", #""digital-output""#),
        ("bus", #""io""#),
        ("line", #""boundary""#),
        ("points.state", #"{ line = 5, direction = "output" }"#),
    ]

    /// `device` with keys replaced or added (`set`) and keys dropped (`removing`).
    static func with(_ device: Device, _ set: [String: String] = [:], removing: Set<String> = []) -> Device {
        var result = device.filter { !removing.contains($0.key) }
        for (key, value) in set.sorted(by: { $0.key < $1.key }) {
            if let i = result.firstIndex(where: { $0.key == key }) {
                result[i].value = value
            } else {
                result.append((key, value))
            }
        }
        return result
    }

    static func toml(_ device: Device) -> String {
        "[[devices]]\n" + device.map { "\($0.key) = \($0.value)" }.joined(separator: "\n")
    }

    /// A whole document: site, buses, then the devices in order.
    static func config(site: String = site, buses: String = buses, _ devices: Device...) -> String {
        ([site, buses] + devices.map(toml)).joined(separator: "\n\n") + "\n"
    }

    /// The printed issue lines for `text`, or [] when it is valid.
    static func issues(_ text: String, file: String = "levee.toml") -> [String] {
        do {
            _ = try ConfigLoader.parse(text, file: file)
            return []
        } catch {
            return error.lines
        }
    }
}
