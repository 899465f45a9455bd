import ArgumentParser
import Foundation
import Glibc
import LeveeVersion
import PlantSim

@main
struct LeveeSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "levee-sim",
        abstract: "The simulated plant: Modbus TCP and RTU field devices and a GPIO chip, for tests, demos and drills.",
        version: LeveeVersion.current,
        subcommands: [Run.self, Ctl.self]
    )
}

extension LeveeSim {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve a scenario until SIGINT or SIGTERM.")

        @Argument(help: "The scenario TOML file (see simulators/README.md).")
        var scenario: String

        @Option(help: "Added to every TCP port of the scenario, to run several plants side by side.")
        var portOffset: Int = 0

        @Option(help: "Control socket path (default: the scenario's control_socket).")
        var controlSocket: String?

        func run() throws {
            // Block the stop signals before any thread exists, so every thread inherits the mask and the main
            // thread takes them with sigwait.
            var signals = sigset_t()
            sigemptyset(&signals)
            sigaddset(&signals, SIGINT)
            sigaddset(&signals, SIGTERM)
            pthread_sigmask(SIG_BLOCK, &signals, nil)
            signal(SIGPIPE, SIG_IGN)

            var scenario: Scenario
            do {
                scenario = try Scenario.load(path: self.scenario)
            } catch {
                throw ValidationError("\(error)")
            }
            scenario.offsetPorts(by: portOffset)
            if let controlSocket { scenario.controlSocketPath = controlSocket }

            let plant = try Plant(scenario: scenario)
            try plant.start()
            let control = ControlServer(plant: plant, path: scenario.controlSocketPath)
            do {
                try control.start()
            } catch {
                plant.stop()
                throw error
            }

            var banner = ["levee-sim: plant \"\(scenario.name)\" running"]
            for server in scenario.servers {
                switch server.transport {
                case .tcp(let tcp):
                    let port = plant.tcpPort(server: server.name) ?? tcp.port
                    banner.append(
                        "  modbus tcp  \(server.name): \(tcp.host):\(port)" + (tcp.gateway ? " (gateway)" : ""))
                case .rtu(let rtu):
                    let device = plant.rtuDevicePath(server: server.name) ?? "?"
                    banner.append("  modbus rtu  \(server.name): \(rtu.link) -> \(device) \(rtu.baud) baud")
                }
            }
            if let gpio = plant.gpioSocketPath { banner.append("  gpio chip:  \(gpio)") }
            banner.append("  control:    \(control.path)")
            say(banner)

            var received: Int32 = 0
            sigwait(&signals, &received)
            say(["levee-sim: signal \(received), stopping"])
            control.stop()
            plant.stop()
        }
    }

    struct Ctl: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Control a running simulator.",
            discussion: """
                Examples:
                  levee-sim ctl fault gas-b1 dead duration_s=10
                  levee-sim ctl fault rain-outlet-1 halfway percent=40
                  levee-sim ctl clear gas-b1
                  levee-sim ctl press 0
                  levee-sim ctl status
                """)

        @Option(help: "The simulator's control socket.")
        var socket: String = Scenario.defaultControlSocketPath

        @Argument(
            parsing: .captureForPassthrough,
            help: ArgumentHelp(
                "The command and its arguments.",
                discussion: """
                    fault DEVICE KIND [key=value...] | clear DEVICE [KIND] | press LINE | release LINE |
                    level LINE 0|1|model | set DEVICE SIGNAL VALUE | status
                    """)
        )
        var command: [String] = []

        func validate() throws {
            guard let verb = command.first else { throw ValidationError("missing command") }
            // Passthrough parsing captures a leading --help too.
            if verb == "--help" || verb == "-h" { throw CleanExit.helpRequest(self) }
            let known = ["fault", "clear", "press", "release", "level", "set", "status"]
            guard known.contains(verb.lowercased()) else {
                throw ValidationError("unknown command \"\(verb)\"; expected one of \(known.joined(separator: ", "))")
            }
        }

        func run() throws {
            var words = command
            words[0] = words[0].uppercased()
            do {
                for line in try ControlClient.send(words.joined(separator: " "), socketPath: socket) {
                    print(line)
                }
            } catch {
                FileHandle.standardError.write(Data("levee-sim ctl: \(error)\n".utf8))
                throw ExitCode.failure
            }
        }
    }
}

/// Writes lines to standard output unbuffered, so a supervisor or test sees them at once.
private func say(_ lines: [String]) {
    FileHandle.standardOutput.write(Data(lines.map { $0 + "\n" }.joined().utf8))
}
