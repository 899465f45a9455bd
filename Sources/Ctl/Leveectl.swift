import ArgumentParser
import Config
import ControlAPI
import Defence
import Foundation

/// `leveectl`: the operator's command line. Human output by default, `--json` for scripts.
///
/// Exit codes: 0 done; 1 a usage or configuration mistake; 3 the daemon could not be reached; 4 the request was
/// refused or the data could not be read.
@main
struct Leveectl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leveectl",
        abstract: "Talk to a running leveed: status, history export, configuration checks.",
        subcommands: [
            Status.self, Shutoff.self, Reset.self, Restore.self, Bypass.self, Unbypass.self, Escalate.self,
            Drill.self, Alarms.self, Ack.self, Shelve.self, Unshelve.self, Silence.self, Valve.self, History.self,
            CheckConfigCommand.self,
        ])
}

/// Where to find the daemon: `--socket`, else the control socket named in `--config`, else `LEVEE_SOCKET`, else
/// the packaged default.
struct DaemonLocation: ParsableArguments {
    @Option(name: .long, help: "The daemon's configuration file; its [daemon] control_socket is used.")
    var config: String?

    @Option(name: .long, help: "The daemon's control socket (default /run/levee/leveed.sock).")
    var socket: String?

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
