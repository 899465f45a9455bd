import Foundation

/// Decides which readings are worth storing: the store-on-change rule, as a value with no clock and no I/O.
///
/// A reading is stored when any of these holds, compared with the last reading *stored* for the same point (not the
/// last one seen, so a slow drift is stored once it adds up to more than the deadband):
/// - it is the first reading of the point since start;
/// - its quality differs;
/// - it has a value and the stored one had none, or the reverse;
/// - |value − stored value| > deadband;
/// - `heartbeat` or more has passed since the stored one, by `readAt`;
/// - `readAt` is earlier than the stored one's: the clock stepped back, and the new time base must start somewhere.
struct StoreOnChangeFilter: Sendable {
    private struct Stored: Sendable {
        var value: Double?
        var quality: String
        var readAt: Date
    }

    let heartbeat: TimeInterval
    private var lastStored: [String: Stored] = [:]

    init(heartbeat: TimeInterval) {
        self.heartbeat = heartbeat
    }

    /// Returns whether `reading` is to be stored, and if so remembers it as the point's last stored reading.
    mutating func shouldStore(_ reading: StoredReading) -> Bool {
        let value = reading.value.flatMap { $0.isNaN ? nil : $0 }
        let current = Stored(value: value, quality: reading.quality, readAt: reading.readAt)
        guard let last = lastStored[reading.point] else {
            lastStored[reading.point] = current
            return true
        }
        let elapsed = reading.readAt.timeIntervalSince(last.readAt)
        let store: Bool
        if last.quality != current.quality || elapsed >= heartbeat || elapsed < 0 {
            store = true
        } else {
            switch (last.value, current.value) {
            case (nil, nil): store = false
            case (let old?, let new?): store = abs(new - old) > reading.deadband
            default: store = true
            }
        }
        if store { lastStored[reading.point] = current }
        return store
    }
}
