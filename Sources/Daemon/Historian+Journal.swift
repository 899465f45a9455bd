import Historian
import Logging

extension Historian {
    /// Records `event` in the journal for the links' services. When the historian cannot make it durable now, the
    /// event stays queued for its writer and the failure is logged with the message, so nothing is lost unseen.
    func journal(_ event: StoredEvent, logger: Logger) async {
        do {
            try await recordEvent(event)
        } catch {
            logger.error(
                "journal entry not yet durable",
                metadata: ["kind": "\(event.kind)", "message": "\(event.message)", "error": "\(error)"])
        }
    }
}
