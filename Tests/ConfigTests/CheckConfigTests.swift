import Foundation
import Testing

/// `leveed check-config` exit codes, run against the built binary next to the test bundle (it is there after
/// `swift build --build-tests`, as the test command builds; without it these tests fail rather than skip).
struct CheckConfigTests {
    static let binary: URL? = {
        guard let dir = Bundle.main.executableURL?.deletingLastPathComponent() else { return nil }
        let candidates = [dir, dir.deletingLastPathComponent()].map { $0.appendingPathComponent("leveed") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    struct Run {
        var status: Int32
        var out: String
        var err: String
    }

    static func run(_ arguments: String...) throws -> Run {
        let process = Process()
        process.executableURL = try #require(binary, "leveed is not built next to the tests: swift build --build-tests")
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, out: String(decoding: outData, as: UTF8.self),
            err: String(decoding: errData, as: UTF8.self)
        )
    }

    @Test func validFileExitsZeroWithSummary() throws {
        let result = try Self.run("check-config", ConfigLoaderTests.exampleURL.path)
        #expect(result.status == 0)
        #expect(result.out == "levee.example.toml: OK — 3 buses, 15 devices, 42 points\n")
        #expect(result.err == "")
    }

    /// The package's /etc/levee/levee.toml: valid, and says it polls nothing.
    @Test func thePackagesUnconfiguredFileIsValidAndPollsNothing() throws {
        let file = ConfigLoaderTests.exampleURL.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("packaging/levee.toml")
        let result = try Self.run("check-config", file.path)
        #expect(result.status == 0, "\(result.err)")
        #expect(
            result.out
                == "levee.toml: OK — no buses and no devices: this file polls nothing until [buses] and [[devices]] "
                + "are added\n")
    }

    @Test func invalidFileExitsOneWithEveryIssue() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("levee-\(UUID()).toml")
        let text = Fixture.config(Fixture.with(Fixture.valve, ["unit": "0", "poll_ms": "1"]))
        try text.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let result = try Self.run("check-config", url.path)
        #expect(result.status == 1)
        #expect(result.out == "")
        let name = url.lastPathComponent
        #expect(
            result.err.split(separator: "\n") == [
                "\(name): " + #"devices[0] "v1": unit 0 is the broadcast address, which gets no reply; use 1...247"#,
                "\(name): " + #"devices[0] "v1": poll_ms 1 is outside 10...3600000"#,
            ]
        )
    }

    @Test func unreadableFileExitsTwo() throws {
        let result = try Self.run("check-config", "/nonexistent/levee.toml")
        #expect(result.status == 2)
        #expect(result.err == "leveed: cannot read /nonexistent/levee.toml: No such file or directory\n")
    }
}
