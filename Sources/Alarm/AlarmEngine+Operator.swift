import Foundation

/// What operators do to alarms. Each request names a user and, where it changes what the control room sees, a
/// reason; a request without them is rejected, because the journal must say who did what and why.
extension AlarmEngine {
    /// Acknowledges an unacknowledged or returned-unacknowledged alarm; the latter goes back to normal.
    /// - Throws: `AlarmError` for an unknown alarm, an empty user or reason, or an alarm with nothing to
    ///   acknowledge.
    public mutating func acknowledge(
        _ id: String, user: String, reason: String, at now: ContinuousClock.Instant
    ) throws(AlarmError) -> [AlarmAction] {
        let i = try lookup(id, "acknowledge", user: user, reason: reason)
        let from = records[i].state
        guard from.isAwaitingAcknowledgement else {
            throw .notAllowed(alarm: id, operation: "acknowledge", state: from)
        }
        var scan = Scan(now: now)
        records[i].base = from == .unacknowledged ? .acknowledged : .normal
        records[i].acknowledged = Note(user: user, reason: reason, at: now)
        emit(i, from: from, event: .acknowledged, at: now, user: user, reason: reason, order: 0, scan: &scan)
        return finish(&scan)
    }

    /// Shelves an alarm until `until`: hidden and silent, its condition still evaluated. When the shelve expires
    /// (on a `tick`), the alarm takes the state its condition implies: unacknowledged and annunciated if active.
    /// Shelving a shelved alarm again changes its expiry.
    /// - Throws: `AlarmError` for an unknown alarm, an empty user or reason, an alarm out of service, an expiry
    ///   not after `now`, or one beyond `Options.maximumShelve`.
    public mutating func shelve(
        _ id: String, until: ContinuousClock.Instant, user: String, reason: String, at now: ContinuousClock.Instant
    ) throws(AlarmError) -> [AlarmAction] {
        let i = try lookup(id, "shelve", user: user, reason: reason)
        if records[i].outOfService != nil { throw .notAllowed(alarm: id, operation: "shelve", state: .outOfService) }
        guard until > now else { throw .shelveExpiryNotInFuture(alarm: id) }
        if let maximum = options.maximumShelve, until - now > maximum {
            throw .shelveTooLong(alarm: id, maximum: maximum)
        }
        var scan = Scan(now: now)
        let note = Note(user: user, reason: reason, at: now)
        changeVisibility(i, event: .shelved, at: now, user: user, reason: reason, always: true, scan: &scan) {
            $0.shelf = Shelf(until: until, note: note)
        }
        return finish(&scan)
    }

    /// Ends a shelve before its expiry.
    /// - Throws: `AlarmError` for an unknown alarm, an empty user, or an alarm that is not shelved.
    public mutating func unshelve(
        _ id: String, user: String, reason: String? = nil, at now: ContinuousClock.Instant
    ) throws(AlarmError) -> [AlarmAction] {
        let i = try lookup(id, "unshelve", user: user, reason: reason, reasonRequired: false)
        guard records[i].shelf != nil else {
            throw .notAllowed(alarm: id, operation: "unshelve", state: records[i].state)
        }
        var scan = Scan(now: now)
        changeVisibility(i, event: .unshelved, at: now, user: user, reason: reason, scan: &scan) { $0.shelf = nil }
        return finish(&scan)
    }

    /// Takes an alarm out of service (for maintenance of its instrument): hidden with no expiry, and it ends any
    /// shelve.
    /// - Throws: `AlarmError` for an unknown alarm, an empty user or reason, or an alarm already out of service.
    public mutating func removeFromService(
        _ id: String, user: String, reason: String, at now: ContinuousClock.Instant
    ) throws(AlarmError) -> [AlarmAction] {
        let i = try lookup(id, "remove from service", user: user, reason: reason)
        if records[i].outOfService != nil {
            throw .notAllowed(alarm: id, operation: "remove from service", state: .outOfService)
        }
        var scan = Scan(now: now)
        let note = Note(user: user, reason: reason, at: now)
        changeVisibility(i, event: .removedFromService, at: now, user: user, reason: reason, scan: &scan) {
            $0.outOfService = note
            $0.shelf = nil
        }
        return finish(&scan)
    }

    /// Returns an alarm to service; it takes the state its condition implies.
    /// - Throws: `AlarmError` for an unknown alarm, an empty user, or an alarm that is in service.
    public mutating func returnToService(
        _ id: String, user: String, reason: String? = nil, at now: ContinuousClock.Instant
    ) throws(AlarmError) -> [AlarmAction] {
        let i = try lookup(id, "return to service", user: user, reason: reason, reasonRequired: false)
        guard records[i].outOfService != nil else {
            throw .notAllowed(alarm: id, operation: "return to service", state: records[i].state)
        }
        var scan = Scan(now: now)
        changeVisibility(i, event: .returnedToService, at: now, user: user, reason: reason, scan: &scan) {
            $0.outOfService = nil
        }
        return finish(&scan)
    }

    /// Stops the sirens without acknowledging anything; the next alarm to come in sounds them again.
    /// - Throws: `AlarmError.silenceWithoutUser` for an empty user.
    public mutating func silence(user: String, at now: ContinuousClock.Instant) throws(AlarmError) -> [AlarmAction] {
        guard !user.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw .silenceWithoutUser }
        sounding = []
        return [.silence(user: user)]
    }

    /// Finds an alarm and checks the operator's user and, where the operation needs one, the reason.
    private func lookup(
        _ id: String, _ operation: String, user: String, reason: String?, reasonRequired: Bool = true
    ) throws(AlarmError) -> Int {
        guard let i = index[id] else { throw .unknownAlarm(id) }
        if user.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw .missingUser(alarm: id, operation: operation)
        }
        if reasonRequired, (reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw .missingReason(alarm: id, operation: operation)
        }
        return i
    }
}
