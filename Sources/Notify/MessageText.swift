import CivilTime
import Config
import Foundation

/// The words of a notification, short enough for SMS: Chinese, or English for a person whose `language` is "en".
///
/// Only what the event carries goes in: the site, what happened, where, the values with their quality, the latch,
/// what to do and the dashboard's alarm page. Nothing from a secret file ever reaches here, so no message can carry
/// one.
public struct MessageText: Sendable {
    public var siteName: String
    public var zone: TimeZone
    public var dashboardURL: String?

    public init(siteName: String, zone: TimeZone, dashboardURL: String?) {
        self.siteName = siteName
        self.zone = zone
        self.dashboardURL = dashboardURL
    }

    /// A title (e-mail subject, robot markdown heading) and the body of one alarm's message.
    public func alarm(_ e: NotifyEvent, number: Int, rung: Int, acknowledge: Bool, language: String) -> (String, String)
    {
        let en = language == "en"
        let what = en ? Self.englishKind[e.kind] ?? "Event" : Self.chineseKind[e.kind] ?? "事件"
        let priority = e.priority.map { en ? $0 : Self.chinesePriority[$0] ?? $0 }
        var title = "[\(siteName)] #\(number) "
        if e.drill { title += en ? "DRILL " : "【演练】" }
        title += [priority, what].compactMap { $0 }.joined(separator: en ? " " : "")
        var lines = [title, e.title]
        let place = [e.deviceName ?? e.device, e.location.map { en ? "(\($0))" : "（\($0)）" }].compactMap { $0 }
        if !place.isEmpty { lines.append((en ? "Where: " : "位置：") + place.joined()) }
        if !e.values.isEmpty {
            lines.append(
                (en ? "Values: " : "数值：") + e.values.map { value($0, en: en) }.joined(separator: en ? "; " : "；"))
        }
        if let latched = e.latched {
            lines.append(
                en
                    ? (latched ? "Shutoff: latched (tripped, not reset)" : "Shutoff: not latched")
                    : (latched ? "关断：已闭锁（已触发，未复位）" : "关断：未闭锁"))
        }
        lines.append((en ? "Time: " : "时间：") + time(e.at))
        if let todo = (en ? Self.englishAction : Self.chineseAction)[e.kind] { lines.append(todo) }
        if rung > 1 { lines.append(en ? "Escalated to rung \(rung): nobody acknowledged." : "已升级至第\(rung)级：无人确认。") }
        if acknowledge {
            lines.append(en ? "Reply \"1 \(number)\" to acknowledge." : "回复“收到 \(number)”或“1 \(number)”确认。")
        }
        if let link = alarmPage { lines.append(link) }
        return (title, lines.joined(separator: "\n"))
    }

    /// The one message that stands for alarms held back by a person's rate limit.
    public func summary(
        count: Int, minutes: Int, firstOut: (number: Int, title: String)?, numbers: [Int], language: String
    )
        -> (String, String)
    {
        let en = language == "en"
        let title = en ? "[\(siteName)] \(count) alarms in \(minutes) min" : "[\(siteName)] \(minutes)分钟内\(count)条报警"
        var lines = [title]
        if let firstOut {
            lines.append((en ? "First-out: #\(firstOut.number) " : "首发：#\(firstOut.number) ") + firstOut.title)
        }
        let shown = numbers.prefix(20).map { "#\($0)" }.joined(separator: " ")
        lines.append((en ? "Numbers: " : "编号：") + shown + (numbers.count > 20 ? " …" : ""))
        lines.append(en ? "Check the dashboard. Reply \"1 <number>\" to acknowledge one." : "请查看监控画面。回复“收到 编号”确认。")
        if let link = alarmPage { lines.append(link) }
        return (title, lines.joined(separator: "\n"))
    }

    /// The text of `leveectl notify test`.
    public func test(channel: String, language: String) -> (String, String) {
        let en = language == "en"
        let title = en ? "[\(siteName)] test message" : "[\(siteName)] 测试消息"
        let body = en ? "Test of channel \(channel). No action needed." : "通道 \(channel) 测试，无需处置。"
        return (title, title + "\n" + body)
    }

    /// The dashboard's alarm page, when a URL is configured.
    var alarmPage: String? {
        guard let base = dashboardURL else { return nil }
        return (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/#/alarms"
    }

    private func value(_ v: NotifyEvent.Value, en: Bool) -> String {
        let number = v.value.map { Self.format($0) + (v.unit.map { " \($0)" } ?? "") } ?? (en ? "no reading" : "无读数")
        let quality = en ? v.quality : Self.chineseQuality[v.quality] ?? v.quality
        return "\(v.name) \(number) (\(quality))"
    }

    private func time(_ date: Date) -> String {
        let t = CivilTime(milliseconds: CivilTime.milliseconds(date), in: zone)
        return
            "\(t.month)-\(CivilTime.padded(t.day, 2)) \(CivilTime.padded(t.hour, 2)):\(CivilTime.padded(t.minute, 2)):"
            + CivilTime.padded(t.second, 2)
    }

    /// A value as people read it: up to two decimals, no trailing zeros.
    static func format(_ d: Double) -> String {
        guard d.isFinite else { return "\(d)" }
        var s = String(format: "%.2f", d)
        while s.contains("."), s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    static let chinesePriority = ["critical": "紧急", "high": "高级", "medium": "中级", "low": "低级"]
    static let chineseQuality = [
        "good": "正常", "stale": "过期", "comm-fail": "通讯故障", "out-of-range": "超量程", "bad-config": "配置错误",
        "initial": "未测得",
    ]
    static let chineseKind: [NotifyEventKind: String] = [
        .alarm: "报警", .trip: "关断触发", .escalation: "上报园区", .valveFailed: "阀门动作失败", .drill: "演练",
        .health: "系统异常",
    ]
    static let englishKind: [NotifyEventKind: String] = [
        .alarm: "alarm", .trip: "shutoff tripped", .escalation: "escalated to the park",
        .valveFailed: "valve failed to move", .drill: "drill", .health: "Levee unhealthy",
    ]
    static let chineseAction: [NotifyEventKind: String] = [
        .alarm: "处置：立即到场或远程核实，按应急预案处置。",
        .trip: "处置：核实雨水排口已关闭、事故池已导流，排查泄漏源。",
        .escalation: "处置：联系园区应急值班，按园区预案协同处置。",
        .valveFailed: "处置：立即到现场手动关阀，核实就地/远程开关位置。",
        .health: "处置：检查设备通讯与Levee服务状态。",
    ]
    static let englishAction: [NotifyEventKind: String] = [
        .alarm: "To do: check on site or remotely, follow the response plan.",
        .trip: "To do: confirm the rain outlet is closed and the pool is taking the water; find the leak.",
        .escalation: "To do: call the park's duty officer and follow the park's plan.",
        .valveFailed: "To do: close the valve by hand on site; check its local/remote switch.",
        .health: "To do: check device links and the Levee services.",
    ]
}
