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
/// devices that did not change keep polling without a gap.
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
        if config.historian != field.config.historian || config.daemon != field.config.daemon {
            logger.warning(
                "historian and daemon sections take effect at the next restart", metadata: ["file": "\(path)"])
        }
        if config.alarms != field.config.alarms || config.alarmSettings != field.config.alarmSettings {
            // The engine keeps its running definitions, so no alarm is lost or re-raised by a reload.
            logger.warning("alarm definitions take effect at the next restart", metadata: ["file": "\(path)"])
        }
        if config.defence != field.config.defence || config.plans != field.config.plans
            || config.interlocks != field.config.interlocks || config.firstFlush != field.config.firstFlush
            || PlanBook(config: config) != PlanBook(config: field.config)
        {
            // A plan must not change under a latched trip; the running plans stay until the restart.
            logger.warning(
                "shutoff plans, interlocks and first flush take effect at the next restart",
                metadata: ["file": "\(path)"])
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
