import Foundation

/// The report laid out as headings, tables and lists of plain text, for the writers to escape and mark up.
struct ReportDocument {
    struct Cell {
        var text: String
        /// Shown so that it cannot be missed: a drifted or unconfirmed stroke, a failure.
        var flagged = false
    }

    enum Content {
        case table(headers: [String], rows: [[Cell]])
        case list([String])
        /// One sub-section per item, such as one per plant.
        case parts([Part])

        var isEmpty: Bool {
            switch self {
            case .table(_, let rows): rows.isEmpty
            case .list(let items): items.isEmpty
            case .parts(let parts): parts.isEmpty
            }
        }
    }

    /// A sub-section: a heading, then blocks each with a caption.
    struct Part {
        var heading: String
        /// Shown as a failure.
        var flagged = false
        var blocks: [Block]
    }

    /// A captioned table or list in a ``Part``; an empty one says ``ReportDocument/none``.
    struct Block {
        var caption: String
        var content: Content
    }

    struct Section {
        var chinese: String
        var english: String
        /// A sentence under the heading: how to read the section.
        var note: String?
        var content: Content

        var heading: String { "\(chinese) \(english)" }

        var isEmpty: Bool { content.isEmpty }
    }

    static let none = "无 None"
    static let notConfirmed = "未确认 not confirmed"
    static let drift = "超时漂移 DRIFT"

    var title: String
    var mode: String
    var live: Bool
    var sections: [Section]

    /// Some section has sub-sections (a park report's plants), which the HTML styles.
    var hasParts: Bool {
        sections.contains { if case .parts = $0.content { true } else { false } }
    }

    init(_ r: DrillReport) {
        let clock = ReportClock(identifier: r.timeZone)
        live = r.live
        let kind = r.live ? "实战演练 live" : "桌面推演 tabletop check"
        title = "演练 DRILL (\(kind)) · 验证演练报告 Drill report · \(r.plan)"
        mode = r.live ? "实战演练 Live drill on real equipment" : "桌面推演 Tabletop check: no equipment was moved"
        sections = [Self.summary(r, clock), Self.timeline(r, clock), Self.strokes(r)]
        // Only a park drill has plants; a plant's report stays as it always was.
        if !r.plants.isEmpty { sections.append(Self.plants(r, clock)) }
        sections += [
            Self.failures(r), Self.localValves(r), Self.alarms(r, clock), Self.pools(r), Self.escalations(r),
            Self.restore(r),
        ]
    }

    // MARK: - Sections

    private static func summary(_ r: DrillReport, _ clock: ReportClock) -> Section {
        let drifted = r.strokes.filter(\.drifted).count
        let unconfirmed = r.strokes.filter { $0.measuredSeconds == nil }.count
        let finished = r.finishedAt.map(clock.string) ?? "未结束 not finished"
        let elapsed = r.finishedAt.map { duration($0.timeIntervalSince(r.startedAt)) } ?? "—"
        var rows: [(label: String, value: String, flagged: Bool)] = [
            ("演练编号 Drill id", r.id, false),
            ("企业 Site", "\(r.siteName) (\(r.site))", false),
            ("预案 Plan", r.plan, false),
            ("方式 Mode", r.live ? "实战演练 live" : "桌面推演 tabletop check", false),
            ("发起人 Started by", r.startedBy, false),
            ("原因 Reason", r.reason, false),
            ("开始 Started", clock.string(r.startedAt), false),
            ("结束 Finished", finished, r.finishedAt == nil),
            ("用时 Duration", elapsed, false),
            ("时区 Time zone", clock.label(at: r.startedAt), false),
            ("故障 Failures", "\(r.allFailures.count)", !r.allFailures.isEmpty),
            (
                "阀门动作 Valve strokes",
                "\(r.strokes.count) (漂移 drifted: \(drifted), 未确认 not confirmed: \(unconfirmed))",
                drifted + unconfirmed > 0
            ),
            ("报警 Alarms", "\(r.alarms.count) (10 分钟峰值 peak per 10 min: \(number(r.alarmRatePerTenMinutes, 0)))", false),
        ]
        if !r.plants.isEmpty {
            let (text, flagged) = plantSummary(r.plants)
            rows.insert(("厂区 Plants", text, flagged), at: rows.count - 1)
        }
        return Section(
            chinese: "概况", english: "Summary", note: nil,
            content: .table(
                headers: ["项目 Item", "内容 Value"],
                rows: rows.map { [Cell(text: $0.label), Cell(text: $0.value, flagged: $0.flagged)] }
            )
        )
    }

