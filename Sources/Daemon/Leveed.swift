import ArgumentParser
import LeveeVersion

/// The Levee daemon's command line: one subcommand per job.
@main
struct Leveed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leveed",
        abstract: "The Levee daemon.",
        version: LeveeVersion.current,
        subcommands: [Run.self, CheckConfig.self]
    )
}
