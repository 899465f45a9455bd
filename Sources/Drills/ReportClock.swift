import CivilTime
import Foundation

/// Shows a report's times as wall-clock times in its IANA zone: `2025-03-01 08:00:00.250`.
///
/// The fields come from `CivilTime`, the project's one calendar arithmetic (see there why not `DateFormatter`).
struct ReportClock {
    let identifier: String
    /// nil when `identifier` is not a zone this system knows; times are then shown in UTC, and the label says so.
    let zone: TimeZone?

    init(identifier: String) {
        self.identifier = identifier
        zone = TimeZone(identifier: identifier)
    }

    private var effectiveZone: TimeZone { zone ?? TimeZone(secondsFromGMT: 0) ?? .current }

    /// `Asia/Shanghai (UTC+08:00)`, with the offset at `date` (it changes with daylight saving time elsewhere).
    func label(at date: Date) -> String {
        guard zone != nil else { return "UTC (\(identifier): unknown time zone)" }
        return "\(identifier) (UTC\(Self.offset(effectiveZone.secondsFromGMT(for: date))))"
    }

    /// `yyyy-MM-dd HH:mm:ss.SSS` in the report's zone, to the nearest millisecond.
    func string(_ date: Date) -> String {
        let t = CivilTime(milliseconds: CivilTime.milliseconds(date), in: effectiveZone)
        let pad = CivilTime.padded
        return "\(pad(t.year, 4))-\(pad(t.month, 2))-\(pad(t.day, 2)) "
            + "\(pad(t.hour, 2)):\(pad(t.minute, 2)):\(pad(t.second, 2)).\(pad(t.millisecond, 3))"
    }

    /// `+08:00`, `-03:30`.
    static func offset(_ seconds: Int) -> String { CivilTime.offset(seconds) }
}
