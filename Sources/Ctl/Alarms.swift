import ArgumentParser
import ControlAPI
import Foundation
import Messages

/// Sends one command and turns the reply into output and an exit code: 0 done, 3 daemon unreachable (or speaking
/// another protocol version), 4 refused.
@discardableResult
func perform(_ command: ControlCommand, at location: DaemonLocation, json: Bool = false) throws -> ControlReply {
    let result: ControlResult
    do {
        result = try location.send(command)
    } catch let error as ControlError {
        printError("leveectl: \(error)")
        throw ExitCode(3)
    }
    switch result {
    case .failure(let refusal):
        printError("leveectl: \(said(refusal.text, refusal.message))")
        throw ExitCode(4)
    case .success(let reply):
        if json, let data = try? JSONEncoder.control.encode(ControlResponse(.success(reply))) {
            print(String(decoding: data, as: UTF8.self))
        } else if case .said(let text) = reply {
            print(said(text, reply.message ?? ""))
        } else if case .restore(_, let text?) = reply {
            print(said(text, reply.message ?? ""))
        } else if let message = reply.message {
            print(message)
        }
        return reply
    }
}

/// `leveectl alarms`: the alarm summary, most urgent first.
struct Alarms: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the alarms that are not normal.")
    @OptionGroup var location: DaemonLocation
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let reply = try perform(.alarms, at: location, json: json)
        guard !json else { return }
        guard case .alarms(let alarms) = reply else { return }
        if alarms.isEmpty {
            print("no alarms")
            return
        }
        print(StatusView.row(["PRIORITY", "STATE", "ALARM", "VALUE", "MESSAGE"], widths: [10, 26, 34, 12]))
        for a in alarms {
            let state = a.state + (a.firstOut ? " FIRST-OUT" : "")
            let value = a.value.map { StatusView.format($0) } ?? "—"
            print(
                StatusView.row(
                    [a.priority.uppercased(), state, a.id, value, said(a.text, a.message)], widths: [10, 26, 34, 12]))
        }
    }
}

struct Ack: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Acknowledge an alarm (journaled with your Unix account and the reason).")
    @OptionGroup var location: DaemonLocation
    @Argument(help: "The alarm id, as `leveectl alarms` lists it.") var alarm: String
    @Option(name: .long, help: "Why (required).") var reason: String

    func run() throws { try perform(.ack(alarm: alarm, reason: reason), at: location) }
}

struct Shelve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Shelve an alarm for a while, with a reason.")
    @OptionGroup var location: DaemonLocation
    @Argument(help: "The alarm id.") var alarm: String
    @Option(name: .customLong("for"), help: "How long: 30m, 2h (the site caps it).") var duration = "1h"
    @Option(name: .long, help: "Why (required).") var reason: String

    func run() throws {
        guard let unit = duration.last, let n = Double(duration.dropLast()),
            let scale = ["s": 1.0, "m": 60, "h": 3600][unit], n > 0
        else {
            printError("leveectl: --for \(duration) is not a duration such as 30m or 2h")
            throw ExitCode(1)
        }
        _ = try perform(
            .shelve(alarm: alarm, reason: reason, seconds: n * scale), at: location)
    }
}

struct Unshelve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Return a shelved alarm to the summary.")
    @OptionGroup var location: DaemonLocation
    @Argument(help: "The alarm id.") var alarm: String

    func run() throws { try perform(.unshelve(alarm: alarm, reason: nil), at: location) }
}

struct Silence: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Silence the sirens without acknowledging anything; a new alarm sounds again.")
    @OptionGroup var location: DaemonLocation

    func run() throws { try perform(.silence(reason: nil), at: location) }
}

/// `leveectl valve open|close ID --reason`: one valve, verified by its limit switch (see `status`).
struct Valve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Open or close one valve. Returns when the valve acknowledged the command; the limit switch's verdict follows in status and the journal."
    )
    @OptionGroup var location: DaemonLocation
    @Argument(help: "open or close.") var action: String
    @Argument(help: "The valve's device id.") var valve: String
    @Option(name: .long, help: "Why (required; journaled).") var reason: String

    func run() throws {
        guard action == "open" || action == "close" else {
            printError("leveectl: valve action must be open or close, not \(action)")
            throw ExitCode(1)
        }
        try perform(.command(device: valve, command: action, reason: reason), at: location)
    }
}
