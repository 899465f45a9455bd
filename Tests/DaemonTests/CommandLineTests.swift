import Foundation
import LeveeTestSupport
import LeveeVersion
import Testing

/// The real executables' command lines: `--version` everywhere, and leveectl's documented exit codes (0 done, 1 a
/// usage or configuration mistake, 3 the daemon unreachable, 4 refused or unreadable). The HTTP 403 refusal's 4
/// is in HTTPDaemonTests, which has an API to refuse.
struct CommandLineTests {
    /// Runs one of the built executables to its end; its exit status and its output (stdout and stderr).
    static func run(_ binary: String, _ arguments: [String]) async throws -> (Int32, String) {
        let path = try #require(DaemonHarness.binaries).appendingPathComponent(binary).path
        let child = try ChildProcess(path, arguments, captureOutput: true)
        let ended = await TestWait.until(30) { child.exitStatus != nil && child.outputClosed }
        try #require(ended, "\(binary) \(arguments) did not end")
        return (child.exitStatus ?? -1, child.output.joined(separator: "\n"))
    }

    @Test(arguments: ["leveed", "leveectl", "levee-web", "levee-notify", "levee-sim"])
    func versionPrintsTheOneVersion(binary: String) async throws {
        let (code, text) = try await Self.run(binary, ["--version"])
        #expect(code == 0, "\(text)")
        #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == LeveeVersion.current)
    }

    @Test(arguments: [
        ["history", "export"],  // missing options
        ["status", "--bogus"],  // unknown option
        ["status", "--interval", "soon"],  // a value that is not a number
        ["bypass", "--reason", "test"],  // missing argument
        ["no-such-command"],
    ])
    func anArgumentMistakeExitsOneWithTheParsersMessage(arguments: [String]) async throws {
        let (code, text) = try await Self.run("leveectl", arguments + ["--socket", "/nonexistent/leveed.sock"])
        #expect(code == 1, "\(text)")
        #expect(text.contains("Error:"), "\(text)")
    }

    @Test func helpExitsZeroAndDescribesEveryCommandAndTheExitCodes() async throws {
        let (code, text) = try await Self.run("leveectl", ["--help"])
        #expect(code == 0)
        for command in [
            "status", "watch", "shutoff", "reset", "restore", "bypass", "unbypass", "escalate", "drill", "park",
            "alarms", "ack", "shelve", "unshelve", "silence", "valve", "history", "check-config", "dcs", "notify",
        ] {
            #expect(text.contains("\n  \(command) "), "no line for \(command) in:\n\(text)")
        }
        #expect(text.contains("Exit codes: 0 done; 1 a usage or configuration mistake"))
        // No option's default is stated twice: once in its help text and again by the parser.
        for sub in [["history", "export"], ["status"], ["shelve"], ["drill", "report"], ["bypass"], ["shutoff"]] {
            let (_, help) = try await Self.run("leveectl", sub + ["--help"])
            // Help text is wrapped: compare with every run of white space made one space.
            let flat = help.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(flat.range(of: #"default[^()]*\)\.? \(default: "#, options: .regularExpression) == nil, "\(help)")
        }
    }

    @Test func anUnreachableDaemonExitsThree() async throws {
        let (code, text) = try await Self.run("leveectl", ["status", "--socket", "/nonexistent/leveed.sock"])
        #expect(code == 3, "\(text)")
    }

    /// Without a database, a point the configuration does not name is a mistake (1), not "no database" (4).
    @Test func aMistypedPointIsNamedAndExitsOneEvenWithoutADatabase() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("levee-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("levee.toml").path
        try DaemonHarness.config(port: 1502, withH2S: false)
            .replacingOccurrences(of: "path = \"levee.db\"", with: "path = \"\(dir.path)/levee.db\"")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let (code, text) = try await Self.run(
            "leveectl", ["history", "export", "--config", config, "--point", "gas-a1.concentraton", "--from=-1h"])
        #expect(code == 1, "\(text)")
        #expect(text.contains("no point \"gas-a1.concentraton\""), "\(text)")
        #expect(text.contains("did you mean \"gas-a1.concentration\""), "\(text)")
        // The configured point, spelt right, gets past the name check to the missing database (4).
        let (right, rightText) = try await Self.run(
            "leveectl", ["history", "export", "--config", config, "--point", "gas-a1.concentration", "--from=-1h"])
        #expect(right == 4, "\(rightText)")
        #expect(rightText.contains("no database"), "\(rightText)")
    }
}