    private static func timeline(_ r: DrillReport, _ clock: ReportClock) -> Section {
        let rows = sortedByTime(r.timeline, \.at).map { entry in
            [
                Cell(text: clock.string(entry.at)),
                Cell(text: label(entry.kind), flagged: entry.kind == .failed),
                Cell(text: entry.device ?? "—"),
                Cell(text: entry.text),
            ]
        }
        return Section(
            chinese: "时间线", english: "Timeline", note: "时间 Times: \(clock.label(at: r.startedAt))",
            content: .table(headers: ["时间 Time", "类型 Kind", "设备 Device", "内容 Text"], rows: rows)
        )
    }

    private static func strokes(_ r: DrillReport) -> Section {
        let rows = r.strokes.map { s -> [Cell] in
            let flag: Cell
            if s.measuredSeconds == nil {
                flag = Cell(text: notConfirmed, flagged: true)
            } else if s.drifted {
                flag = Cell(text: drift, flagged: true)
            } else {
                flag = Cell(text: "正常 OK")
            }
            let baselineSource = s.baselineFromHistory ? "中位数 median" : "配置 configured"
            return [
                Cell(text: s.valveName == s.valve ? s.valve : "\(s.valveName) (\(s.valve))"),
                Cell(text: operation(s.operation)),
                Cell(text: number(s.configuredSeconds, 1)),
                Cell(text: "\(number(s.baselineSeconds, 1)) \(baselineSource)"),
                Cell(text: s.measuredSeconds.map { number($0, 1) } ?? notConfirmed, flagged: s.measuredSeconds == nil),
                Cell(text: s.ratio.map { "×" + number($0, 2) } ?? "—", flagged: s.drifted),
                flag,
            ]
        }
        let threshold = number(StrokeDrift.threshold, 1)
        return Section(
            chinese: "阀门行程", english: "Valve strokes",
            note: "漂移 Drift: measured > \(threshold) × baseline. 基准 Baseline: median of the last strokes when there "
                + "are at least \(StrokeDrift.minimumHistory), otherwise the configured stroke time. Seconds.",
            content: .table(
                headers: [
                    "阀门 Valve", "动作 Operation", "配置 Configured s", "基准 Baseline s", "实测 Measured s",
                    "比值 Ratio", "判定 Flag",
                ],
                rows: rows
            )
        )
    }

    private static func failures(_ r: DrillReport) -> Section {
        Section(chinese: "故障", english: "Failures", note: nil, content: .list(r.allFailures))
    }

    /// `3 plants: 1 confirmed every step, 1 with failures, 1 no answer`, in Chinese first; those neither confirmed
    /// nor failed (still running, a step never confirmed) are counted too when there are any, so the counts add up.
    /// Flagged unless every plant confirmed every step.
    static func plantSummary(_ plants: [DrillReport.PlantSection]) -> (text: String, flagged: Bool) {
        let outcomes = plants.map(\.outcome)
        let count = { (o: DrillReport.PlantSection.Outcome) in outcomes.filter { $0 == o }.count }
        let (confirmed, failed, noAnswer) = (count(.confirmed), count(.failed), count(.noAnswer))
        let notConfirmed = count(.notConfirmed)
        var chinese = "\(plants.count) 个厂区：\(confirmed) 个全部步骤已确认，\(failed) 个有故障，\(noAnswer) 个无应答"
        var english =
            "\(plants.count) \(plants.count == 1 ? "plant" : "plants"): \(confirmed) confirmed every step, "
            + "\(failed) with failures, \(noAnswer) no answer"
        if notConfirmed > 0 {
            chinese += "，\(notConfirmed) 个未确认"
            english += ", \(notConfirmed) not confirmed"
        }
        return ("\(chinese) \(english)", confirmed < plants.count)
    }

