import Testing

@testable import Config

/// One broken file and the exact line `check-config` must print for it.
struct Mistake: Sendable, CustomTestStringConvertible {
    var rule: String
    var text: String
    var expected: String

    init(_ rule: String, _ text: String, _ expected: String) {
        self.rule = rule
        self.text = text
        self.expected = expected
    }

    var testDescription: String { rule }
}

private typealias F = Fixture

/// Each rule, checked by the exact message a person reads.
struct ValidationTests {
    @Test func fixtureIsValid() {
        #expect(F.issues(F.config(F.valve, F.gas, F.level, F.button, F.siren)) == [])
    }

    /// The file the package installs as /etc/levee/levee.toml: no buses and no devices, a plant not yet described.
    /// It is valid and polls nothing; but a file that starts describing the plant must finish it.
    @Test func aFileWithNoBusesAndNoDevicesIsAPlantNotYetConfigured() throws {
        let config = try ConfigLoader.parse(F.site + "\n", file: "levee.toml")
        #expect(config.buses.isEmpty && config.devices.isEmpty)
        #expect(
            F.issues(F.site + "\n\n" + F.buses + "\n") == [
                "levee.toml: devices is required: add at least one [[devices]] table"
            ])
        #expect(
            F.issues(F.site + "\n\n[buses]\n") == [
                "levee.toml: buses must define at least one bus, such as [buses.plc]",
                "levee.toml: devices is required: add at least one [[devices]] table",
            ])
    }

    // MARK: The messages the issue names

    @Test func unknownKeySuggestsNearest() {
        let misplaced = F.config(F.with(F.gas, ["stroke_s": "30"]))
        #expect(F.issues(misplaced) == [#"levee.toml: devices[0] "gas-a1": stroke_s applies only to valve devices"#])
        let typo = F.config(F.with(F.valve, ["strok_s": "30"]))
        #expect(F.issues(typo) == [#"levee.toml: devices[0] "v1": unknown key "strok_s" (did you mean "stroke_s"?)"#])
    }

    @Test func addressOutOfRange() {
        let text = F.config(
            F.with(F.valve, ["points.open_limit": #"{ function = "discrete-input", address = 70000 }"#])
        )
        #expect(
            F.issues(text) == [#"levee.toml: devices[0] "v1": points.open_limit.address 70000 is outside 0...65535"#]
        )
    }

    @Test func wordOrderMustBeNamed() {
        let text = F.config(
            F.with(F.gas, ["points.concentration": #"{ function = "holding", address = 0, type = "float32" }"#])
        )
        #expect(
            F.issues(text) == [
                #"levee.toml: devices[0] "gas-a1": points.concentration: float32 needs word_order (one of ABCD, "#
                    + "CDAB, BADC, DCBA); devices differ, so name it explicitly"
            ]
        )
    }

    @Test func duplicateIDNamesBothIndexes() {
        let text = F.config(
            F.valve, F.gas,
            F.with(
                F.valve,
                [
                    "commands.open": #"{ function = "coil", address = 5 }"#,
                    "commands.close": #"{ function = "coil", address = 6 }"#,
                ]))
        #expect(F.issues(text) == [#"levee.toml: devices[2] "v1": id "v1" is already used by devices[0]"#])
    }

    @Test func undefinedBusListsDefinedOnes() {
        let text = F.config(F.with(F.valve, ["bus": #""pcl""#]))
        #expect(
            F.issues(text) == [
                #"levee.toml: devices[0] "v1": bus "pcl" is not defined (defined buses: "plc", "rtu", "io") "#
                    + #"(did you mean "plc"?)"#
            ]
        )
    }

    @Test func overlappingWriteNamesBothDevices() {
        let pump: F.Device = [
            ("id", #""p1""#), ("name", #""提升泵""#), ("type", #""pump""#), ("bus", #""plc""#), ("unit", "1"),
            ("line", #""network-pool""#), ("points.running", #"{ function = "discrete-input", address = 9 }"#),
            ("commands.start", #"{ function = "coil", address = 1 }"#),
        ]
        #expect(
            F.issues(F.config(F.valve, pump)) == [
                #"levee.toml: devices[1] "p1": commands.start writes coil 1 on bus "plc" unit 1, which "#
                    + #"devices[0] "v1" also writes (commands.close)"#
            ]
        )
        // The same coil on another unit is another device's coil.
        #expect(F.issues(F.config(F.valve, F.with(pump, ["unit": "2"]))) == [])
    }

    @Test func registerBitsOfOneRegisterInTwoDevicesRace() {
        let a = F.with(
            F.valve,
            [
                "commands.open": #"{ function = "holding", address = 100, bit = 0, pulse_ms = 500 }"#,
                "commands.close": #"{ function = "holding", address = 100, bit = 1, pulse_ms = 500 }"#,
            ]
        )
        let b = F.with(
            a,
            [
                "id": #""v2""#,
                "commands.open": #"{ function = "holding", address = 100, bit = 2, pulse_ms = 500 }"#,
                "commands.close": #"{ function = "holding", address = 101, pulse_ms = 500 }"#,
            ]
        )
        #expect(F.issues(F.config(a)) == [])  // bits of one register within one device are fine
        #expect(
            F.issues(F.config(a, b)) == [
                #"levee.toml: devices[1] "v2": commands.open writes bit 2 of holding register 100 on bus "plc" "#
                    + #"unit 1, which devices[0] "v1" also writes (commands.close); read-modify-writes of one "#
                    + "register from two devices would race"
            ]
        )
    }

    @Test func sameWriteTwiceInOneDevice() {
        let text = F.config(F.with(F.valve, ["commands.close": #"{ function = "coil", address = 0, pulse_ms = 500 }"#]))
        #expect(
            F.issues(text) == [
                #"levee.toml: devices[0] "v1": commands.open writes 1 to coil 0, the same as commands.close"#
            ]
        )
    }

    @Test func gpioLineSharedBetweenDevices() {
        let text = F.config(
            F.valve, F.button, F.with(F.siren, ["points.state": #"{ line = 4, direction = "output" }"#]))
        #expect(
            F.issues(text) == [
                #"levee.toml: devices[2] "siren": commands.off uses GPIO line 4 on bus "io", which devices[1] "#
                    + #""button" also uses (points.state)"#
            ]
        )
    }

    @Test func gpioLineReadAndDrivenInOneDevice() {
        let gate: F.Device = [
            ("id", #""gate""#), ("name", #""闸门""#), ("type", #""valve""#), ("bus", #""io""#), ("line", #""park""#),
            ("stroke_s", "60"), ("points.open_limit", "{ line = 10 }"), ("points.closed_limit", "{ line = 11 }"),
            ("commands.open", "{ line = 10, pulse_ms = 1000 }"), ("commands.close", "{ line = 12, pulse_ms = 1000 }"),
        ]
        #expect(
            F.issues(F.config(gate)) == [
                #"levee.toml: devices[0] "gate": commands.open drives GPIO line 10, which points.open_limit reads as "#
                    + "an input"
            ]
        )
    }

    @Test func threeMistakesThreeIssues() {
        let text = F.config(
            F.with(
                F.valve,
                [
                    "unit": "0", "poll_ms": #""fast""#,
                    "points.open_limit": #"{ function = "discrete-input", address = 70000 }"#,
                ]
            )
        )
        #expect(
            F.issues(text) == [
                #"levee.toml: devices[0] "v1": unit 0 is the broadcast address, which gets no reply; use 1...247"#,
                #"levee.toml: devices[0] "v1": poll_ms must be an integer, got string"#,
                #"levee.toml: devices[0] "v1": points.open_limit.address 70000 is outside 0...65535"#,
            ]
        )
    }

    @Test func mistakesAcrossSectionsAllReported() {
        let text = F.config(
            site: "[site]\nid = \"hongda\"\nname = \"宏达\"\ntime_zone = \"Asia/Shanghai\"\ncolor = 1",
            buses: F.buses + "\nport = 70000",
            F.with(F.gas, ["points.concentration": #"{ function = "holding", address = 0, type = "float32" }"#]),
            F.with(F.valve, ["id": #""gas-a1""#, "bus": #""rs485""#])
        )
        let issues = F.issues(text, file: "/etc/levee/plant.toml")
        #expect(issues.count == 5)
        #expect(issues.allSatisfy { $0.hasPrefix("plant.toml: ") })
        #expect(issues.contains(#"plant.toml: site: unknown key "color""#))
        #expect(issues.contains("plant.toml: buses.io.port does not apply to a gpio bus"))
        #expect(issues.contains(#"plant.toml: devices[1] "gas-a1": id "gas-a1" is already used by devices[0]"#))
        #expect(issues.contains { $0.contains(#"devices[1] "gas-a1": bus "rs485" is not defined"#) })
        #expect(issues.contains { $0.contains("float32 needs word_order") })
    }

    /// A bad value in one key does not hide mistakes in the keys after it, nor does an unknown key.
    @Test func unknownKeyAndMissingKeyBothReported() {
        let text = F.config(F.with(F.valve, ["points.open_limit": #"{ function = "coil", adress = 1 }"#]))
        #expect(
            F.issues(text) == [
                #"levee.toml: devices[0] "v1": points.open_limit: unknown key "adress" (did you mean "address"?)"#,
                #"levee.toml: devices[0] "v1": points.open_limit.address is required"#,
            ]
        )
    }

    @Test func syntaxErrorGivesLineAndColumn() throws {
        let text = "[site]\nid = \"a\"\nname = \n"
        let error = #expect(throws: ConfigErrors.self) { try ConfigLoader.parse(text, file: "/etc/levee/levee.toml") }
        let issue = try #require(error?.issues.first)
        #expect(error?.issues.count == 1)
        #expect(issue.keyPath == "line 3, column 8")
        #expect(error?.description.hasPrefix("levee.toml: line 3, column 8: TOML syntax error: ") == true)
    }

    // MARK: Every other rule

    static let site: [Mistake] = [
        Mistake(
            "site id pattern",
            F.config(site: "[site]\nid = \"宏达 chem\"\nname = \"宏达\"\ntime_zone = \"Asia/Shanghai\"", F.valve),
            #"levee.toml: site.id "宏达 chem" must match [A-Za-z0-9_-]+"#
        ),
        Mistake(
            "site id required",
            F.config(site: "[site]\nname = \"宏达\"\ntime_zone = \"Asia/Shanghai\"", F.valve),
            "levee.toml: site.id is required"
        ),
        Mistake(
            "site name non-empty",
            F.config(site: "[site]\nid = \"a\"\nname = \"  \"\ntime_zone = \"Asia/Shanghai\"", F.valve),
            "levee.toml: site.name must not be empty"
        ),
        Mistake(
            "site time zone",
            F.config(site: "[site]\nid = \"a\"\nname = \"宏达\"\ntime_zone = \"Asia/Shanghia\"", F.valve),
            #"levee.toml: site.time_zone "Asia/Shanghia" is not an IANA time zone such as "Asia/Shanghai" "#
                + #"(did you mean "Asia/Shanghai"?)"#
        ),
        Mistake(
            "site time zone abbreviation",
            F.config(site: "[site]\nid = \"a\"\nname = \"宏达\"\ntime_zone = \"CST\"", F.valve),
            #"levee.toml: site.time_zone "CST" is not an IANA time zone such as "Asia/Shanghai""#
        ),
        Mistake(
            "site unknown key",
            F.config(site: "[site]\nid = \"a\"\nnmae = \"宏达\"\nname = \"宏达\"\ntime_zone = \"UTC\"", F.valve),
            #"levee.toml: site: unknown key "nmae" (did you mean "name"?)"#
        ),
        Mistake(
            "root unknown key",
            F.config(F.valve) + "[bus.x]\ntype = \"gpio\"\n",
            #"levee.toml: unknown key "bus" (did you mean "buses"?)"#
        ),
    ]

    static let buses: [Mistake] = [
        Mistake(
            "bus type",
            F.config(buses: "[buses.plc]\ntype = \"modbus-tpc\"\nhost = \"h\"", F.valve),
            #"levee.toml: buses.plc.type "modbus-tpc" must be one of modbus-tcp, modbus-rtu, gpio "#
                + #"(did you mean "modbus-tcp"?)"#
        ),
        Mistake(
            "tcp host",
            F.config(buses: "[buses.plc]\ntype = \"modbus-tcp\"\nhost = \"\"", F.valve),
            "levee.toml: buses.plc.host must not be empty"
        ),
        Mistake(
            "tcp port",
            F.config(buses: "[buses.plc]\ntype = \"modbus-tcp\"\nhost = \"h\"\nport = 0", F.valve),
            "levee.toml: buses.plc.port 0 is outside 1...65535"
        ),
        Mistake(
            "timeout",
            F.config(buses: "[buses.plc]\ntype = \"modbus-tcp\"\nhost = \"h\"\ntimeout_ms = 60001", F.valve),
            "levee.toml: buses.plc.timeout_ms 60001 is outside 1...60000"
        ),
        Mistake(
            "rtu key on tcp bus",
            F.config(buses: "[buses.plc]\ntype = \"modbus-tcp\"\nhost = \"h\"\nbaud = 9600", F.valve),
            "levee.toml: buses.plc.baud does not apply to a modbus-tcp bus"
        ),
        Mistake(
            "rtu device",
            F.config(buses: "[buses.plc]\ntype = \"modbus-rtu\"", F.valve),
            "levee.toml: buses.plc.device is required"
        ),
        Mistake(
            "rtu baud",
            F.config(buses: "[buses.plc]\ntype = \"modbus-rtu\"\ndevice = \"/dev/ttyS0\"\nbaud = -9600", F.valve),
            "levee.toml: buses.plc.baud -9600 is outside 300...4000000"
        ),
        Mistake(
            "rtu parity",
            F.config(buses: "[buses.plc]\ntype = \"modbus-rtu\"\ndevice = \"/dev/ttyS0\"\nparity = \"E\"", F.valve),
            #"levee.toml: buses.plc.parity "E" must be one of none, even, odd"#
        ),
        Mistake(
            "rtu data bits",
            F.config(buses: "[buses.plc]\ntype = \"modbus-rtu\"\ndevice = \"/dev/ttyS0\"\ndata_bits = 9", F.valve),
            "levee.toml: buses.plc.data_bits 9 must be 7 or 8"
        ),
        Mistake(
            "rtu stop bits",
            F.config(buses: "[buses.plc]\ntype = \"modbus-rtu\"\ndevice = \"/dev/ttyS0\"\nstop_bits = 0", F.valve),
            "levee.toml: buses.plc.stop_bits 0 must be 1 or 2"
        ),
        Mistake(
            "gpio chip",
            F.config(buses: "[buses.io]\ntype = \"gpio\"\nchip = 0", F.button),
            "levee.toml: buses.io.chip must be a string, got integer"
        ),
        Mistake(
            "gpio timeout",
            F.config(buses: "[buses.io]\ntype = \"gpio\"\nchip = \"gpiochip0\"\ntimeout_ms = 5", F.button),
            "levee.toml: buses.io.timeout_ms does not apply to a gpio bus"
        ),
    ]

    static let devices: [Mistake] = [
        Mistake(
            "device type",
            F.config(F.with(F.valve, ["type": #""vlave""#])),
            #"levee.toml: devices[0] "v1": type "vlave" must be one of valve, level, gas, dust, pump, water-quality, "#
                + #"digital-input, digital-output (did you mean "valve"?)"#
        ),
        Mistake(
            "device id pattern",
            F.config(F.with(F.valve, ["id": #""v 1""#])),
            #"levee.toml: devices[0] "v 1": id "v 1" must match [A-Za-z0-9_-]+"#
        ),
        Mistake(
            "device id required",
            F.config(F.with(F.valve, removing: ["id"])),
            "levee.toml: devices[0]: id is required"
        ),
        Mistake(
            "unit required on modbus",
            F.config(F.with(F.valve, removing: ["unit"])),
            #"levee.toml: devices[0] "v1": unit is required on a modbus-tcp bus (the Modbus unit id, 1...247)"#
        ),
        Mistake(
            "unit 248",
            F.config(F.with(F.valve, ["unit": "248"])),
            #"levee.toml: devices[0] "v1": unit 248 is outside 1...247"#
        ),
        Mistake(
            "unit 255 on rtu",
            F.config(F.with(F.gas, ["unit": "255"])),
            #"levee.toml: devices[0] "gas-a1": unit 255 is outside 1...247 (255 is accepted on modbus-tcp buses only)"#
        ),
        Mistake(
            "unit on gpio",
            F.config(F.with(F.button, ["unit": "1"])),
            #"levee.toml: devices[0] "button": unit must not be set on a device on a gpio bus (it is a Modbus unit id)"#
        ),
        Mistake(
            "defence line",
            F.config(F.with(F.valve, ["line": #""boundry""#])),
            #"levee.toml: devices[0] "v1": line "boundry" must be one of risk-unit, network-pool, boundary, park "#
                + #"(did you mean "boundary"?)"#
        ),
        Mistake(
            "poll_ms",
            F.config(F.with(F.valve, ["poll_ms": "5"])),
            #"levee.toml: devices[0] "v1": poll_ms 5 is outside 10...3600000"#
        ),
        Mistake(
            "name required",
            F.config(F.with(F.valve, removing: ["name"])),
            #"levee.toml: devices[0] "v1": name is required"#
        ),
        Mistake(
            "no devices",
            F.config(),
            "levee.toml: devices is required: add at least one [[devices]] table"
        ),
    ]

    static let points: [Mistake] = [
        Mistake(
            "unknown point",
            F.config(F.with(F.valve, ["points.open_limt": #"{ function = "discrete-input", address = 5 }"#])),
            #"levee.toml: devices[0] "v1": points: unknown point "open_limt" for a valve device (did you mean "#
                + #""open_limit"?)"#
        ),
        Mistake(
            "unknown point lists names",
            F.config(F.with(F.level, ["points.volume": #"{ function = "input", address = 5 }"#])),
            #"levee.toml: devices[0] "pool": points: unknown point "volume" for a level device "#
                + "(level points: fault, level)"
        ),
        Mistake(
            "missing required point",
            F.config(F.with(F.valve, removing: ["points.closed_limit"])),
            #"levee.toml: devices[0] "v1": points.closed_limit is required for a valve device"#
        ),
        Mistake(
            "dust needs a point",
            F.config([
                ("id", #""d1""#), ("name", #""除尘器""#), ("type", #""dust""#), ("bus", #""rtu""#), ("unit", "6"),
                ("line", #""risk-unit""#),
            ]),
            #"levee.toml: devices[0] "d1": points must hold at least one of concentration, fan_running, fault, "#
                + "flow, hopper_temp, oxygen, pressure_diff, spark, water_level for a dust device"
        ),
        Mistake(
            "water quality needs ph, cod or conductivity",
            F.config([
                ("id", #""wq""#), ("name", #""水质""#), ("type", #""water-quality""#), ("bus", #""plc""#),
                ("unit", "3"), ("line", #""boundary""#), ("points.phenol", #"{ function = "input", address = 0 }"#),
            ]),
            #"levee.toml: devices[0] "wq": points must hold at least one of ph, cod, conductivity for a "#
                + "water-quality device"
        ),
        Mistake(
            "function",
            F.config(F.with(F.valve, ["points.open_limit": #"{ function = "discrete", address = 0 }"#])),
            #"levee.toml: devices[0] "v1": points.open_limit.function "discrete" must be one of coil, "#
                + #"discrete-input, holding, input (did you mean "discrete-input"?)"#
        ),
        Mistake(
            "float32 must fit",
            F.config(
                F.with(
                    F.gas,
                    [
                        "points.concentration":
                            #"{ function = "holding", address = 65535, type = "float32", word_order = "ABCD" }"#
                    ]
                )
            ),
            #"levee.toml: devices[0] "gas-a1": points.concentration.address 65535 is outside 0...65534 for a "#
                + "float32 (2 registers)"
        ),
        Mistake(
            "bool on a register",
            F.config(F.with(F.valve, ["points.open_limit": #"{ function = "holding", address = 0, type = "bool" }"#])),
            #"levee.toml: devices[0] "v1": points.open_limit.type "bool" is for coil and discrete-input points; "#
                + #"for one bit of a register use type = "bit" with bit = 0...15"#
        ),
        Mistake(
            "register type on a bit table",
            F.config(F.with(F.valve, ["points.open_limit": #"{ function = "coil", address = 0, type = "int16" }"#])),
            #"levee.toml: devices[0] "v1": points.open_limit.type "int16" needs a register (holding or input), "#
                + #"but a coil point is one bit: use "bool""#
        ),
        Mistake(
            "bit needs bit",
            F.config(F.with(F.valve, ["points.open_limit": #"{ function = "holding", address = 0, type = "bit" }"#])),
            #"levee.toml: devices[0] "v1": points.open_limit.bit is required with type = "bit" (0...15)"#
        ),
        Mistake(
            "bit range",
            F.config(
                F.with(
                    F.valve, ["points.open_limit": #"{ function = "holding", address = 0, type = "bit", bit = 16 }"#])
            ),
            #"levee.toml: devices[0] "v1": points.open_limit.bit 16 is outside 0...15"#
        ),
        Mistake(
            "word order on a 16-bit type",
            F.config(F.with(F.level, ["points.level": #"{ function = "input", address = 0, word_order = "CDAB" }"#])),
            #"levee.toml: devices[0] "pool": points.level.word_order applies only to 32-bit types (int32, uint32, "#
                + "float32)"
        ),
        Mistake(
            "scale zero",
            F.config(F.with(F.level, ["points.level": #"{ function = "input", address = 0, scale = 0 }"#])),
            #"levee.toml: devices[0] "pool": points.level.scale 0 must be non-zero (engineering = raw * scale + "#
                + "offset)"
        ),
        Mistake(
            "scale infinite",
            F.config(F.with(F.level, ["points.level": #"{ function = "input", address = 0, scale = inf }"#])),
            #"levee.toml: devices[0] "pool": points.level.scale inf must be a finite number"#
        ),
        Mistake(
            "range order",
            F.config(F.with(F.level, ["points.level": #"{ function = "input", address = 0, range = [6, 0] }"#])),
            #"levee.toml: devices[0] "pool": points.level.range [6, 0] must have min < max"#
        ),
        Mistake(
            "function on a gpio point",
            F.config(F.with(F.button, ["points.state": #"{ line = 4, function = "coil" }"#])),
            #"levee.toml: devices[0] "button": points.state.function is a Modbus key, but bus "io" is a gpio bus; "#
                + "give line instead"
        ),
        Mistake(
            "line on a modbus point",
            F.config(F.with(F.valve, ["points.open_limit": #"{ function = "coil", address = 0, line = 3 }"#])),
            #"levee.toml: devices[0] "v1": points.open_limit.line is a GPIO key, but bus "plc" is a modbus-tcp "#
                + "bus; give function and address"
        ),
        Mistake(
            "gpio line negative",
            F.config(F.with(F.button, ["points.state": "{ line = -1 }"])),
            #"levee.toml: devices[0] "button": points.state.line -1 is outside 0...65535"#
        ),
        Mistake(
            "output only on a digital-output",
            F.config(F.with(F.button, ["points.state": #"{ line = 4, direction = "output" }"#])),
            #"levee.toml: devices[0] "button": points.state.direction "output" is only for the state of a "#
                + "digital-output device"
        ),
        Mistake(
            "initial only on outputs",
            F.config(F.with(F.button, ["points.state": "{ line = 4, initial = true }"])),
            #"levee.toml: devices[0] "button": points.state.initial applies only to outputs (direction = "output")"#
        ),
    ]

    static let commands: [Mistake] = [
        Mistake(
            "unknown command",
            F.config(F.with(F.valve, ["commands.opne": #"{ function = "coil", address = 7 }"#])),
            #"levee.toml: devices[0] "v1": commands: unknown command "opne" for a valve device (did you mean "open"?)"#
        ),
        Mistake(
            "no commands on a level",
            F.config(F.with(F.level, ["commands.open": #"{ function = "coil", address = 7 }"#])),
            #"levee.toml: devices[0] "pool": commands: a level device takes no commands, got "open""#
        ),
        Mistake(
            "command function",
            F.config(F.with(F.valve, ["commands.open": #"{ function = "input", address = 7 }"#])),
            #"levee.toml: devices[0] "v1": commands.open.function "input" must be one of coil, holding"#
        ),
        Mistake(
            "coil value",
            F.config(F.with(F.valve, ["commands.open": #"{ function = "coil", address = 0, value = 2 }"#])),
            #"levee.toml: devices[0] "v1": commands.open.value 2 must be 0 or 1 on a coil"#
        ),
        Mistake(
            "pulse_ms",
            F.config(F.with(F.valve, ["commands.open": #"{ function = "coil", address = 0, pulse_ms = 0 }"#])),
            #"levee.toml: devices[0] "v1": commands.open.pulse_ms 0 is outside 1...60000"#
        ),
        Mistake(
            "release without pulse",
            F.config(F.with(F.valve, ["commands.open": #"{ function = "coil", address = 0, release_value = 0 }"#])),
            #"levee.toml: devices[0] "v1": commands.open.release_value is only used with pulse_ms"#
        ),
        Mistake(
            "valve needs close",
            F.config(F.with(F.valve, removing: ["commands.close"])),
            #"levee.toml: devices[0] "v1": commands.close is required for a valve"#
        ),
        Mistake(
            "modbus output needs commands",
            F.config([
                ("id", #""beacon""#), ("name", #""警示灯""#), ("type", #""digital-output""#), ("bus", #""plc""#),
                ("unit", "1"), ("line", #""boundary""#), ("points.state", #"{ function = "coil", address = 9 }"#),
            ]),
            #"levee.toml: devices[0] "beacon": commands must give on and off for a digital-output on a modbus-tcp "#
                + "bus (only GPIO outputs derive them from points.state)"
        ),
        Mistake(
            "gpio output needs a state line",
            F.config(F.with(F.siren, removing: ["points.state"])),
            #"levee.toml: devices[0] "siren": points.state is required for a digital-output on a gpio bus without "#
                + "commands"
        ),
    ]

    static let settings: [Mistake] = [
        Mistake(
            "stroke_s required",
            F.config(F.with(F.valve, removing: ["stroke_s"])),
            #"levee.toml: devices[0] "v1": stroke_s is required"#
        ),
        Mistake(
            "stroke_s limit",
            F.config(F.with(F.valve, ["stroke_s": "3601"])),
            #"levee.toml: devices[0] "v1": stroke_s 3601 must be > 0 and <= 3600"#
        ),
        Mistake(
            "stroke_margin",
            F.config(F.with(F.valve, ["stroke_margin": "0.8"])),
            #"levee.toml: devices[0] "v1": stroke_margin 0.8 is outside 1...10"#
        ),
        Mistake(
            "valve role",
            F.config(F.with(F.valve, ["role": #""outlet""#])),
            #"levee.toml: devices[0] "v1": role "outlet" must be one of bund-to-rain, bund-to-accident, pool-inlet, "#
                + "pool-bypass, rain-outlet, sewage-outlet, park-gate"
        ),
        Mistake(
            "pool needs a volume",
            F.config(F.with(F.level, ["pool": "true"])),
            #"levee.toml: devices[0] "pool": a pool (pool = true) needs area_m2 or volume_table to compute its volume"#
        ),
        Mistake(
            "pool area",
            F.config(F.with(F.level, ["pool": "true", "area_m2": "0"])),
            #"levee.toml: devices[0] "pool": area_m2 0 must be > 0 and <= 1000000"#
        ),
        Mistake(
            "volume table rows",
            F.config(F.with(F.level, ["pool": "true", "volume_table": "[[0, 0]]"])),
            #"levee.toml: devices[0] "pool": volume_table has 1 row; it needs at least 2 to interpolate"#
        ),
        Mistake(
            "volume table rising level",
            F.config(F.with(F.level, ["pool": "true", "volume_table": "[[0, 0], [2, 100], [2, 150]]"])),
            #"levee.toml: devices[0] "pool": volume_table[2] level 2 must be above the previous row's level 2"#
        ),
        Mistake(
            "volume table falling volume",
            F.config(F.with(F.level, ["pool": "true", "volume_table": "[[0, 0], [1, 100], [2, 90.5]]"])),
            #"levee.toml: devices[0] "pool": volume_table[2] volume 90.5 must not be below the previous row's "#
                + "volume 100"
        ),
        Mistake(
            "gas kind",
            F.config(F.with(F.gas, ["gas_kind": #""flammable""#])),
            #"levee.toml: devices[0] "gas-a1": gas_kind "flammable" must be one of combustible, toxic"#
        ),
        Mistake(
            "gas name",
            F.config(F.with(F.gas, removing: ["gas"])),
            #"levee.toml: devices[0] "gas-a1": gas is required"#
        ),
        Mistake(
            "digital input role",
            F.config(F.with(F.button, ["role": #""buton""#])),
            #"levee.toml: devices[0] "button": role "buton" must be one of button, rain, fire, contact "#
                + #"(did you mean "button"?)"#
        ),
    ]

    @Test(arguments: site + buses + devices + points + commands + settings)
    func rule(_ mistake: Mistake) {
        #expect(F.issues(mistake.text) == [mistake.expected])
    }
}

struct SuggestionTests {
    @Test(
        arguments: [
            ("trvel_s", ["travel_s", "stroke_s"], "travel_s"),
            ("adress", ["address", "function"], "address"),
            ("stroke", ["stroke_s", "role"], "stroke_s"),
            ("Port", ["port", "host"], "port"),
            ("x", ["id", "bus"], nil),
            ("CST", ["GMT", "UTC"], nil),
            ("nmae", ["name", "id"], "name"),
            ("colour", ["type", "unit"], nil),
        ] as [(String, [String], String?)])
    func closest(_ typed: String, _ known: [String], _ expected: String?) {
        #expect(Suggestion.closest(to: typed, in: known) == expected)
    }

    @Test func distance() {
        #expect(Suggestion.distance("kitten", "sitting") == 3)
        #expect(Suggestion.distance("", "abc") == 3)
        #expect(Suggestion.distance("液位", "液位计") == 1)
        #expect(Suggestion.distance("nmae", "name") == 1)
    }
}
