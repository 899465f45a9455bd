import HJ212
import Testing

@testable import Config

/// `[mqtt]`, `[park]` and `[uplink]`: what a valid file gives, the defaults, and the line a person reads for each
/// mistake.
struct LinksConfigTests {
    static func document(_ extra: String) -> String {
        Fixture.config(Fixture.valve, Fixture.gas) + "\n" + extra
    }

    @Test func noTablesMeanNoLinks() throws {
        let config = try ConfigLoader.parse(Fixture.config(Fixture.valve), file: "levee.toml")
        #expect(config.mqtt == nil)
        #expect(config.park == nil)
        #expect(config.uplink == nil)
    }

    @Test func mqttDefaultsAndEveryKey() throws {
        let minimal = try ConfigLoader.parse(Self.document("[mqtt]\nbroker = \"10.1.0.5:1883\"\n"), file: "levee.toml")
        #expect(minimal.mqtt == MQTTSettings(host: "10.1.0.5", port: 1883))
        #expect(minimal.mqtt?.acceptCommands == false)

        let text = Self.document(
            """
            [mqtt]
            broker = "broker.park.local:8883"
            client_id = "levee-hongda-1"
            username = "hongda"
            password_file = "/etc/levee/mqtt.pass"
            tls_ca_file = "/etc/levee/park-ca.pem"
            tls_cert_file = "/etc/levee/hongda.pem"
            tls_key_file = "/etc/levee/hongda.key"
            protocol = "5"
            keepalive_s = 20
            topic_prefix = "park-east"
            publish_interval_s = 0.5
            refresh_s = 600
            outbox_limit = 5000
            accept_commands = true
            max_clock_skew_s = 60

            [[mqtt.parks]]
            id = "east-park"
            key_file = "/etc/levee/east-park.key"
            previous_key_file = "/etc/levee/east-park.old.key"
            allow = ["shutoff", "drill-check"]
            """)
        let mqtt = try #require(try ConfigLoader.parse(text, file: "levee.toml").mqtt)
        #expect(
            mqtt
                == MQTTSettings(
                    host: "broker.park.local", port: 8883, clientID: "levee-hongda-1", username: "hongda",
                    passwordFile: "/etc/levee/mqtt.pass", tlsCAFile: "/etc/levee/park-ca.pem",
                    tlsCertFile: "/etc/levee/hongda.pem", tlsKeyFile: "/etc/levee/hongda.key", protocolVersion: "5",
                    keepAliveSeconds: 20, topicPrefix: "park-east", publishIntervalSeconds: 0.5, refreshSeconds: 600,
                    outboxLimit: 5000, acceptCommands: true, maxClockSkewSeconds: 60,
                    parks: [
                        ParkPeer(
                            id: "east-park", keyFile: "/etc/levee/east-park.key",
                            previousKeyFile: "/etc/levee/east-park.old.key", allow: ["shutoff", "drill-check"])
                    ]))
    }

    @Test func mqttMistakesNameTheirKeys() {
        let text = Self.document(
            """
            [mqtt]
            broker = "nohost"
            password_file = "/p"
            tls_cert_file = "/c.pem"
            topic_prefix = "a//b"
            protocol = "3"
            accept_command = true

            [[mqtt.parks]]
            id = "east park"
            allow = ["shutof"]
            """)
        #expect(
            Fixture.issues(text) == [
                #"levee.toml: mqtt: unknown key "accept_command" (did you mean "accept_commands"?)"#,
                #"levee.toml: mqtt.broker "nohost" must be "host:port", such as "127.0.0.1:8080" or "[::1]:8080""#,
                "levee.toml: mqtt.password_file needs a username to go with it",
                "levee.toml: mqtt: tls_cert_file and tls_key_file go together: give both or neither",
                "levee.toml: mqtt.tls_cert_file needs tls_ca_file: a client certificate is only sent over TLS",
                #"levee.toml: mqtt.protocol "3" must be one of 3.1.1, 5"#,
                #"levee.toml: mqtt.topic_prefix "a//b" must be topic levels separated by / (such as "levee" or "cn/js/levee"), none empty, without + # $ or spaces"#,
                #"levee.toml: mqtt.parks[0].id "east park" must match [A-Za-z0-9_-]+"#,
                "levee.toml: mqtt.parks[0].key_file is required",
                #"levee.toml: mqtt.parks[0].allow[0] must be one of shutoff, drill, drill-check (did you mean "shutoff"?)"#,
            ])
    }

    @Test func acceptingCommandsNeedsAnAllowedPark() {
        #expect(
            Fixture.issues(Self.document("[mqtt]\nbroker = \"127.0.0.1:1883\"\naccept_commands = true\n")) == [
                "levee.toml: mqtt.accept_commands is true but no [[mqtt.parks]] is allowed to send commands"
            ])
    }

    static let park = """
        [mqtt]
        broker = "127.0.0.1:1883"

        [[plans]]
        id = "close-north"
        groups = ["north"]

        [park]
        plant_timeout_s = 60

        [[park.catchments]]
        id = "north"
        name = "北片区"
        plan = "close-north"
        on_escalation = "auto"

        [[park.catchments]]
        id = "river"
        plan = "group:north"

        [[park.plants]]
        id = "hongda"
        name = "宏达化工"
        catchment = "north"
        key_file = "/etc/levee/hongda.key"

        [[park.plants]]
        id = "xinyuan"
        catchment = "river"
        key_file = "/etc/levee/xinyuan.key"
        """

    @Test func aParkInstance() throws {
        let valve = Fixture.valve + [("group", #""north""#)]
        let config = try ConfigLoader.parse(Fixture.config(valve) + "\n" + Self.park, file: "levee.toml")
        let park = try #require(config.park)
        #expect(park.plantTimeoutSeconds == 60)
        #expect(park.commandTimeoutSeconds == 30)
        #expect(
            park.catchments == [
                Catchment(id: "north", name: "北片区", plan: "close-north", onEscalation: .auto),
                Catchment(id: "river", plan: "group:north", onEscalation: .confirm),
            ])
        #expect(park.plants(in: "north").map(\.id) == ["hongda"])
        #expect(park.plant("xinyuan")?.catchment == "river")
    }

    @Test func parkMistakesNameTheirKeys() {
        let text = Self.document(
            """
            [park]
            [[park.catchments]]
            id = "north"
            plan = "close-nort"
            on_escalation = "automatic"

            [[park.plants]]
            id = "hongda"
            catchment = "south"
            """)
        #expect(
            Fixture.issues(text) == [
                "levee.toml: park: a park instance watches its plants over MQTT: add an [mqtt] table with its broker",
                #"levee.toml: park.catchments[0].plan "close-nort" is not a plan of this park ("plant-wide", a group:<g> or a [[plans]] id)"#,
                #"levee.toml: park.catchments[0].on_escalation "automatic" must be one of auto, confirm, alarm (did you mean "auto"?)"#,
                #"levee.toml: park.plants[0].catchment "south" is not a [[park.catchments]] id"#,
                "levee.toml: park.plants[0].key_file is required",
            ])
    }

    @Test func uplinkEveryKey() throws {
        let text = Self.document(
            """
            [uplink]
            server = "10.9.0.1:9212"
            mn = "HONGDA0001"
            pw = "123456"
            st = 31
            realtime_interval_s = 60
            minute_data = false
            timeout_s = 5
            retries = 2
            max_segment = 2048
            backfill_days = 3
            allow_time_set = true

            [uplink.factors]
            "gas-a1.concentration" = "a99001"
            """)
        let uplink = try #require(try ConfigLoader.parse(text, file: "levee.toml").uplink)
        #expect(
            uplink
                == UplinkSettings(
                    host: "10.9.0.1", port: 9212, mn: "HONGDA0001", pw: "123456", st: 31, realtimeIntervalSeconds: 60,
                    minuteData: false, hourlyData: true, timeoutSeconds: 5, retries: 2, maxSegment: 2048,
                    backfillDays: 3, allowTimeSet: true, factors: ["gas-a1.concentration": "a99001"]))
    }

    @Test func uplinkMistakesNameTheirKeys() {
        let text = Self.document(
            """
            [uplink]
            server = "10.9.0.1:9212"
            mn = "HONG;DA"
            pw = "1234567890"
            max_segment = 100

            [uplink.factors]
            "gas-a1.concentraton" = "a99001"
            "gas-b1.concentration" = "a99002"
            "v1.closed_limit" = "w 01"
            """)
        #expect(
            Fixture.issues(text) == [
                #"levee.toml: uplink.mn "HONG;DA" must be at most 24 printable ASCII characters without ; , = & # or spaces"#,
                #"levee.toml: uplink.pw "1234567890" must be at most 9 printable ASCII characters without ; , = & # or spaces"#,
                "levee.toml: uplink.max_segment 100 is outside 256...9999",
                #"levee.toml: uplink.factors."gas-a1.concentraton" device "gas-a1" has no point "concentraton" (did you mean "concentration"?)"#,
                #"levee.toml: uplink.factors."gas-b1.concentration" "gas-b1.concentration" must be <device>.<point> of a device above (did you mean "gas-a1"?)"#,
                #"levee.toml: uplink.factors."v1.closed_limit" "w 01" is not an HJ 212 factor code such as "w01018" (COD)"#,
            ])
    }

    /// Issue 14: the platform could set the real-time interval to 1...4 s, which the key refused. One range for
    /// both: 5...3600 s, and the refusal names the key and the range.
    @Test func theRealTimeIntervalKeyTakesTheRangeThePlatformMaySet() {
        func text(_ seconds: Int) -> String {
            Self.document(
                """
                [uplink]
                server = "10.9.0.1:9212"
                mn = "HONGDA0001"
                pw = "123456"
                realtime_interval_s = \(seconds)

                [uplink.factors]
                "gas-a1.concentration" = "a99001"
                """)
        }
        #expect(RealTimeInterval.seconds == 5...3600)
        for seconds in [RealTimeInterval.seconds.lowerBound, RealTimeInterval.seconds.upperBound] {
            #expect(Fixture.issues(text(seconds)).isEmpty, "\(seconds)")
        }
        for seconds in [1, 4, 3601] {
            #expect(
                Fixture.issues(text(seconds)) == [
                    "levee.toml: uplink.realtime_interval_s \(seconds) is outside 5...3600"
                ])
        }
    }
}
