import CivilTime
import ControlAPI
import Foundation

/// A time in a query string: ISO 8601 (`2026-11-23T08:00:00.000+08:00`), `now`, or a time relative to now such as
/// `-10m`, `-2h`, `-3d` (also `s` and `w`).
enum QueryTime {
    /// The time `text` names, or nil when it names none.
    static func parse(_ text: String, now: Date) -> Date? {
        let s = text.trimmingCharacters(in: .whitespaces)
        if s == "now" { return now }
        if s.hasPrefix("-"), let unit = s.last, let seconds = unitSeconds[unit],
            let amount = Double(s.dropFirst().dropLast()), amount.isFinite,
            RequestLimits.relativeTimeSeconds.contains(amount * seconds)
        {
            return now.addingTimeInterval(-amount * seconds)
        }
        // A `+` in an unencoded query string arrives as a space: "08:00:00+08:00" → "08:00:00 08:00".
        return iso8601(s) ?? iso8601(s.replacingOccurrences(of: " ", with: "+"))
    }

    /// An ISO 8601 time with its zone (`Z`, `+08:00` or `+0800`), with or without fractional seconds.
    ///
    /// Not `ControlDates.parse`: it reads the clock time but drops a numeric offset, so `08:00+08:00` would come
    /// out as 08:00 UTC.
    private static func iso8601(_ s: String) -> Date? { CivilTime.instant(iso8601: s) }

    private static let unitSeconds: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]

    /// The `from` and `to` query parameters, with their defaults; `from` after `to` is refused.
    static func range(
        from fromText: String?, to toText: String?, defaultSpan: TimeInterval, now: Date
    ) throws(APIError) -> (from: Date, to: Date) {
        let to = try toText.map { text throws(APIError) in try parameter("to", text, now: now) } ?? now
        let from =
            try fromText.map { text throws(APIError) in try parameter("from", text, now: now) }
            ?? to.addingTimeInterval(-defaultSpan)
        if from > to {
            throw .badRequest("from: \(ControlDates.format(from)) is after to (\(ControlDates.format(to)))")
        }
        return (from, to)
    }

    private static func parameter(_ name: String, _ text: String, now: Date) throws(APIError) -> Date {
        guard let date = parse(text, now: now) else {
            throw .badRequest(
                "\(name): \"\(text)\" is neither an ISO 8601 time nor a time before now such as -10m, -2h or -3d")
        }
        return date
    }
}
