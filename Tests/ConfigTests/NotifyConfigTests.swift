import Testing

@testable import Config

/// `[notify]` with its channels, rules and on-call roster: the defaults, a full section, and the line a person reads
/// for each mistake.
struct NotifyConfigTests {
    static func document(_ extra: String) -> String {
        Fixture.config(Fixture.valve, Fixture.gas) + "\n" + extra
    }

    static let minimal = """
        [notify]
        enabled = true

        [[notify.channels]]
        id = "modem"
        type = "sms"
        device = "/dev/ttyUSB2"

        [[notify.rules]]
        id = "all"

        [[notify.oncall]]
        name = "王工"
        rung = 1
        phone = "+8613800000001"
        channels = ["modem"]
        """

    @Test func noTableMeansOff() throws {
        let config = try ConfigLoader.parse(Fixture.config(Fixture.valve), file: "levee.toml")
        #expect(config.notify == NotifySettings())
        #expect(!config.notify.enabled)
    }

    @Test func aFullSectionIsRead() throws {
        let text = Self.document(
            Self.minimal + """

                [[notify.channels]]
                id = "ding"
                type = "dingtalk"
                url_file = "/etc/levee/ding-url"
                secret_file = "/etc/levee/ding-secret"
                send_timeout_s = 7

                [[notify.rules]]
                id = "gas"
                kinds = ["alarm", "trip"]
                priorities = ["critical", "high"]
                devices = ["gas-a1"]
                first_rung = 2
                last_rung = 3
                escalate_after_s = 60
                acknowledge = false

                [[notify.oncall]]
                name = "night"
                rung = 2
                channels = ["ding"]
                language = "en"
                days = ["sat", "sun"]
                from = "22:00"
                to = "06:00"
                """)
        let n = try ConfigLoader.parse(text, file: "levee.toml").notify
        #expect(n.enabled)
        #expect(n.channels.map(\.id) == ["modem", "ding"])
        #expect(n.channels[0].kind == .sms && n.channels[0].device == "/dev/ttyUSB2" && n.channels[0].baud == 115_200)
        #expect(n.channels[1].secretFile == "/etc/levee/ding-secret" && n.channels[1].timeoutSeconds == 7)
        let gas = try #require(n.rules.last)
        #expect(gas.kinds == [.alarm, .trip] && gas.priorities == ["critical", "high"] && gas.devices == ["gas-a1"])
        #expect(gas.firstRung == 2 && gas.lastRung == 3 && gas.escalateAfterSeconds == 60 && !gas.acknowledge)
        let night = try #require(n.oncall.last)
        #expect(night.language == "en" && night.days == [6, 7] && night.fromMinute == 1320 && night.toMinute == 360)
    }

    @Test func mistakesNameTheirKeys() {
        let text = Self.document(
            """
            [notify]
            enabled = true
            rate_limit = 0
            retry_min_s = 60
            retry_max_s = 30
            dashboard_url = "levee.local"

            [[notify.channels]]
            id = "ding"
            type = "dingtalk"
            url = "https://oapi.dingtalk.com/robot/send?access_token=x"

            [[notify.channels]]
            id = "ding"
            type = "pager"

            [[notify.rules]]
            id = "r"
            kinds = ["alarms"]
            devices = ["gas-b9"]
            first_rung = 3
            last_rung = 2

            [[notify.oncall]]
            name = "王工"
            rung = 10
            channels = ["ding"]
            from = "25:00"
            """)
        #expect(
            Fixture.issues(text) == [
                #"levee.toml: notify.dashboard_url "levee.local" must be an http:// or https:// URL"#,
                "levee.toml: notify.rate_limit 0 is outside 1...1000",
                "levee.toml: notify.retry_max_s 30 is below retry_min_s (60)",
                #"levee.toml: notify.channels[0].url belongs to type "webhook" channels, not "dingtalk""#,
                "levee.toml: notify.channels[0].url_file is required",
                #"levee.toml: notify.channels[1].id "ding" is already used by notify.channels[0]"#,
                #"levee.toml: notify.channels[1].type "pager" must be one of sms, wecom, dingtalk, webhook, email"#,
                #"levee.toml: notify.rules[0].kinds[0] "alarms" must be one of alarm, trip, escalation, valve-failed, drill, health (did you mean "alarm"?)"#,
                #"levee.toml: notify.rules[0].devices[0] "gas-b9" must be one of v1, gas-a1 (did you mean "gas-a1"?)"#,
                "levee.toml: notify.rules[0].last_rung 2 is below first_rung (3)",
                "levee.toml: notify.oncall[0].rung 10 is outside 1...9",
                #"levee.toml: notify.oncall[0].channels[0] "ding" must be one of (none is defined)"#,
                #"levee.toml: notify.oncall[0].from "25:00" must be a time "HH:MM" from 00:00 to 24:00"#,
            ])
    }

    @Test func anEnabledNotifierMustBeAbleToTellSomeone() {
        let text = Self.document("[notify]\nenabled = true\n")
        #expect(
            Fixture.issues(text) == [
                "levee.toml: notify: enabled = true needs at least one [[notify.channels]]",
                "levee.toml: notify: enabled = true needs at least one [[notify.rules]]",
                "levee.toml: notify: enabled = true needs someone on rung 1 in [[notify.oncall]]",
            ])
    }

    @Test func smsNeedsAPhoneNumber() {
        let text = Self.document(Self.minimal.replacingOccurrences(of: "phone = \"+8613800000001\"\n", with: ""))
        #expect(
            Fixture.issues(text) == [#"levee.toml: notify.oncall[0].phone is required: channel "modem" sends SMS"#])
    }

    @Test func theShippedExampleHasANotifySection() throws {
        let n = try ConfigLoader.load(path: ConfigLoaderTests.exampleURL.path).notify
        #expect(!n.enabled)
        #expect(n.channels.map(\.kind) == [.sms, .dingtalk, .webhook])
        #expect(n.oncall.map(\.rung).sorted() == [1, 1, 2, 3, 4])
    }
}
