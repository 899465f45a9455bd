import ArgumentParser
import Config
import DCSLink
import Foundation

/// `leveectl dcs`: the Modbus TCP link to the plant's DCS.
struct DCS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dcs", abstract: "The Modbus TCP link to the plant's DCS.", subcommands: [Map.self])

    /// `leveectl dcs map`: the register map, made from the configuration file and the lock file alone, without the
    /// daemon.
    struct Map: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "map",
            abstract: "Print the DCS register map (address, table, type, word order, scale, unit, meaning, source).",
            discussion: """
                The map is made from the configuration file and the [dcs] lock file, as leveed makes it; the daemon \
                need not run. A device, alarm or plan the lock file does not hold yet is shown where leveed will put \
                it at its next start, with a note.
                """)

        @Option(name: .long, help: "The configuration file.")
        var config: String = "/etc/levee/levee.toml"

        @Option(name: .long, help: "csv, md or json.")
        var format: String = "csv"

        func run() throws {
            guard let format = DCSMapDocument.Format(rawValue: format) else {
                printError("leveectl: --format must be csv, md or json")
                throw ExitCode(1)
            }
            let settings: LeveeConfig
            do {
                settings = try ConfigLoader.load(path: config)
            } catch {
                for line in error.lines { printError(line) }
                throw ExitCode(1)
            }
            let path = settings.dcs.lockFilePath(historianPath: settings.historian.path)
            let lock: DCSAddressBook?
            do {
                lock = try DCSLockFile.read(path)
            } catch {
                printError("leveectl: \(error)")
                throw ExitCode(4)
            }
            let assignment = DCSAddressBook.assign(settings, lock: lock)
            var notes = assignment.notes
            if lock == nil {
                notes.append("no lock file at \(path) yet: leveed writes it at its first start with [dcs] enabled")
            } else if assignment.book != lock {
                notes.append("\(path) does not hold every entry yet: leveed adds them at its next start")
            }
            if !settings.dcs.enabled { notes.append("[dcs] is not enabled: leveed serves no Modbus port") }
            for note in notes where format == .csv { printError("note: \(note)") }
            print(
                DCSMapDocument.render(DCSMap(config: settings, book: assignment.book), format: format, notes: notes),
                terminator: "")
        }
    }
}
