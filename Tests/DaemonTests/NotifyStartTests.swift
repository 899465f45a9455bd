import Foundation
import LeveeTestSupport
import Testing

/// levee-notify on a file it cannot use: it says why once and exits with a status its unit does not retry; with
/// `[notify]` off it exits 0 at once.
struct NotifyStartTests {
    func run(_ config: String) throws -> ModbusMasters.Result {
        let dir = try #require(DaemonHarness.binaries, "levee-notify is not built next to the tests")
        let folder = NSTemporaryDirectory() + "levee-notify-start-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try config.replacingOccurrences(of: "@DIR@", with: folder).write(
            toFile: folder + "/levee.toml", atomically: true, encoding: .utf8)
        return try ModbusMasters.run(
            dir.appendingPathComponent("levee-notify").path, ["--config", folder + "/levee.toml"], timeout: 20)
    }

    static let robot = """
        [notify]
        enabled = true
        outbox = "@DIR@/notify.sqlite"

        [[notify.channels]]
        id = "ding"
        type = "dingtalk"
        url_file = "@DIR@/no-such-file"

        [[notify.rules]]
        id = "all"

        [[notify.oncall]]
        name = "王工"
        rung = 1
        channels = ["ding"]

        """

    @Test func aDisabledNotifierHasNothingToSend() async throws {
        let result = try await OffPool.run { try run(WebStartTests.plant) }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("[notify] is not enabled"), "\(result.stderr)")
    }

    @Test func anInvalidFileIsAConfigurationErrorTheUnitDoesNotRetry() async throws {
        let result = try await OffPool.run { try run(WebStartTests.plant + "[notify]\nenabled = true\n") }
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("needs at least one [[notify.channels]]"), "\(result.stderr)")
        let unitFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("systemd/levee-notify.service")
        let unit = try String(contentsOf: unitFile, encoding: .utf8)
        #expect(unit.contains("RestartPreventExitStatus=78") && unit.contains("Restart=on-failure"))
    }

    @Test func anUnreadableSecretFileIsAConfigurationError() async throws {
        let result = try await OffPool.run { try run(WebStartTests.plant + Self.robot) }
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains(#"notify.channels "ding": url_file"#), "\(result.stderr)")
        #expect(result.stderr.contains("cannot be read"), "\(result.stderr)")
    }
}
