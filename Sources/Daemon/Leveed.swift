import ArgumentParser

/// The Levee daemon's command line: one subcommand per job.
@main
struct Leveed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leveed",
        abstract: "The Levee daemon.",
        subcommands: [Run.self, CheckConfig.self]
    )
}
