/// A drill report only grows: the report stored when the steps settled is evidence, and a later write (after the
/// reset and the restore) may add to it but never drop from it.
extension DrillReport {
    /// This report with what `later` adds: every stroke, failure, local valve, alarm, escalation, timeline entry
    /// and restore outcome of this one stays; `later`'s new ones follow. A stroke measured only later fills in
    /// this one's missing measurement. Pools, plants, the alarm rate and `finishedAt` are `later`'s, the newer view.
    public func appending(_ later: DrillReport) -> DrillReport {
        var merged = later
        var strokes = self.strokes
        for s in later.strokes {
            if let i = strokes.firstIndex(where: { $0.valve == s.valve && $0.operation == s.operation }) {
                if strokes[i].measuredSeconds == nil && s.measuredSeconds != nil { strokes[i] = s }
            } else {
                strokes.append(s)
            }
        }
        merged.strokes = strokes
        merged.failures = Self.union(failures, later.failures)
        merged.localValves = Self.union(localValves, later.localValves)
        merged.alarms = Self.union(alarms, later.alarms)
        merged.escalations = Self.union(escalations, later.escalations)
        merged.timeline = Self.union(timeline, later.timeline)
        merged.restore = Self.union(restore, later.restore)
        return merged
    }

    /// `first`, then the elements of `second` not in it, in order.
    static func union<T: Hashable>(_ first: [T], _ second: [T]) -> [T] {
        var seen = Set(first)
        return first + second.filter { seen.insert($0).inserted }
    }
}
