import ArgumentParser
import Config
import Defence
import Foundation

/// `leveed check-config FILE`: validates a configuration file without touching any device.
///
/// Meant for the person editing a file in the field and for deployment scripts, so the exit code says which kind
/// of failure it was: 0 valid, 1 mistakes in the file (each printed on its own line), 2 the file cannot be read.
struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check a configuration file and print every mistake in it.",
        discussion: """
            Prints one line per mistake to standard error, as <file>: <key path>: <rule broken>, and exits 1. \
            Exits 2 when the file cannot be read, and 0 with a one-line summary when the file is valid.
            """
    )

    @Argument(help: "The configuration file, such as /etc/levee/levee.toml.")
    var file: String

    func run() throws {
        let text: String
        do {
            text = try ConfigLoader.read(path: file)
        } catch {
            printToStandardError("leveed: \(error)")
            throw ExitCode(2)
        }
        var config: LeveeConfig
        do {
            config = try ConfigLoader.parse(text, file: file)
            ConfigLoader.resolvePaths(&config, file: file)
        } catch {
            for line in error.lines { printToStandardError(line) }
            throw ExitCode(1)
        }
        let unready = PlanReadiness.problems(config, file: file)
        guard unready.isEmpty else {
            for line in unready { printToStandardError(line) }
            throw ExitCode(1)
        }
        do {
            _ = try LinkSecrets.load(config)
        } catch {
            let name = file.split(separator: "/").last.map(String.init) ?? file
            for line in error.lines { printToStandardError("\(name): \(line)") }
            throw ExitCode(1)
        }
        print(Self.summary(of: config, file: file))
    }

    /// `levee.toml: OK — 3 buses, 17 devices, 52 points`.
    static func summary(of config: LeveeConfig, file: String) -> String {
        let name = file.split(separator: "/").last.map(String.init) ?? file
        if config.devices.isEmpty {
            return "\(name): OK — no buses and no devices: this file polls nothing until [buses] and [[devices]] "
                + "are added"
        }
        let points = config.devices.reduce(0) { $0 + $1.points.count }
        return "\(name): OK — \(counted(config.buses.count, "bus", "buses")), "
            + "\(counted(config.devices.count, "device", "devices")), \(counted(points, "point", "points"))"
    }

    private static func counted(_ n: Int, _ one: String, _ many: String) -> String {
        "\(n) \(n == 1 ? one : many)"
    }
}

/// Writes one line to standard error, where diagnostics belong so that standard output stays parseable.
func printToStandardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