    private static func plants(_ r: DrillReport, _ clock: ReportClock) -> Section {
        let parts = r.plants.map { plant -> Part in
            let outcome = plant.outcome
            let failedResult = !["done", "accepted"].contains(plant.normalizedResult)
            let latched = plant.latched.map { $0 ? "已锁定 latched" : "未锁定 not latched" } ?? "未知 unknown"
            let facts: [[Cell]] = [
                [Cell(text: "指令 Command"), Cell(text: plant.command)],
                [Cell(text: "结果 Result"), Cell(text: result(plant.result), flagged: failedResult)],
                [Cell(text: "消息 Message"), Cell(text: plant.message.flatMap { $0.isEmpty ? nil : $0 } ?? "—")],
                [Cell(text: "判定 Outcome"), Cell(text: label(outcome), flagged: outcome != .confirmed)],
                [
                    Cell(text: "在线 Online"),
                    Cell(text: plant.online ? "在线 online" : "离线 offline", flagged: !plant.online),
                ],
                [Cell(text: "锁定 Latched"), Cell(text: latched)],
            ]
            let steps = plant.steps.map { s -> [Cell] in
                let measured = s.measuredSeconds.flatMap { $0.isFinite ? $0 : nil }
                let failure = s.failure.flatMap { $0.isEmpty ? nil : $0 }
                return [
                    Cell(text: s.step), Cell(text: s.device), Cell(text: action(s.action)),
                    Cell(text: stepState(s.state), flagged: !s.isConfirmed),
                    Cell(text: s.commandedAt.map(clock.string) ?? "—"),
                    Cell(text: s.confirmedAt.map(clock.string) ?? "—"),
                    Cell(text: measured.map { number($0, 1) } ?? notConfirmed, flagged: measured == nil),
                    Cell(text: failure ?? "—", flagged: failure != nil),
                ]
            }
            let outlets = plant.outlets.map { o -> [Cell] in
                let quality = o.quality.trimmingCharacters(in: .whitespacesAndNewlines)
                let shownQuality = quality.isEmpty ? "unknown" : quality
                // A position whose reading is not good is never shown alone: the quality goes with it.
                let shown = o.isGood ? position(o.position) : "\(position(o.position)) (\(shownQuality))"
                let doubtful = ["fault", "unknown"].contains(o.position.lowercased())
                return [
                    Cell(text: o.name.isEmpty || o.name == o.device ? o.device : "\(o.name) (\(o.device))"),
                    Cell(text: shown, flagged: !o.isGood || doubtful),
                    Cell(text: shownQuality, flagged: !o.isGood),
                ]
            }
            return Part(
                heading: "厂区 Plant \(plant.label)", flagged: outcome != .confirmed,
                blocks: [
                    Block(
                        caption: "指令与应答 Command and answer",
                        content: .table(headers: ["项目 Item", "内容 Value"], rows: facts)),
                    Block(
                        caption: "步骤 Steps",
                        content: .table(
                            headers: [
                                "步骤 Step", "设备 Device", "动作 Action", "状态 State", "下令 Commanded", "确认 Confirmed",
                                "实测 Measured s", "故障 Failure",
                            ],
                            rows: steps
                        )
                    ),
                    Block(
                        caption: "排口 Outlets",
                        content: .table(headers: ["排口 Outlet", "实测位置 Measured position", "质量 Quality"], rows: outlets)
                    ),
                ]
            )
        }
        return Section(
            chinese: "厂区", english: "Plants",
            note: "园区经 MQTT 所见：指令的应答和厂区自己实测的步骤；排口位置为限位开关实测，质量不为 good 时与位置一并显示。"
                + "As the park saw it over MQTT: each command's answer and the plant's own measured steps. Outlet "
                + "positions are what the limit switches measured; one whose quality is not good is shown with it. "
                + "时间 Times: \(clock.label(at: r.startedAt))",
            content: .parts(parts)
        )
    }

    private static func localValves(_ r: DrillReport) -> Section {
        Section(
            chinese: "就地模式阀门", english: "Valves in local mode",
            note: "手自一体开关在就地位置，远程无法操作 The hand/auto switch was in local: these cannot be commanded remotely.",
            content: .table(
                headers: ["阀门 Valve", "位置 Location"],
                rows: r.localValves.map { [Cell(text: $0.valve, flagged: true), Cell(text: $0.location ?? "—")] }
            )
        )
    }

    private static func alarms(_ r: DrillReport, _ clock: ReportClock) -> Section {
        let rows = sortedByTime(r.alarms, \.at).map {
            [Cell(text: clock.string($0.at)), Cell(text: $0.id), Cell(text: $0.priority), Cell(text: $0.text)]
        }
        return Section(
            chinese: "报警", english: "Alarms",
            note: "10 分钟内最多报警数 Most alarms in any 10 minutes: \(number(r.alarmRatePerTenMinutes, 0))",
            content: .table(headers: ["时间 Time", "报警 Alarm", "优先级 Priority", "内容 Text"], rows: rows)
        )
    }

    private static func pools(_ r: DrillReport) -> Section {
        let rows = r.pools.map { p -> [Cell] in
            let unit = p.unit.isEmpty ? "" : " \(p.unit)"
            let level = { (value: Double?) in value.map { number($0, 2) + unit } ?? "—" }
            let volume = { (value: Double?) in value.map { number($0, 1) + " m³" } ?? "—" }
            var change = "—"
            if let before = p.volumeBefore, let after = p.volumeAfter {
                change = signed(after - before, 1) + " m³"
            } else if let before = p.levelBefore, let after = p.levelAfter {
                change = signed(after - before, 2) + unit
            }
            return [
                Cell(text: p.name == p.device ? p.device : "\(p.name) (\(p.device))"),
                Cell(text: level(p.levelBefore)), Cell(text: level(p.levelAfter)),
                Cell(text: volume(p.volumeBefore)), Cell(text: volume(p.volumeAfter)), Cell(text: change),
            ]
        }
        return Section(
            chinese: "事故池", english: "Accident pools", note: nil,
            content: .table(
                headers: [
                    "水池 Pool", "液位前 Level before", "液位后 Level after", "容积前 Volume before",
                    "容积后 Volume after", "变化 Change",
                ],
                rows: rows
            )
        )
    }

