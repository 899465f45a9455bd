import ArgumentParser
import Config
import Foundation
import Notify

/// `leveectl notify`: the duty view and a test message, from levee-notify's outbox.
///
/// Both work on the outbox file rather than on a socket of levee-notify's own: `status` reads it read-only (SQLite
/// in WAL mode lets it read beside the writer), so it answers even when levee-notify is stopped and shows what is
/// still waiting to go; `test` adds one row to it, which levee-notify sends on its next tick through exactly the
/// path an alarm takes (the outbox, the retries, the channel), so a test that arrives proves that path.
struct NotifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify", abstract: "Alarm notifications: who is on call, what waits, and a test message.",
        subcommands: [NotifyStatus.self, NotifyTest.self])

    static func load(_ path: String) throws -> LeveeConfig {
        do {
            return try ConfigLoader.load(path: path)
        } catch {
            for line in error.lines { printError(line) }
            throw ExitCode(1)
        }
    }
}

/// `leveectl notify status`: on call now, unacknowledged incidents and how long each has waited, who acknowledged
/// what and through which channel, and the outbox.
struct NotifyStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Who is on call now, unacknowledged notifications and their wait, acknowledgements, the outbox.")

    @Option(name: .long, help: "The configuration file.")
    var config: String = "/etc/levee/levee.toml"

    @Option(name: .long, help: "How many of the newest messages to list (1...1000).")
    var messages: Int = 10

    func run() throws {
        let settings = try NotifyCommand.load(config)
        guard (1...1000).contains(messages) else {
            printError("leveectl: --messages \(messages) is outside 1...1000")
            throw ExitCode(1)
        }
        let zone = TimeZone(identifier: settings.site.timeZone) ?? TimeZone(identifier: "UTC")!
        let now = Date()
        if !settings.notify.enabled { print("[notify] is not enabled: levee-notify sends nothing") }
        print("值班 On call now:")
        let onDuty = Roster(people: settings.notify.oncall, zone: zone).onDuty(at: now)
        if onDuty.isEmpty { print("  nobody") }
        for p in onDuty { print("  rung \(p.rung)  \(p.name)  \(p.channels.joined(separator: ", "))") }
        let outbox: Outbox
        let snapshot: (Dispatcher.State?, [OutboxEntry.State: Int], [OutboxEntry])
        do {
            outbox = try Outbox(readOnlyPath: settings.notify.outboxPath)
            snapshot = try outbox.snapshot(limit: messages)
        } catch {
            printError("leveectl: \(error)")
            throw ExitCode(4)
        }
        let (state, counts, recent) = snapshot
        let incidents = state?.incidents ?? []
        print("未确认 Unacknowledged:")
        let waiting = incidents.filter(\.isWaiting)
        if waiting.isEmpty { print("  none") }
        for i in waiting {
            let waited = Int(now.timeIntervalSince(i.openedAt))
            print("  #\(i.number)  waited \(waited / 60) min \(waited % 60) s  rung \(i.rung)  \(i.event.title)")
        }
        print("已确认 Acknowledged:")
        let acked = incidents.filter { $0.acknowledgedBy != nil }
        if acked.isEmpty { print("  none") }
        for i in acked {
            let after = i.acknowledgedAt.map { " after \(Int($0.timeIntervalSince(i.openedAt))) s" } ?? ""
            print(
                "  #\(i.number)  \(i.acknowledgedBy ?? "")  via \(i.acknowledgedVia ?? "?")\(after)  \(i.event.title)")
        }
        print(
            "Outbox: \(counts[.pending] ?? 0) pending, \(counts[.sent] ?? 0) sent, \(counts[.failed] ?? 0) given up"
                + " (\(settings.notify.outboxPath))")
        for e in recent {
            let number = e.message.incident.map { "#\($0)" } ?? "-"
            let answer = e.answer.map { "  \($0.prefix(80))" } ?? ""
            print(
                "  \(e.id)  \(e.state.rawValue)  \(e.message.kind.rawValue) \(number)  \(e.message.person)"
                    + " via \(e.message.channel)  tries \(e.attempts)\(answer)")
        }
    }
}

/// `leveectl notify test <channel>`: a test message to the people on call now who use the channel (or to one
/// named person), sent by the running levee-notify.
struct NotifyTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Queue a test message on a channel; levee-notify sends it on its next tick.",
        discussion: """
            The message goes to the people on call now whose channels include it, or to --person. Watch it with \
            'leveectl notify status'. Needs write access to the outbox (root or the levee account).
            """)

    @Argument(help: "The channel's id, as in [[notify.channels]].")
    var channel: String

    @Option(name: .long, help: "Send to this person from [[notify.oncall]] instead of to those on call now.")
    var person: String?

    @Option(name: .long, help: "The configuration file.")
    var config: String = "/etc/levee/levee.toml"

    func run() throws {
        let settings = try NotifyCommand.load(config)
        let n = settings.notify
        guard let kind = n.channels.first(where: { $0.id == channel })?.kind else {
            printError(
                "leveectl: no channel \"\(channel)\" in [[notify.channels]] (there are: "
                    + n.channels.map(\.id).joined(separator: ", ") + ")")
            throw ExitCode(1)
        }
        let zone = TimeZone(identifier: settings.site.timeZone) ?? TimeZone(identifier: "UTC")!
        let people: [OnCallEntry]
        if let person {
            people = n.oncall.filter { $0.name == person }
            guard !people.isEmpty else {
                printError("leveectl: no person \"\(person)\" in [[notify.oncall]]")
                throw ExitCode(1)
            }
        } else {
            people = Roster(people: n.oncall, zone: zone).onDuty(at: Date()).filter { $0.channels.contains(channel) }
            guard !people.isEmpty else {
                printError("leveectl: nobody on call now uses \(channel); name one with --person")
                throw ExitCode(1)
            }
        }
        let text = MessageText(siteName: settings.site.name, zone: zone, dashboardURL: n.dashboardURL)
        do {
            let outbox = try Outbox(path: n.outboxPath)
            for p in people {
                let (title, body) = text.test(channel: channel, language: p.language)
                let address = kind == .email ? p.email : p.phone
                let id = try outbox.recordNow(
                    OutgoingMessage(
                        kind: .test, incident: nil, person: p.name, channel: channel, address: address, title: title,
                        text: body), now: Date())
                print("queued \(id): test to \(p.name) via \(channel)")
            }
        } catch {
            printError("leveectl: \(error)")
            throw ExitCode(4)
        }
        if !n.enabled { print("note: [notify] is not enabled, so no levee-notify is running to send it") }
    }
}
