import Devices
import Foundation
import Historian
import Logging
import ServiceLifecycle

/// Keeps systemd informed: READY=1 once every device has been polled once (answering or not), STATUS= with a
/// one-line summary whenever it changes, and WATCHDOG=1 only while every bus thread's scan loop is alive, so a
/// hung loop gets the process restarted rather than a healthy-looking timer thread keeping it "up".
struct NotifyService: Service {
    let field: FieldIO
    let historian: Historian
    let alarms: AlarmService?
    let notifier: SystemdNotifier
    let logger: Logger
    /// How often to look; the watchdog is fed on its own interval, checked at this granularity.
    var tick: Duration = .milliseconds(100)

    func run() async throws {
        let clock = ContinuousClock()
        var ready = false
        var lastStatus = ""
        var lastWatchdog = clock.now
        var lastStatusAt = clock.now - .seconds(60)
        var reportedStall = false
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let now = clock.now
            if !ready && field.everyDeviceTried {
                ready = true
                notifier.notify("READY=1")
                logger.notice("ready: every device polled once")
            }
            if now - lastStatusAt >= .seconds(2) {
                let status = StatusBuilder.status(field: field, historian: historian, alarms: alarms).summary
                if status != lastStatus {
                    notifier.notify("STATUS=\(status)")
                    lastStatus = status
                }
                lastStatusAt = now
            }
            if let interval = notifier.watchdogInterval, now - lastWatchdog >= interval {
                let (alive, stalled) = field.scanLoopsAlive(at: now)
                if alive {
                    notifier.notify("WATCHDOG=1")
                    lastWatchdog = now
                    reportedStall = false
                } else if !reportedStall {
                    logger.critical("scan loop stalled; withholding the watchdog", metadata: ["buses": "\(stalled)"])
                    reportedStall = true
                }
            }
            try? await Task.sleep(for: tick)
        }
        notifier.notify("STOPPING=1")
    }
}
