import ArgumentParser
import Config
import ControlAPI
import Defence
import Foundation
import LeveeVersion
import Messages

/// `leveectl`: the operator's command line. Human output by default, `--json` for scripts.
///
/// Exit codes (`Leveectl.exitCodes`, printed in the help): 0 done; 1 a usage or configuration mistake, argument
/// errors included; 3 the daemon could not be reached; 4 the request was refused (by the daemon, or by the HTTP API
/// for the token's role) or the data could not be read.
@main
struct Leveectl: ParsableCommand {
    static let exitCodes = """
        Exit codes: 0 done; 1 a usage or configuration mistake (a missing or invalid argument included); 3 the \
        daemon could not be reached; 4 the request was refused (by the daemon, or by the HTTP API for the token's \
        role) or the data could not be read.
        """

    static let configuration = CommandConfiguration(
        commandName: "leveectl",
        abstract: "The operator's command line for a running leveed.",
        discussion: """
            Watch the plant (status, watch, alarms), act on it (shutoff, reset, restore, valve, bypass, escalate, \
            ack, shelve, silence), run verification drills (drill), confirm a park's plan (park), export recorded \
            history (history export), check a configuration (check-config), inspect the DCS link (dcs) and the \
            alarm notifications (notify). It \
            reaches leveed on its control socket, or on the HTTP API with --url and a token.

            \(exitCodes)
            """,
        version: LeveeVersion.current,
        subcommands: [
            Status.self, Watch.self, Shutoff.self, Reset.self, Restore.self, Bypass.self, Unbypass.self, Escalate.self,
            Drill.self, Park.self, Alarms.self, Ack.self, Shelve.self, Unshelve.self, Silence.self, Valve.self,
            History.self, CheckConfigCommand.self, DCS.self, NotifyCommand.self,
        ])

    /// As `ParsableCommand.main()`, except that an argument the parser rejects (missing, unknown or invalid) exits
    /// 1, as documented, rather than the parser's 64 (EX_USAGE).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            printError(fullMessage(for: error))
            Glibc.exit(1)
        }
    }
}

/// Where to find the daemon: the HTTP API when `--url` or `LEVEE_URL` is given (with a token from `--token-file`
/// or `LEVEE_TOKEN`, never from the command line, where `ps` would show it); otherwise the control socket:
/// `--socket`, else the one named in `--config`, else `LEVEE_SOCKET`, else the packaged default.
struct DaemonLocation: ParsableArguments {
    @Option(name: .long, help: "The daemon's configuration file; its [daemon] control_socket is used.")
    var config: String?

    @Option(name: .long, help: "The daemon's control socket (default /run/levee/leveed.sock).")
    var socket: String?

    @Option(name: .long, help: "The daemon's HTTP API, e.g. http://127.0.0.1:8080 (or LEVEE_URL).")
    var url: String?

    @Option(name: .long, help: "A file holding the API token (or LEVEE_TOKEN).")
    var tokenFile: String?

    @Option(
        name: .long,
        help: "The language of the daemon's texts: zh-CN or en (default: from LC_ALL/LC_MESSAGES/LANG, else en).")
    var lang: String?

    mutating func validate() throws {
        guard let lang else { return }
        guard let language = Language(rawValue: lang) ?? Language(tag: lang) else {
            throw ValidationError("--lang \(lang): use zh-CN or en")
        }
        OutputLanguage.set(language)
    }

    /// The API's URL and token when the HTTP API is to be used.
    func api() throws -> (URL, String)? {
        let env = ProcessInfo.processInfo.environment
        guard let text = url ?? env["LEVEE_URL"], !text.isEmpty else { return nil }
        guard let base = URL(string: text), base.scheme == "http" || base.scheme == "https" else {
            printError("leveectl: --url \(text) is not an http(s) URL")
            throw ExitCode(1)
        }
        var token = env["LEVEE_TOKEN"]
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile) else {
                printError("leveectl: cannot read the token file \(tokenFile)")
                throw ExitCode(1)
            }
            token = String(decoding: data, as: UTF8.self)
        }
        guard let token = token?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else {
            printError("leveectl: the HTTP API needs a token: --token-file FILE or LEVEE_TOKEN")
            throw ExitCode(1)
        }
        return (base, token)
    }

    /// Sends one command over the HTTP API or the control socket.
    func send(_ command: ControlCommand, timeout: Double = 35) throws -> ControlResult {
        if let (base, token) = try api() {
            return try ControlHTTPClient.send(command, base: base, token: token, timeout: timeout)
        }
        return try ControlClient.send(command, socket: try socketPath(), timeout: timeout)
    }

    func socketPath() throws -> String {
        if let socket { return socket }
        if let config {
            do {
                return try ConfigLoader.load(path: config).daemon.controlSocket
            } catch {
                for line in error.lines { printError(line) }
                throw ExitCode(1)
            }
        }
        return ProcessInfo.processInfo.environment["LEVEE_SOCKET"] ?? DaemonSettings().controlSocket
    }
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Check a configuration file and print every mistake in it.")

    @Argument(help: "The configuration file.")
    var file: String

    func run() throws {
        let config: LeveeConfig
        do {
            config = try ConfigLoader.load(path: file)
        } catch {
            for line in error.lines { printError(line) }
            throw ExitCode(1)
        }
        let unready = PlanReadiness.problems(config, file: file)
        guard unready.isEmpty else {
            for line in unready { printError(line) }
            throw ExitCode(1)
        }
        print(
            "\((file as NSString).lastPathComponent): OK — \(config.buses.count) buses, \(config.devices.count) devices, "
                + "\(config.alarms.count) alarms")
    }
}
