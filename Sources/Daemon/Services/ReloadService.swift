import Config
import Defence
import Devices
import Foundation
import Historian
import Logging
import ServiceLifecycle
import UnixSignals

/// SIGHUP reloads the configuration file. The new file is validated first: a file with mistakes changes nothing
/// and every mistake is logged with its key path. A valid file is applied to the running field I/O, where
/// devices that did not change keep polling without a gap, but only when it leaves alone everything the alarms,
/// the shutoff plans, first flush and the links were built from (``ReloadScope``); otherwise it is not applied at
/// all and the log says a restart is needed, so the daemon never runs two configurations at once.
struct ReloadService: Service {
    let path: String
    let field: FieldIO
    let historian: Historian
    let logger: Logger
    /// Called after a reload was applied, with the new configuration (tests and the daemon's own bookkeeping).
    var applied: @Sendable (LeveeConfig) -> Void = { _ in }

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            await reload()
        }
    }

    func reload() async {
        logger.notice("reloading configuration", metadata: ["file": "\(path)"])
        let config: LeveeConfig
        do {
            config = try ConfigLoader.load(path: path)
        } catch {
            for line in error.lines {
                logger.error("configuration rejected; keeping the running one", metadata: ["issue": "\(line)"])
            }
            await record(
                "config-rejected", "configuration \(path) rejected: \(error.issues.count) issue(s)", error.description)
            return
        }
        let unready = PlanReadiness.problems(config, file: path)
        guard unready.isEmpty else {
            for line in unready {
                logger.error("configuration rejected; keeping the running one", metadata: ["issue": "\(line)"])
            }
            await record(
                "config-rejected", "configuration \(path) rejected: \(unready.count) shutoff plan issue(s)",
                unready.joined(separator: "\n"))
            return
        }
        // Whole or not at all: one configuration is in force for the field, the alarms and the plans at any moment.
        let restart = ReloadScope.restartRequired(from: field.config, to: config)
        guard restart.isEmpty else {
            for reason in restart {
                logger.error(
                    "configuration needs a restart; keeping the running one", metadata: ["reason": "\(reason)"])
            }
            await record(
                "config-rejected",
                "configuration \(path) not applied: it changes what the safety functions run on; restart leveed",
                restart.joined(separator: "\n"))
            return
        }
        let report = field.reconfigure(to: config)
        await record("config-load", "configuration \(path) reloaded: \(report)", nil)
        applied(config)
    }

    private func record(_ kind: String, _ message: String, _ details: String?) async {
        do {
            try await historian.recordEvent(
                StoredEvent(kind: kind, source: "leveed", message: message, at: Date(), details: details))
        } catch {
            logger.warning("event not yet durable", metadata: ["kind": "\(kind)", "error": "\(error)"])
        }
    }
}
