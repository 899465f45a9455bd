import Config

/// What a configuration reload (SIGHUP) may change while leveed runs.
///
/// The field I/O can take new buses and devices live, but the alarm engine, the shutoff sequencer, first flush and
/// the links keep the definitions they were built from, and a plan must never change under a latched trip. A
/// reload that applied the field part and left the rest would run two configurations at once (a valve polled with
/// the new file's stroke time, its shutoff step timed with the old one). So a reload is applied whole or not at
/// all: when anything the safety functions were built from differs, the running configuration is kept, and each
/// reason is named so the engineer knows a restart is needed.
public enum ReloadScope {
    /// Why `new` cannot be applied to a daemon running `old` without a restart; empty when it can.
    public static func restartRequired(from old: LeveeConfig, to new: LeveeConfig) -> [String] {
        var reasons: [String] = []
        if !old.devices.isEmpty && new.devices.isEmpty {
            reasons.append("the new file has no devices, which would stop monitoring the whole plant")
        }
        func section<T: Equatable>(_ name: String, _ path: KeyPath<LeveeConfig, T>) {
            if old[keyPath: path] != new[keyPath: path] { reasons.append("[\(name)] changed") }
        }
        section("site", \.site)
        section("historian", \.historian)
        section("daemon", \.daemon)
        section("[alarms]", \.alarms)
        section("alarm", \.alarmSettings)
        section("defence", \.defence)
        section("[plans]", \.plans)
        section("[interlocks]", \.interlocks)
        section("[first_flush]", \.firstFlush)
        section("http", \.http)
        section("mqtt", \.mqtt)
        section("park", \.park)
        section("uplink", \.uplink)
        section("dcs", \.dcs)
        let (oldBook, newBook) = (PlanBook(config: old), PlanBook(config: new))
        if oldBook != newBook { reasons.append("the shutoff plans derived from the devices changed") }
        for id in safetyDevices(old).union(safetyDevices(new)).sorted() where old.device(id) != new.device(id) {
            switch (old.device(id), new.device(id)) {
            case (nil, _): reasons.append("device \"\(id)\" added, which a safety function uses")
            case (_, nil): reasons.append("device \"\(id)\" removed, which a safety function uses")
            default: reasons.append("device \"\(id)\" changed, which a safety function uses")
            }
        }
        return reasons.map { $0.replacingOccurrences(of: "[[", with: "[").replacingOccurrences(of: "]]", with: "]") }
    }

    /// The devices a safety function reads or commands: every plan step's, every alarm's and interlock's point's,
    /// first flush's, the escalation and annunciation outputs, the buttons, the pools and every valve (whose
    /// stroke baseline the drift alarm keeps).
    static func safetyDevices(_ config: LeveeConfig) -> Set<String> {
        var ids = Set(PlanBook(config: config).plans.flatMap { $0.steps.map(\.device) })
        func device(ofPoint point: String) -> String { String(point.split(separator: ".").first ?? "") }
        ids.formUnion(config.alarms.map { device(ofPoint: $0.point) })
        ids.formUnion(config.interlocks.map { device(ofPoint: $0.point) })
        for f in config.firstFlush {
            ids.insert(f.outlet)
            ids.formUnion([f.poolInlet, f.rain, f.rainGauge].compactMap { $0 })
        }
        if let output = config.defence.escalationOutput { ids.insert(output) }
        ids.formUnion(config.alarmSettings.annunciation.values.joined())
        ids.formUnion(config.defence.poolHighHigh.keys)
        for d in config.devices
        where d.kind == .valve || d.digitalInputSettings?.role == .button || d.levelSettings?.isPool == true {
            ids.insert(d.id)
        }
        return ids
    }
}
