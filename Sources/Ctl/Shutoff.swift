import ArgumentParser
import ControlAPI
import Foundation

/// `leveectl shutoff --reason [--plan]`: the one-key shutoff. Returns once the latch is durable; the steps'
/// progress follows in `leveectl status`.
struct Shutoff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Trip a shutoff plan (default: plant-wide, all three lines of defence). It latches until reset.")
    @OptionGroup var location: DaemonLocation
    @Option(name: .long, help: "Why (required; journaled with your Unix account).") var reason: String
    @Option(name: .long, help: "A partial plan: a [[plans]] id or a device group (default plant-wide).")
    var plan: String?

    func run() throws { try perform(.shutoff(plan: plan, reason: reason), at: location) }
}

/// `leveectl reset --reason [--override]`: clears the latch. It never reopens anything: use `restore`.
struct Reset: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reset the shutoff latch once every trip condition has cleared. Nothing is reopened.")
    @OptionGroup var location: DaemonLocation
    @Option(name: .long, help: "Why (required).") var reason: String
    @Flag(name: .long, help: "Reset although trip conditions are still active (root only; they are journaled).")
    var override = false

    func run() throws {
        try perform(.reset(reason: reason, override: override), at: location)
    }
}

/// `leveectl restore --reason [--dry-run] [--open OUTLET]`: after a reset, returns the plant to the line-up
/// recorded when the plan latched. `--dry-run` shows what would move first; nothing moves.
struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "After a reset, return every plan device to where it was before the trip, each move confirmed.",
        discussion: """
            A device already there is sent nothing; one whose state before the trip was unknown is left for a \
            decision; an outlet stays closed while it rains or a quality alarm or interlock on it is active, and \
            first flush takes it over. Run --dry-run first to see what will move.
            """)
    @OptionGroup var location: DaemonLocation
    @Option(name: .long, help: "Why (required, except with --dry-run).") var reason: String?
    @Flag(name: .long, help: "Show what restore would move, hold and leave; move nothing.") var dryRun = false
    @Option(name: .long, help: "Open this held outlet anyway (root only; journaled). Repeatable.")
    var open: [String] = []
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        guard dryRun || !(reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ValidationError("restore needs --reason (or --dry-run to look first)")
        }
        let reply = try perform(.restore(reason: reason ?? "", dryRun: dryRun, open: open), at: location, json: json)
        guard !json, case .restore(let plan, _) = reply else { return }
        print("\(dryRun ? "Restore would 恢复预览" : "Restore 恢复"): plan \(plan.plan)")
        for item in plan.items { print("  \(item.text)") }
    }
}

/// `leveectl bypass INTERLOCK --reason [--hours]`: maintenance bypass of an automatic trip (root only).
struct Bypass: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bypass an automatic trip for maintenance (root only; capped by [defence] max_bypass_h).",
        discussion: "A bypass never blocks the one-key shutoff, shows on every status, and is journaled.")
    @OptionGroup var location: DaemonLocation
    @Argument(help: "The interlock id.") var interlock: String
    @Option(name: .long, help: "Why (required).") var reason: String
    @Option(name: .long, help: "How long, hours (default and cap: [defence] max_bypass_h).") var hours: Double?

    func run() throws {
        _ = try perform(
            .bypass(interlock: interlock, reason: reason, seconds: hours.map { $0 * 3600 }),
            at: location)
    }
}

struct Unbypass: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "End a bypass now; an interlock whose condition is active trips at once.")
    @OptionGroup var location: DaemonLocation
    @Argument(help: "The interlock id.") var interlock: String

    func run() throws { try perform(.unbypass(interlock: interlock), at: location) }
}

struct Escalate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Escalate to the park (level 2): the accident is beyond what the plant can hold.")
    @OptionGroup var location: DaemonLocation
    @Option(name: .long, help: "Why (required).") var reason: String

    func run() throws { try perform(.escalate(reason: reason), at: location) }
}

/// `leveectl drill ...`: verification drills (验证演练).
struct Drill: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verification drills: a live drill, the tabletop readiness check, stored reports.",
        subcommands: [Start.self, Check.self, List.self, Report.self])

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a plan on the real equipment as a drill: every event marked DRILL.",
            discussion: """
                The plan runs through the same path as a real trip and latches. When every step has settled the \
                report is stored; then `leveectl reset` and `leveectl restore` return the plant to normal and \
                complete the report with the restore.
                """)
        @OptionGroup var location: DaemonLocation
        @Argument(help: "The plan: plant-wide, a [[plans]] id or a device group.") var plan: String
        @Flag(name: .long, help: "Command the real equipment (required: a drill moves valves).") var live = false
        @Option(name: .long, help: "Why (required).") var reason: String

        func run() throws {
            try perform(.drillStart(plan: plan, live: live, reason: reason), at: location)
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Tabletop readiness check: commands nothing; says whether every step could run now.",
            discussion: "Exit code 0 when every step is ready, 4 when any is not.")
        @OptionGroup var location: DaemonLocation
        @Argument(help: "The plan.") var plan: String = "plant-wide"
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() throws {
            guard case .drillCheck(let check) = try perform(.drillCheck(plan: plan), at: location, json: json) else {
                return
            }
            if !json {
                print("Readiness check 演练前检查: plan \(check.plan) — \(check.ready ? "READY" : "NOT READY")")
                for item in check.items {
                    let state = [item.mode, item.position].compactMap { $0 }.joined(separator: ", ")
                    print(
                        "  \(item.problems.isEmpty ? "ok " : "NO ") \(item.step)  [\(item.reachable ? state : "no answer")]"
                    )
                    for p in item.problems { print("       - \(p)") }
                    for n in item.notes { print("       note: \(n)") }
                }
            }
            if !check.ready { throw ExitCode(4) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List stored drill reports, newest first.")
        @OptionGroup var location: DaemonLocation
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() throws {
            guard case .drills(let drills) = try perform(.drills, at: location, json: json), !json else { return }
            for d in drills {
                // The site's own clock, as the people who ran the drill remember it.
                let zone = d.timeZone.flatMap(TimeZone.init(identifier:)) ?? .current
                func local(_ date: Date) -> String {
                    date.formatted(
                        Date.ISO8601FormatStyle(timeZone: zone).year().month().day().dateTimeSeparator(.space)
                            .time(includingFractionalSeconds: false).timeZone(separator: .omitted))
                }
                let done = d.finishedAt.map { "restored \(local($0))" } ?? "not restored yet"
                print("\(d.id)  \(d.plan)  by \(d.startedBy)  \(local(d.startedAt))  \(done)")
            }
        }
    }

    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export a drill report as one self-contained HTML or Markdown file.")
        @OptionGroup var location: DaemonLocation
        @Argument(help: "The drill id, or latest.") var id: String = "latest"
        @Option(name: .long, help: "html, md or json.") var format = "md"
        @Option(name: [.short, .long], help: "Write to this file instead of standard output.") var output: String?

        func run() throws {
            let reply = try perform(.drillReport(drill: id, format: format), at: location)
            guard case .report(let text) = reply else { return }
            if let output {
                do {
                    try text.write(toFile: output, atomically: true, encoding: .utf8)
                } catch {
                    printError("leveectl: cannot write \(output): \(error.localizedDescription)")
                    throw ExitCode(4)
                }
                print("drill report written to \(output)")
            } else {
                print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
            }
        }
    }
}
