import Foundation
import LeveeTestSupport
import Testing

/// levee-web on a file it cannot serve: it says why once and exits with a status its unit does not retry, instead
/// of a restart every two seconds until systemd gives up (issue 16).
struct WebStartTests {
    static let plant = """
        [site]
        id = "web-start"
        name = "测试化工厂"
        time_zone = "Asia/Shanghai"

        [historian]
        path = "levee.db"

        [daemon]
        control_socket = "leveed.sock"

        """

    func run(_ config: String) throws -> ModbusMasters.Result {
        let dir = try #require(DaemonHarness.binaries, "levee-web is not built next to the tests")
        let folder = NSTemporaryDirectory() + "levee-web-start-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try config.write(toFile: folder + "/levee.toml", atomically: true, encoding: .utf8)
        return try ModbusMasters.run(
            dir.appendingPathComponent("levee-web").path, ["--config", folder + "/levee.toml"], timeout: 20)
    }

    @Test func noUsersIsAConfigurationErrorTheUnitDoesNotRetry() async throws {
        let result = try await OffPool.run { try run(Self.plant + "[http]\nlisten = \"127.0.0.1:1\"\n") }
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("[[users]] gives no account"), "\(result.stderr)")
        let unitFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("systemd/levee-web.service")
        let unit = try String(contentsOf: unitFile, encoding: .utf8)
        #expect(unit.contains("RestartPreventExitStatus=78"))
    }

    @Test func anInvalidFileIsAConfigurationError() async throws {
        let result = try await OffPool.run { try run(Self.plant + "[http]\nlisten = \"nowhere\"\n") }
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("listen"), "\(result.stderr)")
    }

    @Test func aDisabledAPIIsNothingToServe() async throws {
        let result = try await OffPool.run { try run(Self.plant + "[http]\nenabled = false\n") }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("[http] is not enabled"), "\(result.stderr)")
    }
}
