import Foundation
import Testing

@testable import Config

struct DaemonSectionsTests {
    @Test func historianAndDaemonDefaultsApplyWhenTheSectionsAreAbsent() throws {
        let config = try ConfigLoader.parse(Fixture.config(Fixture.valve), file: "levee.toml")
        #expect(config.historian == HistorianSettings())
        #expect(config.historian.path == "/var/lib/levee/levee.db")
        #expect(config.historian.retentionDays.readings == 90)
        #expect(config.daemon.controlSocket == "/run/levee/leveed.sock")
    }

    @Test func historianAndDaemonKeysAreRead() throws {
        let text =
            Fixture.config(Fixture.valve) + """
                [historian]
                path = "/data/levee.db"
                heartbeat_s = 30
                buffer_limit = 5000
                retention_days = { readings = 30, events = 400, commands = 500 }

                [daemon]
                control_socket = "/run/x/leveed.sock"
                """
        let config = try ConfigLoader.parse(text, file: "levee.toml")
        #expect(config.historian.path == "/data/levee.db")
        #expect(config.historian.heartbeatSeconds == 30)
        #expect(config.historian.bufferLimit == 5000)
        #expect(config.historian.retentionDays == .init(readings: 30, events: 400, commands: 500))
        #expect(config.daemon.controlSocket == "/run/x/leveed.sock")
    }

    @Test func mistakesInTheSectionsNameTheirKeys() {
        let text =
            Fixture.config(Fixture.valve) + """
                [historian]
                heartbeat_s = 0
                retention_days = { readings = 0, event = 3 }

                [daemon]
                control_sockett = "x"
                """
        #expect(
            Fixture.issues(text) == [
                "levee.toml: historian.heartbeat_s 0 must be > 0 and <= 86400",
                #"levee.toml: historian.retention_days: unknown key "event" (did you mean "events"?)"#,
                "levee.toml: historian.retention_days.readings 0 is outside 1...36500",
                #"levee.toml: daemon: unknown key "control_sockett" (did you mean "control_socket"?)"#,
            ])
    }

    @Test func relativePathsAreTakenFromTheConfigFilesFolder() throws {
        let dir = NSTemporaryDirectory() + "levee-config-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text =
            Fixture.config(Fixture.valve)
            + "[historian]\npath = \"data/levee.db\"\n[daemon]\ncontrol_socket = \"leveed.sock\"\n"
        try text.write(toFile: dir + "/levee.toml", atomically: true, encoding: .utf8)
        let config = try ConfigLoader.load(path: dir + "/levee.toml")
        #expect(config.historian.path == dir + "/data/levee.db")
        #expect(config.daemon.controlSocket == dir + "/leveed.sock")
    }
}
