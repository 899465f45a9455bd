import CivilTime
import Config
import Foundation

/// The on-call ladder: who is on duty on which rung at a given instant, in the site's time zone.
public struct Roster: Sendable {
    public var people: [OnCallEntry]
    public var zone: TimeZone

    public init(people: [OnCallEntry], zone: TimeZone) {
        self.people = people
        self.zone = zone
    }

    /// The people on `rung` whose shift covers `date`.
    public func onDuty(rung: Int, at date: Date) -> [OnCallEntry] {
        people.filter { $0.rung == rung && covers($0, date) }
    }

    /// Everyone on duty now, rung by rung.
    public func onDuty(at date: Date) -> [OnCallEntry] {
        people.filter { covers($0, date) }.sorted { ($0.rung, $0.name) < ($1.rung, $1.name) }
    }

    /// The lowest rung from `rung` up to `last` that has someone on duty at `date`, or nil.
    public func firstStaffedRung(from rung: Int, through last: Int, at date: Date) -> Int? {
        guard rung <= last else { return nil }
        return (rung...last).first { !onDuty(rung: $0, at: date).isEmpty }
    }

    /// Whether `date` falls in one of `person`'s shifts. A shift that runs past midnight belongs to the day it
    /// starts on, so Monday 22:00–06:00 covers Tuesday 03:00 but not Monday 03:00.
    public func covers(_ person: OnCallEntry, _ date: Date) -> Bool {
        let local = CivilTime(milliseconds: CivilTime.milliseconds(date), in: zone)
        let minute = Int(local.hour * 60 + local.minute)
        let today = Self.isoWeekday(local)
        let yesterday = today == 1 ? 7 : today - 1
        if person.fromMinute < person.toMinute {
            return person.days.contains(today) && minute >= person.fromMinute && minute < person.toMinute
        }
        // Past midnight: the evening part today, or the morning part of a shift that began yesterday.
        return (person.days.contains(today) && minute >= person.fromMinute)
            || (person.days.contains(yesterday) && minute < person.toMinute)
    }

    /// Monday = 1 ... Sunday = 7, from the civil date (1970-01-01 was a Thursday).
    static func isoWeekday(_ t: CivilTime) -> Int {
        let days = CivilTime.days(year: t.year, month: t.month, day: t.day)
        let mondayBased = (days + 3) - CivilTime.floorDivide(days + 3, 7) * 7
        return Int(mondayBased) + 1
    }
}
