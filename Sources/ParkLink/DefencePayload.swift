import ControlAPI
import Foundation

/// `<prefix>/<site>/defence`, retained: the one-key shutoff as the park follows it: the latch, what tripped it,
/// each step with its measured times (a park drill report quotes them), bypasses and escalations.
public struct DefencePayload: Codable, Sendable, Hashable {
    public var version: Int
    public var site: String
    public var latched: Bool
    /// The latched trip is a verification drill.
    public var drill: Bool
    public var activeDrill: String?
    /// The running plan; absent when nothing runs.
    public var plan: String?
    /// The first-out trip, present while latched.
    public var trigger: TriggerPayload?
    /// Every trip as the plant words it, "who from where: why", first-out first.
    public var trips: [String]
    public var steps: [StepPayload]
    public var bypasses: [BypassPayload]
    public var escalated: Bool
    public var escalations: [String]
    public var at: Date

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case site, latched, drill, activeDrill, plan, trigger, trips, steps, bypasses, escalated, escalations, at
    }
}

/// Who tripped the plant, from where, why and when.
public struct TriggerPayload: Codable, Sendable, Hashable {
    /// The plant's own wording, always present.
    public var text: String
    public var who: String?
    /// button, leveectl, http, park, or the automatic trigger.
    public var from: String?
    public var why: String?
    /// The first step's command time; failing that, when the publisher first saw the latch.
    public var at: Date
}

/// One step of the running plan.
public struct StepPayload: Codable, Sendable, Hashable {
    public var id: String
    public var device: String
    /// close-valve, open-valve, start-pump, stop-pump, output-on, output-off.
    public var action: String
    /// waiting, commanded, confirmed, failed, manualActionNeeded.
    public var state: String
    public var attempts: Int
    public var commandedAt: Date?
    /// When feedback (a limit switch, a running contact) confirmed the step: "commanded" is not "done".
    public var confirmedAt: Date?
    /// Measured from the first command to confirmation or failure: the stroke time a drill records.
    public var seconds: Double?
    public var failure: String?
    public var lastError: String?
}

public struct BypassPayload: Codable, Sendable, Hashable {
    public var interlock: String
    public var by: String
    public var reason: String
    public var until: Date
}

extension DefencePayload {
    /// - Parameter firstSeenLatched: when the publisher first saw the current first-out trip, for `trigger.at`.
    init(_ d: DefenceSummary?, site: String, firstSeenLatched: Date?, at: Date) {
        let steps = (d?.steps ?? []).map {
            StepPayload(
                id: $0.id, device: $0.device, action: $0.operation, state: $0.phase, attempts: $0.attempts,
                commandedAt: $0.commandedAt, confirmedAt: $0.confirmedAt, seconds: ParkJSON.finite($0.seconds),
                failure: $0.failedReason, lastError: $0.lastError)
        }
        var trigger: TriggerPayload? = nil
        if let d, d.latched, let first = d.trips.first {
            let commanded = steps.compactMap(\.commandedAt).min()
            if let when = commanded ?? firstSeenLatched {
                trigger = TriggerPayload(first, at: when)
            }
        }
        self.init(
            version: ParkJSON.version, site: site, latched: d?.latched ?? false, drill: d?.drill ?? false,
            activeDrill: d?.activeDrill, plan: d?.plan, trigger: trigger, trips: d?.trips ?? [], steps: steps,
            bypasses: (d?.bypasses ?? []).map {
                BypassPayload(interlock: $0.interlock, by: $0.by, reason: $0.reason, until: $0.until)
            },
            escalated: d?.escalated ?? false, escalations: d?.escalations ?? [], at: at)
    }
}

extension TriggerPayload {
    /// Splits the plant's trip text, `[DRILL ]who from where: why`, into its parts; the text stays as it was.
    init(_ text: String, at: Date) {
        self.init(text: text, who: nil, from: nil, why: nil, at: at)
        var rest = Substring(text)
        if rest.hasPrefix("DRILL ") { rest = rest.dropFirst(6) }
        guard let from = rest.range(of: " from "), let colon = rest[from.upperBound...].range(of: ": ") else { return }
        let who = rest[..<from.lowerBound]
        let place = rest[from.upperBound..<colon.lowerBound]
        guard !who.isEmpty, !place.isEmpty else { return }
        self.who = String(who)
        self.from = String(place)
        self.why = String(rest[colon.upperBound...])
    }
}
