import ControlAPI
import Foundation
import Historian
import Logging
import Synchronization
import SystemCalls
import WebAPI

/// The site status as leveed publishes it, followed over one `watch` connection on the control socket for the
/// whole of levee-web: every live stream and page reads the latest from here, so the daemon builds each status
/// once however many dashboards are open, and levee-web sends it no request for it. The same watch carries the
/// journal as leveed records it, handed to the `JournalHub` that every live stream follows: no stream polls the
/// database, and a watch that drops and comes back makes each stream catch up once for what it missed.
///
/// The watch runs on a thread of its own (the socket client blocks) and reconnects every second while leveed is
/// away; the status is not handed out once it is older than `maxAge`, so a dashboard never shows a frozen plant
/// as current.
final class StatusFeed: Sendable {
    let socket: String
    let logger: Logger
    let journal = JournalHub()
    private let latest = Mutex<(status: SiteStatus, at: ContinuousClock.Instant)?>(nil)
    private let stopping = Atomic<Bool>(false)
    /// leveed publishes once a second: three missed are a watch gone quiet.
    static let maxAge: Duration = .seconds(3)

    init(socket: String, logger: Logger) {
        self.socket = socket
        self.logger = logger
    }

    /// The status leveed published last, if it came within `maxAge`.
    var current: SiteStatus? {
        latest.withLock { entry in
            guard let entry, ContinuousClock.now - entry.at < Self.maxAge else { return nil }
            return entry.status
        }
    }

    func start() {
        _ = WorkerThread(name: "levee-web-watch") { [self] in follow() }
    }

    func stop() { stopping.store(true, ordering: .relaxed) }

    private func follow() {
        var reported = false
        while !stopping.load(ordering: .relaxed) {
            do throws(ControlError) {
                defer { journal.lost() }
                var subscribed = false
                try ControlClient.watch(socket: socket, timeout: 5, journal: true) { update in
                    switch update {
                    case .status(let status):
                        latest.withLock { $0 = (status, .now) }
                    case .journal(let entries):
                        // The first batch (empty) says leveed's subscription is in place.
                        if !subscribed {
                            subscribed = true
                            journal.connected()
                        }
                        journal.publish(entries.map(Self.event))
                    }
                    if reported {
                        logger.notice("status watch on leveed's control socket resumed")
                        reported = false
                    }
                    return !stopping.load(ordering: .relaxed)
                }
            } catch {
                if !reported {
                    logger.warning(
                        "status watch on leveed's control socket lost; retrying", metadata: ["error": "\(error)"])
                    reported = true
                }
                Thread.sleep(forTimeInterval: 1)
            }
        }
    }

    /// A journal entry as the historian's database gives it back (`JournalEntry` reads its time to the
    /// millisecond as the database does), so that a live `journal` event is the same to the byte as one read to
    /// catch up.
    static func event(_ entry: JournalEntry) -> StoredEvent {
        StoredEvent(
            kind: entry.kind, source: entry.source, message: entry.message, at: entry.at, details: entry.details,
            drill: entry.drill, id: entry.id, text: entry.text)
    }
}