    private static func escalations(_ r: DrillReport) -> Section {
        Section(chinese: "上报园区", english: "Park escalation", note: nil, content: .list(r.escalations))
    }

    private static func restore(_ r: DrillReport) -> Section {
        Section(
            chinese: "复位", english: "Restore", note: nil,
            content: .table(
                headers: ["步骤 Step", "设备 Device", "结果 Outcome", "用时 Seconds"],
                rows: r.restore.map {
                    [
                        Cell(text: $0.step), Cell(text: $0.device), Cell(text: $0.outcome),
                        Cell(text: $0.seconds.map { number($0, 1) } ?? "—"),
                    ]
                }
            )
        )
    }

    // MARK: - Text

    static func label(_ kind: DrillReport.TimelineEntry.Kind) -> String {
        switch kind {
        case .trigger: "触发 trigger"
        case .command: "指令 command"
        case .confirmed: "确认 confirmed"
        case .failed: "失败 failed"
        case .manualAction: "人工操作 manual action"
        case .alarm: "报警 alarm"
        case .escalation: "上报 escalation"
        case .restore: "复位 restore"
        case .note: "备注 note"
        }
    }

    static func label(_ outcome: DrillReport.PlantSection.Outcome) -> String {
        switch outcome {
        case .confirmed: "全部步骤已确认 confirmed every step"
        case .failed: "有故障 with failures"
        case .noAnswer: "无应答 no answer"
        case .notConfirmed: "未确认 not confirmed"
        }
    }

    /// A plant's answer to a park command.
    static func result(_ result: String) -> String {
        switch result.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() {
        case "done": "完成 done"
        case "accepted": "已接受 accepted"
        case "refused": "拒绝 refused"
        case "failed": "失败 failed"
        case "no answer": "无应答 no answer"
        default: result
        }
    }

    static func stepState(_ state: String) -> String {
        switch state.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() {
        case "waiting": "等待 waiting"
        case "commanded": "已下令 commanded"
        case "confirmed": "已确认 confirmed"
        case "failed": "失败 failed"
        case "manualactionneeded": "需人工操作 manual action needed"
        default: state
        }
    }

    static func action(_ action: String) -> String {
        switch action {
        case "close-valve": "关阀 close valve"
        case "open-valve": "开阀 open valve"
        case "start-pump": "启泵 start pump"
        case "stop-pump": "停泵 stop pump"
        case "output-on": "输出开 output on"
        case "output-off": "输出关 output off"
        default: action
        }
    }

    /// A limit-switch position.
    static func position(_ position: String) -> String {
        switch position.lowercased() {
        case "open": "开 open"
        case "closed": "关 closed"
        case "travelling": "行程中 travelling"
        case "fault": "故障 fault"
        case "unknown": "未知 unknown"
        default: position
        }
    }

    static func operation(_ operation: String) -> String {
        switch operation {
        case "close": "关 close"
        case "open": "开 open"
        default: operation
        }
    }

    /// `value` with `digits` decimals, or — when it is not a number.
    static func number(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "—" }
        return String(format: "%.\(digits)f", value)
    }

    static func signed(_ value: Double, _ digits: Int) -> String {
        value > 0 ? "+" + number(value, digits) : number(value, digits)
    }

    /// `1:02:03` for an hour, `2:03` for minutes; whole seconds elapsed, as a stopwatch shows them.
    static func duration(_ seconds: TimeInterval) -> String {
        guard seconds.isFinite, seconds >= 0, seconds < 1e9 else { return "—" }
        let total = Int(seconds.rounded(.down))
        let (h, m, s) = (total / 3600, total / 60 % 60, total % 60)
        let two = { (n: Int) in n < 10 ? "0\(n)" : "\(n)" }
        return h > 0 ? "\(h):\(two(m)):\(two(s))" : "\(m):\(two(s))"
    }

    /// In time order; entries at the same time keep the order they were recorded in.
    static func sortedByTime<T>(_ items: [T], _ time: (T) -> Date) -> [T] {
        items.enumerated().sorted { a, b in
            let (ta, tb) = (time(a.element), time(b.element))
            return ta == tb ? a.offset < b.offset : ta < tb
        }.map(\.element)
    }
}
