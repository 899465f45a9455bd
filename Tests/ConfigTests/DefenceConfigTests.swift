import Alarm
import Testing

@testable import Config

private typealias F = Fixture

/// `[defence]`, `[[plans]]`, `[[interlocks]]` and `[[first_flush]]`: what a valid file gives, and the line a person
/// reads for each mistake.
struct DefenceConfigTests {
    // MARK: A small plant

    /// The rain outlet (line 3).
    static let outlet = F.with(F.valve, ["group": #""rain-outlet""#])
    /// A bund drain valve of tank farm A (line 1).
    static let valveA = F.with(
        F.valve,
        [
            "id": #""valve-a""#, "name": #""罐区A围堰雨水阀""#, "unit": "3", "line": #""risk-unit""#,
            "group": #""tank-farm-A""#, "role": #""bund-to-rain""#,
        ])
    /// The accident pool's inlet gate (line 2).
    static let inlet = F.with(
        F.valve,
        [
            "id": #""inlet""#, "name": #""事故池进水闸""#, "unit": "4", "line": #""network-pool""#,
            "role": #""pool-inlet""#,
        ])
    static let pool = F.with(F.level, ["pool": "true", "area_m2": "200"])
    /// A rain gauge read as a level in mm; not a pool.
    static let gauge = F.with(
        F.level,
        [
            "id": #""gauge""#, "name": #""雨量计""#, "unit": "8",
            "points.level": #"{ function = "input", address = 0, scale = 0.1, unit = "mm" }"#,
        ])
    /// A transfer pump that can be started remotely but only stopped by hand.
    static let pump: Fixture.Device = [
        ("id", #""p1""#), ("name", #""事故池提升泵""#), ("type", #""pump""#), ("bus", #""plc""#), ("unit", "6"),
        ("line", #""network-pool""#), ("points.running", #"{ function = "discrete-input", address = 10 }"#),
        ("commands.start", #"{ function = "coil", address = 10 }"#),
    ]
    static let rain: Fixture.Device = [
        ("id", #""rain""#), ("name", #""雨水感应器""#), ("type", #""digital-input""#), ("bus", #""io""#),
        ("line", #""network-pool""#), ("role", #""rain""#), ("points.state", "{ line = 6 }"),
    ]
    static let quality: Fixture.Device = [
        ("id", #""wq""#), ("name", #""雨水排口水质""#), ("type", #""water-quality""#), ("bus", #""plc""#),
        ("unit", "7"), ("line", #""boundary""#),
        ("points.cod", #"{ function = "input", address = 0, unit = "mg/L" }"#),
    ]
    static let gas = F.with(F.gas, ["group": #""tank-farm-A""#])

    static let alarms = """
        [[alarms]]
        point = "gas-a1.concentration"
        preset = "combustible"

        [[alarms]]
        id = "wq.cod.H"
        point = "wq.cod"
        kind = "high"
        limit = 100
        """

    /// The plant, its alarms, then `sections`.
    static func text(_ sections: String) -> String {
        let devices = [outlet, valveA, inlet, pool, gauge, pump, rain, quality, gas, F.button, F.siren]
        return F.config(site: F.site, buses: F.buses) + devices.map(F.toml).joined(separator: "\n\n") + "\n\n"
            + alarms + "\n\n" + sections + "\n"
    }

    static let full = """
        [defence]
        retries = 2
        default_deadline_s = 20
        max_bypass_h = 2
        escalate_pool_full_within_min = 45
        pool_high_high = { pool = 4.5 }
        escalation_output = "siren"
        plant_wide_order = "by-line"

        [[plans]]
        id = "tank-farm-a"
        name = "罐区A泄漏"
        groups = ["tank-farm-A"]
        order = "by-line"

        [[plans.steps]]
        device = "inlet"
        action = "open-valve"

        [[plans.steps]]
        id = "pump-out"
        device = "p1"
        action = "start-pump"
        after = ["open-inlet"]
        deadline_s = 60

        [[plans.steps]]
        device = "siren"
        action = "output-on"
        after = ["open-inlet", "pump-out"]

        [[plans]]
        id = "outlet-only"
        steps = [{ device = "v1", action = "close-valve" }]

        [[interlocks]]
        id = "gas-a1-hh"
        alarm = "gas-a1.concentration.HH"
        plan = "tank-farm-a"
        description = "罐区A可燃气体二级报警：罐区A关断"

        [[interlocks]]
        id = "pool-hh"
        point = "pool.level"
        kind = "high"
        limit = 4.2
        deadband = 0.05
        on_delay_s = 3
        off_delay_s = 10
        plan = "plant-wide"

        [[interlocks]]
        id = "outlet-cod"
        alarm = "wq.cod.H"
        plan = "group:rain-outlet"

        [[first_flush]]
        outlet = "v1"
        pool_inlet = "inlet"
        rain = "rain.state"
        rain_gauge = "gauge.level"
        quality_alarms = ["wq.cod.H"]
        amount_mm = 25
        raining_min = 20
        t1_min = 10
        t3_min = 60
        t2_h = 12
        """

    // MARK: Valid files

    @Test func theFixtureAloneIsValidAndTakesTheDefaults() throws {
        let config = try ConfigLoader.parse(Self.text(""), file: "levee.toml")
        #expect(config.defence == DefenceSettings())
        #expect(config.defence.plantWideOrder == .parallel)
        #expect(config.plans.isEmpty)
        #expect(config.interlocks.isEmpty)
        #expect(config.firstFlush.isEmpty)
    }

    @Test func aFullExampleIsReadIntoTheModel() throws {
        let config = try ConfigLoader.parse(Self.text(Self.full), file: "levee.toml")
        #expect(
            config.defence
                == DefenceSettings(
                    retries: 2, defaultDeadlineSeconds: 20, maximumBypassHours: 2, escalatePoolFullWithinMinutes: 45,
                    poolHighHigh: ["pool": 4.5], escalationOutput: "siren", plantWideOrder: .byLine))
        #expect(
            config.plans == [
                PlanDefinition(
                    id: "tank-farm-a", name: "罐区A泄漏", groups: ["tank-farm-A"], order: .byLine,
                    steps: [
                        StepDefinition(device: "inlet", action: "open-valve"),
                        StepDefinition(
                            id: "pump-out", device: "p1", action: "start-pump", after: ["open-inlet"],
                            deadlineSeconds: 60),
                        StepDefinition(device: "siren", action: "output-on", after: ["open-inlet", "pump-out"]),
                    ]),
                PlanDefinition(id: "outlet-only", steps: [StepDefinition(device: "v1", action: "close-valve")]),
            ])
        #expect(
            config.firstFlush == [
                FirstFlushDefinition(
                    outlet: "v1", poolInlet: "inlet", rain: "rain.state", rainGauge: "gauge.level",
                    qualityAlarms: ["wq.cod.H"], amountMM: 25, rainingMinutes: 20, t1Minutes: 10, t3Minutes: 60,
                    t2Hours: 12)
            ])
        #expect(config.interlocks.map(\.id) == ["gas-a1-hh", "pool-hh", "outlet-cod"])
        #expect(config.interlocks.map(\.plan) == ["tank-farm-a", "plant-wide", "group:rain-outlet"])
    }

    @Test func anInterlockNamingAnAlarmTripsOnThatAlarmsPointAndCondition() throws {
        let config = try ConfigLoader.parse(Self.text(Self.full), file: "levee.toml")
        let alarm = try #require(config.alarms.first { $0.id == "gas-a1.concentration.HH" })
        let interlock = try #require(config.interlocks.first)
        #expect(interlock.alarm == "gas-a1.concentration.HH")
        #expect(interlock.point == "gas-a1.concentration")
        #expect(interlock.condition == alarm.condition)
        #expect(interlock.condition.kind == .high(50))  // GB/T 50493: level 2 at 50 %LEL
        #expect(interlock.description == "罐区A可燃气体二级报警：罐区A关断")
    }

    @Test func anInlineInterlockHasItsOwnConditionAndNoAlarm() throws {
        let config = try ConfigLoader.parse(Self.text(Self.full), file: "levee.toml")
        let interlock = try #require(config.interlocks.first { $0.id == "pool-hh" })
        #expect(interlock.alarm == nil)
        #expect(interlock.point == "pool.level")
        #expect(
            interlock.condition
                == Condition(.high(4.2), deadband: 0.05, onDelay: .seconds(3), offDelay: .seconds(10)))
    }

    /// Condition keys, each written once as an alarm and once as an interlock.
    @Test(arguments: [
        "point = \"pool.level\"\nkind = \"high\"\nlimit = 4.2\ndeadband = 0.05\non_delay_s = 3\noff_delay_s = 10",
        "point = \"pool.level\"\nkind = \"low\"\nlimit = 0.2\ndeadband = 0.1",
        "point = \"rain.state\"\nkind = \"state\"\nstate = true\non_delay_s = 30",
        "point = \"pool.level\"\nkind = \"rate-of-rise\"\nlimit = 0.05\nrate_window_s = 120",
        "point = \"pool.level\"\nkind = \"rate-of-fall\"\nlimit = 0.1\noff_delay_s = 60",
    ])
    func anInlineConditionIsTheConditionTheSameAlarmKeysGive(keys: String) throws {
        let text = Self.text(
            "[[alarms]]\nid = \"twin\"\n\(keys)\n\n[[interlocks]]\nid = \"twin\"\nplan = \"plant-wide\"\n\(keys)")
        let config = try ConfigLoader.parse(text, file: "levee.toml")
        let alarm = try #require(config.alarms.first { $0.id == "twin" })
        let interlock = try #require(config.interlocks.first)
        #expect(interlock.point == alarm.point)
        #expect(interlock.condition == alarm.condition)
    }

    @Test func firstFlushTakesTheDomainDefaultsWhenOnlyTheOutletAndRainAreGiven() throws {
        let config = try ConfigLoader.parse(
            Self.text("[[first_flush]]\noutlet = \"v1\"\nrain = \"rain.state\""), file: "levee.toml")
        let flush = try #require(config.firstFlush.first)
        #expect(flush == FirstFlushDefinition(outlet: "v1", rain: "rain.state"))
        #expect(flush.amountMM == 20)
        #expect(flush.rainingMinutes == 15)
        #expect(flush.t1Minutes == 5)
        #expect(flush.t3Minutes == 30)
        #expect(flush.t2Hours == 6)
    }

    // MARK: Mistakes

    @Test(arguments: [
        // [defence]
        Mistake("retries range", "[defence]\nretries = 6", "levee.toml: defence.retries 6 is outside 0...5"),
        Mistake(
            "deadline range", "[defence]\ndefault_deadline_s = 0.5",
            "levee.toml: defence.default_deadline_s 0.5 is outside 1...3600"),
        Mistake(
            "bypass range", "[defence]\nmax_bypass_h = 48", "levee.toml: defence.max_bypass_h 48 is outside 0.1...24"),
        Mistake(
            "escalation range", "[defence]\nescalate_pool_full_within_min = 0",
            "levee.toml: defence.escalate_pool_full_within_min 0 is outside 1...1440"),
        Mistake(
            "pool HH device", "[defence]\npool_high_high = { pol = 4 }",
            #"levee.toml: defence.pool_high_high.pol is not a device (did you mean "pool"?)"#),
        Mistake(
            "pool HH not a pool", "[defence]\npool_high_high = { gauge = 4 }",
            "levee.toml: defence.pool_high_high.gauge must be a pool's level device (pool = true), not a level "
                + "without pool = true"),
        Mistake(
            "pool HH not a level", "[defence]\npool_high_high = { v1 = 4 }",
            "levee.toml: defence.pool_high_high.v1 must be a pool's level device (pool = true), not a valve"),
        Mistake(
            "pool HH number", "[defence]\npool_high_high = { pool = \"high\" }",
            "levee.toml: defence.pool_high_high.pool must be a number, got string"),
        Mistake(
            "escalation output kind", "[defence]\nescalation_output = \"gas-a1\"",
            #"levee.toml: defence.escalation_output "gas-a1" must be a digital-output with on and off commands"#),
        Mistake(
            "escalation output typo", "[defence]\nescalation_output = \"sirne\"",
            #"levee.toml: defence.escalation_output "sirne" is not a device (did you mean "siren"?)"#),
        Mistake(
            "plant-wide order", "[defence]\nplant_wide_order = \"byline\"",
            #"levee.toml: defence.plant_wide_order "byline" must be one of parallel, by-line (did you mean "by-line"?)"#
        ),
        Mistake(
            "defence key", "[defence]\nretires = 1",
            #"levee.toml: defence: unknown key "retires" (did you mean "retries"?)"#),
        Mistake(
            "section name", "[defense]\nretries = 1", #"levee.toml: unknown key "defense" (did you mean "defence"?)"#),

        // [[plans]]
        Mistake("plan id required", "[[plans]]\ngroups = [\"tank-farm-A\"]", "levee.toml: plans[0].id is required"),
        Mistake(
            "plan id plant-wide", "[[plans]]\nid = \"plant-wide\"\ngroups = [\"tank-farm-A\"]",
            #"levee.toml: plans[0].id "plant-wide" is reserved for the plan derived from every device"#),
        Mistake(
            "plan id group:", "[[plans]]\nid = \"group:tank-farm-A\"\ngroups = [\"tank-farm-A\"]",
            #"levee.toml: plans[0].id "group:tank-farm-A" is reserved for the plan derived from a group"#),
        Mistake(
            "plan id identifier", "[[plans]]\nid = \"tank farm\"\ngroups = [\"tank-farm-A\"]",
            #"levee.toml: plans[0].id "tank farm" must match [A-Za-z0-9_-]+"#),
        Mistake(
            "plan id unique",
            "[[plans]]\nid = \"a\"\ngroups = [\"tank-farm-A\"]\n[[plans]]\nid = \"a\"\ngroups = [\"tank-farm-A\"]",
            #"levee.toml: plans[1].id "a" is already used by plans[0]"#),
        Mistake(
            "plan group", "[[plans]]\nid = \"a\"\ngroups = [\"tank-farm-B\"]",
            #"levee.toml: plans[0].groups[0] "tank-farm-B" is not the group of any device (did you mean "tank-farm-A"?)"#
        ),
        Mistake(
            "plan group type", "[[plans]]\nid = \"a\"\ngroups = [3]",
            "levee.toml: plans[0].groups[0] must be a device group (a string), got integer"),
        Mistake(
            "plan order", "[[plans]]\nid = \"a\"\ngroups = [\"tank-farm-A\"]\norder = \"serial\"",
            #"levee.toml: plans[0].order "serial" must be one of parallel, by-line"#),
        Mistake(
            "plan empty", "[[plans]]\nid = \"a\"",
            "levee.toml: plans[0]: needs at least one of groups or [[plans.steps]]"),
        Mistake(
            "plan key", "[[plans]]\nid = \"a\"\ngroups = [\"tank-farm-A\"]\nodrer = \"by-line\"",
            #"levee.toml: plans[0]: unknown key "odrer" (did you mean "order"?)"#),
        Mistake(
            "steps not tables", "[[plans]]\nid = \"a\"\nsteps = { device = \"v1\" }",
            "levee.toml: plans[0].steps must be an array of tables ([[plans.steps]]), got table"),

        // [[plans.steps]]
        Mistake(
            "step device", "[[plans]]\nid = \"a\"\nsteps = [{ device = \"valve-x\", action = \"close-valve\" }]",
            #"levee.toml: plans[0].steps[0].device "valve-x" is not a device (did you mean "valve-a"?)"#),
        Mistake(
            "step device required", "[[plans]]\nid = \"a\"\nsteps = [{ action = \"close-valve\" }]",
            "levee.toml: plans[0].steps[0].device is required"),
        Mistake(
            "step action", "[[plans]]\nid = \"a\"\nsteps = [{ device = \"v1\", action = \"close\" }]",
            #"levee.toml: plans[0].steps[0].action "close" must be one of close-valve, open-valve, start-pump, "#
                + #"stop-pump, output-on, output-off (did you mean "close-valve"?)"#),
        Mistake(
            "step action kind", "[[plans]]\nid = \"a\"\nsteps = [{ device = \"p1\", action = \"close-valve\" }]",
            #"levee.toml: plans[0].steps[0].action "close-valve" needs a valve device, but "p1" is a pump"#),
        Mistake(
            "step output kind", "[[plans]]\nid = \"a\"\nsteps = [{ device = \"v1\", action = \"output-on\" }]",
            #"levee.toml: plans[0].steps[0].action "output-on" needs a digital-output device, but "v1" is a valve"#
        ),
        Mistake(
            "step command", "[[plans]]\nid = \"a\"\nsteps = [{ device = \"p1\", action = \"stop-pump\" }]",
            #"levee.toml: plans[0].steps[0].action "stop-pump" needs a "stop" command, which device "p1" lacks"#),
        Mistake(
            "step deadline",
            "[[plans]]\nid = \"a\"\nsteps = [{ device = \"v1\", action = \"close-valve\", deadline_s = 0 }]",
            "levee.toml: plans[0].steps[0].deadline_s 0 is outside 1...3600"),
        Mistake(
            "step key",
            "[[plans]]\nid = \"a\"\nsteps = [{ devcie = \"v1\", device = \"v1\", action = \"close-valve\" }]",
            #"levee.toml: plans[0].steps[0]: unknown key "devcie" (did you mean "device"?)"#),
        Mistake(
            "step after unknown",
            """
            [[plans]]
            id = "a"
            steps = [
                { device = "inlet", action = "open-valve" },
                { device = "v1", action = "close-valve", after = ["open-inlt"] },
            ]
            """,
            #"levee.toml: plans[0].steps[1].after[0] "open-inlt" is not a step of this plan "#
                + #"(did you mean "open-inlet"?)"#),
        Mistake(
            "step after itself",
            "[[plans]]\nid = \"a\"\nsteps = [{ device = \"valve-a\", action = \"close-valve\", after = [\"close-valve-a\"] }]",
            #"levee.toml: plans[0].steps[0].after[0] "close-valve-a" is this step itself; a step cannot wait for itself"#
        ),
        Mistake(
            "step cycle",
            """
            [[plans]]
            id = "a"
            steps = [
                { id = "a", device = "valve-a", action = "close-valve", after = ["c"] },
                { id = "b", device = "inlet", action = "open-valve", after = ["a"] },
                { id = "c", device = "v1", action = "close-valve", after = ["b"] },
            ]
            """,
            #"levee.toml: plans[0].steps form a cycle: "a" waits for "c", which waits for "b", which waits for "a""#),
        Mistake(
            "step default id twice",
            "[[plans]]\nid = \"a\"\nsteps = [{ device = \"v1\", action = \"close-valve\" }, "
                + "{ device = \"v1\", action = \"close-valve\" }]",
            #"levee.toml: plans[0].steps[1]: step id "close-v1" (the default for this device and action) is already "#
                + "used by steps[0]; give one of them an id"),
        Mistake(
            "step id twice",
            "[[plans]]\nid = \"a\"\nsteps = [{ id = \"x\", device = \"v1\", action = \"close-valve\" }, "
                + "{ id = \"x\", device = \"inlet\", action = \"open-valve\" }]",
            #"levee.toml: plans[0].steps[1].id "x" is already used by steps[0]"#),

        // [[interlocks]]
        Mistake(
            "interlock id", "[[interlocks]]\nalarm = \"wq.cod.H\"\nplan = \"plant-wide\"",
            "levee.toml: interlocks[0].id is required"),
        Mistake(
            "interlock id unique",
            "[[interlocks]]\nid = \"x\"\nalarm = \"wq.cod.H\"\nplan = \"plant-wide\"\n"
                + "[[interlocks]]\nid = \"x\"\nalarm = \"wq.cod.H\"\nplan = \"plant-wide\"",
            #"levee.toml: interlocks[1].id "x" is already used by interlocks[0]"#),
        Mistake(
            "interlock plan required", "[[interlocks]]\nid = \"x\"\nalarm = \"wq.cod.H\"",
            "levee.toml: interlocks[0].plan is required"),
        Mistake(
            "interlock plan", "[[interlocks]]\nid = \"x\"\nalarm = \"wq.cod.H\"\nplan = \"plant_wide\"",
            #"levee.toml: interlocks[0].plan "plant_wide" must be "plant-wide", the id of a [[plans]] entry or "#
                + #""group:<group>" (did you mean "plant-wide"?)"#),
        Mistake(
            "interlock plan id",
            "[[plans]]\nid = \"tank-farm-a\"\ngroups = [\"tank-farm-A\"]\n\n"
                + "[[interlocks]]\nid = \"x\"\nalarm = \"wq.cod.H\"\nplan = \"tank-farm-b\"",
            #"levee.toml: interlocks[0].plan "tank-farm-b" must be "plant-wide", the id of a [[plans]] entry or "#
                + #""group:<group>" (did you mean "tank-farm-a"?)"#),
        Mistake(
            "interlock plan group", "[[interlocks]]\nid = \"x\"\nalarm = \"wq.cod.H\"\nplan = \"group:tank-farm-B\"",
            #"levee.toml: interlocks[0].plan "group:tank-farm-B": no device has group "tank-farm-B" "#
                + #"(did you mean "group:tank-farm-A"?)"#),
        Mistake(
            "interlock alarm",
            "[[interlocks]]\nid = \"x\"\nalarm = \"gas-a1.concentration.HHH\"\nplan = \"plant-wide\"",
            #"levee.toml: interlocks[0].alarm "gas-a1.concentration.HHH" is not an alarm in [[alarms]] "#
                + #"(did you mean "gas-a1.concentration.HH"?)"#),
        Mistake(
            "interlock alarm and condition",
            "[[interlocks]]\nid = \"x\"\nalarm = \"wq.cod.H\"\nlimit = 80\nplan = \"plant-wide\"",
            #"levee.toml: interlocks[0].limit does not go with alarm = "wq.cod.H", whose condition is used"#),
        Mistake(
            "interlock point",
            "[[interlocks]]\nid = \"x\"\npoint = \"pool.levl\"\nkind = \"high\"\nlimit = 4\nplan = \"plant-wide\"",
            #"levee.toml: interlocks[0].point device "pool" has no point "levl" (did you mean "level"?)"#),
        Mistake(
            "interlock point device",
            "[[interlocks]]\nid = \"x\"\npoint = \"pol.level\"\nkind = \"high\"\nlimit = 4\nplan = \"plant-wide\"",
            #"levee.toml: interlocks[0].point "pol.level" must be <device>.<point> of a device above (did you mean "pool"?)"#
        ),
        Mistake(
            "interlock kind",
            "[[interlocks]]\nid = \"x\"\npoint = \"pool.level\"\nkind = \"hihg\"\nlimit = 4\nplan = \"plant-wide\"",
            #"levee.toml: interlocks[0].kind "hihg" must be one of high, low, state, rate-of-rise, rate-of-fall "#
                + #"(did you mean "high"?)"#),
        Mistake(
            "interlock limit",
            "[[interlocks]]\nid = \"x\"\npoint = \"pool.level\"\nkind = \"high\"\nplan = \"plant-wide\"",
            "levee.toml: interlocks[0].limit is required"),
        Mistake(
            "interlock state",
            "[[interlocks]]\nid = \"x\"\npoint = \"rain.state\"\nkind = \"state\"\nplan = \"plant-wide\"",
            "levee.toml: interlocks[0].state is required"),
        Mistake(
            "interlock rate",
            "[[interlocks]]\nid = \"x\"\npoint = \"pool.level\"\nkind = \"rate-of-rise\"\nlimit = -1\nplan = \"plant-wide\"",
            "levee.toml: interlocks[0]: rate -1.0 per minute must be a positive number"),
        Mistake(
            "interlock delay",
            "[[interlocks]]\nid = \"x\"\npoint = \"pool.level\"\nkind = \"high\"\nlimit = 4\non_delay_s = -1\nplan = \"plant-wide\"",
            "levee.toml: interlocks[0].on_delay_s -1 is outside 0...86400"),
        Mistake(
            "interlock no condition", "[[interlocks]]\nid = \"x\"\nplan = \"plant-wide\"",
            #"levee.toml: interlocks[0]: needs alarm = "<alarm id>" or a condition: point, kind and limit (or state)"#
        ),
        Mistake(
            "interlock key",
            "[[interlocks]]\nid = \"x\"\nalarm = \"wq.cod.H\"\nplan = \"plant-wide\"\ndescripton = \"COD\"",
            #"levee.toml: interlocks[0]: unknown key "descripton" (did you mean "description"?)"#),

        // [[first_flush]]
        Mistake(
            "outlet required", "[[first_flush]]\nrain = \"rain.state\"", "levee.toml: first_flush[0].outlet is required"
        ),
        Mistake(
            "outlet kind", "[[first_flush]]\noutlet = \"p1\"\nrain = \"rain.state\"",
            #"levee.toml: first_flush[0].outlet "p1" must be a valve with open and close commands"#),
        Mistake(
            "outlet device", "[[first_flush]]\noutlet = \"valve-b\"\nrain = \"rain.state\"",
            #"levee.toml: first_flush[0].outlet "valve-b" is not a device (did you mean "valve-a"?)"#),
        Mistake(
            "outlet once",
            "[[first_flush]]\noutlet = \"v1\"\nrain = \"rain.state\"\n[[first_flush]]\noutlet = \"v1\"\nrain = \"rain.state\"",
            #"levee.toml: first_flush[1].outlet "v1" already has a first_flush[0]"#),
        Mistake(
            "pool inlet kind", "[[first_flush]]\noutlet = \"v1\"\npool_inlet = \"siren\"\nrain = \"rain.state\"",
            #"levee.toml: first_flush[0].pool_inlet "siren" must be a valve with open and close commands"#),
        Mistake(
            "rain kind", "[[first_flush]]\noutlet = \"v1\"\nrain = \"gauge.level\"",
            #"levee.toml: first_flush[0].rain "gauge.level" must be a point of a digital-input device, not of a level"#
        ),
        Mistake(
            "rain gauge point", "[[first_flush]]\noutlet = \"v1\"\nrain_gauge = \"gauge.levle\"",
            #"levee.toml: first_flush[0].rain_gauge device "gauge" has no point "levle" (did you mean "level"?)"#),
        Mistake(
            "rain or gauge", "[[first_flush]]\noutlet = \"v1\"",
            #"levee.toml: first_flush[0]: needs rain = "<device>.<point>", rain_gauge = "<device>.<point>" or both"#
        ),
        Mistake(
            "quality alarm",
            "[[first_flush]]\noutlet = \"v1\"\nrain = \"rain.state\"\nquality_alarms = [\"wq.cod.HH\"]",
            #"levee.toml: first_flush[0].quality_alarms[0] "wq.cod.HH" is not an alarm in [[alarms]] "#
                + #"(did you mean "wq.cod.H"?)"#),
        Mistake(
            "amount zero", "[[first_flush]]\noutlet = \"v1\"\nrain = \"rain.state\"\namount_mm = 0",
            "levee.toml: first_flush[0].amount_mm 0 must be > 0 and <= 500"),
        Mistake(
            "amount high", "[[first_flush]]\noutlet = \"v1\"\nrain = \"rain.state\"\namount_mm = 600",
            "levee.toml: first_flush[0].amount_mm 600 must be > 0 and <= 500"),
        Mistake(
            "raining range", "[[first_flush]]\noutlet = \"v1\"\nrain = \"rain.state\"\nraining_min = 0",
            "levee.toml: first_flush[0].raining_min 0 is outside 0.1...240"),
        Mistake(
            "t1 range", "[[first_flush]]\noutlet = \"v1\"\nrain = \"rain.state\"\nt1_min = 300",
            "levee.toml: first_flush[0].t1_min 300 is outside 0...240"),
        Mistake(
            "t3 range", "[[first_flush]]\noutlet = \"v1\"\nrain = \"rain.state\"\nt3_min = 2000\nt2_h = 72",
            "levee.toml: first_flush[0].t3_min 2000 is outside 0...1440"),
        Mistake(
            "t2 range", "[[first_flush]]\noutlet = \"v1\"\nrain = \"rain.state\"\nt2_h = 0.05\nt3_min = 1",
            "levee.toml: first_flush[0].t2_h 0.05 is outside 0.1...72"),
        Mistake(
            "t3 below default t2", "[[first_flush]]\noutlet = \"v1\"\nrain = \"rain.state\"\nt3_min = 400",
            "levee.toml: first_flush[0].t3_min 400 must be less than t2_h (6 h = 360 min)"),
        Mistake(
            "t3 below t2", "[[first_flush]]\noutlet = \"v1\"\nrain = \"rain.state\"\nt3_min = 60\nt2_h = 1",
            "levee.toml: first_flush[0].t3_min 60 must be less than t2_h (1 h = 60 min)"),
        Mistake(
            "first flush key", "[[first_flush]]\noutlet = \"v1\"\nrain = \"rain.state\"\nt2_hours = 6",
            #"levee.toml: first_flush[0]: unknown key "t2_hours" (did you mean "t2_h"?)"#),
    ])
    func eachMistakeNamesItsKey(_ mistake: Mistake) {
        let issues = F.issues(Self.text(mistake.text))
        #expect(issues == [mistake.expected], "\(issues)")
    }

    @Test func everyMistakeIsReportedAtOnce() {
        let issues = F.issues(
            Self.text(
                """
                [defence]
                retries = 9
                plant_wide_order = "serial"

                [[plans]]
                id = "a"
                steps = [{ device = "valve-x", action = "close-valve", deadline_s = 0 }]

                [[interlocks]]
                id = "x"
                plan = "b"
                point = "pool.level"
                kind = "high"

                [[first_flush]]
                outlet = "v1"
                """))
        #expect(
            issues == [
                "levee.toml: defence.retries 9 is outside 0...5",
                #"levee.toml: defence.plant_wide_order "serial" must be one of parallel, by-line"#,
                #"levee.toml: plans[0].steps[0].device "valve-x" is not a device (did you mean "valve-a"?)"#,
                "levee.toml: plans[0].steps[0].deadline_s 0 is outside 1...3600",
                #"levee.toml: interlocks[0].plan "b" must be "plant-wide", the id of a [[plans]] entry or "#
                    + #""group:<group>""#,
                "levee.toml: interlocks[0].limit is required",
                #"levee.toml: first_flush[0]: needs rain = "<device>.<point>", rain_gauge = "<device>.<point>" or both"#,
            ])
    }

    @Test func anInterlockMayNameAPlanThatHasMistakesWithoutBeingToldItIsMissing() {
        let issues = F.issues(
            Self.text(
                """
                [[plans]]
                id = "a"
                groups = ["tank-farm-B"]

                [[interlocks]]
                id = "x"
                alarm = "wq.cod.H"
                plan = "a"
                """))
        #expect(
            issues == [
                #"levee.toml: plans[0].groups[0] "tank-farm-B" is not the group of any device (did you mean "tank-farm-A"?)"#
            ])
    }
}
