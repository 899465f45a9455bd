import ArgumentParser
import ControlAPI
import Foundation

/// `leveectl park ...`: what an operator does on a park instance.
struct Park: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "On a park instance: confirm a catchment's plan after a plant escalated.",
        discussion: "The park's plants, pending confirmations and the commands sent to them are in `leveectl status`.",
        subcommands: [Confirm.self])

    /// `leveectl park confirm CATCHMENT --reason`: trips the catchment's park plan, which also sends a shutoff to
    /// its plants unless the catchment has `trip_plants = false`.
    struct Confirm: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Trip a catchment's park plan, confirming a plant's escalation.",
            discussion: """
                A catchment with on_escalation = "confirm" waits for this after one of its plants escalates; \
                `leveectl status` lists the pending confirmations with the command to run. Without a pending \
                escalation the catchment's plan is tripped all the same. The plan latches until `leveectl reset`.
                """)
        @OptionGroup var location: DaemonLocation
        @Argument(help: "The catchment, a [[park.catchments]] id.") var catchment: String
        @Option(name: .long, help: "Why (required; journaled with your Unix account).") var reason: String

        func run() throws {
            try perform(.parkConfirm(catchment: catchment, reason: reason), at: location)
        }
    }
}
