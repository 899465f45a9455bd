import Devices
import Historian
import Logging
import ServiceLifecycle

/// Runs the bus threads for as long as the daemon runs. On shutdown the buses finish the transaction in flight
/// and every queued command; no output is changed on the way down.
struct FieldService: Service {
    let field: FieldIO
    let logger: Logger

    func run() async throws {
        field.start()
        logger.info(
            "field I/O started",
            metadata: ["buses": "\(field.config.buses.count)", "devices": "\(field.config.devices.count)"])
        try? await gracefulShutdown()
        field.stop()
        logger.info("field I/O stopped")
    }
}

/// Opens nothing itself (the historian is opened before the group starts, so a bad database path stops the
/// daemon at once with a clear message); on shutdown, after every other service, flushes and closes it.
struct HistorianService: Service {
    let historian: Historian
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        do {
            try historian.flush()
        } catch {
            logger.error("historian could not flush on shutdown", metadata: ["error": "\(error)"])
        }
        historian.close()
        logger.info("historian closed")
    }
}
