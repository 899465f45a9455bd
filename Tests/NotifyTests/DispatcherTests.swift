import Config
import Foundation
import Testing

@testable import Notify

/// The ladder, coalescing and rate limit as values on a fake clock: events in, messages out.
struct DispatcherTests {
    static let zone = TimeZone(identifier: "Asia/Shanghai")!
    /// 2026-12-07 10:00 in Shanghai, a Monday.
    static let monday10 = Date(timeIntervalSince1970: 1_796_608_800)

    static func settings(rateLimit: Int = 5, people: [OnCallEntry]? = nil) -> NotifySettings {
        NotifySettings(
            enabled: true, escalateAfterSeconds: 600, coalesceSeconds: 900, rateLimit: rateLimit,
            rateWindowSeconds: 300,
            channels: [
                NotifyChannel(id: "modem", kind: .sms, device: "/dev/null"), NotifyChannel(id: "ding", kind: .dingtalk),
            ],
            rules: [
                NotifyRule(id: "critical", kinds: [.alarm], priorities: ["critical"], lastRung: 3),
                NotifyRule(id: "health", kinds: [.health], lastRung: 1, acknowledge: false),
            ],
            oncall: people ?? [
                OnCallEntry(name: "王工", rung: 1, phone: "+8613800000001", channels: ["modem", "ding"]),
                OnCallEntry(name: "shift", rung: 2, phone: "+8613800000002", channels: ["modem"], language: "en"),
                OnCallEntry(name: "厂长", rung: 3, phone: "+8613800000003", channels: ["modem"]),
            ])
    }

    static func dispatcher(_ s: NotifySettings = settings()) -> Dispatcher {
        Dispatcher(
            settings: s, roster: Roster(people: s.oncall, zone: zone),
            text: MessageText(siteName: "宏达化工", zone: zone, dashboardURL: "https://levee.local/"))
    }

    static func gas(_ key: String = "gas-a1.h2", at: Date = monday10, firstOut: Bool = false) -> NotifyEvent {
        NotifyEvent(
            key: key, kind: .alarm, priority: "critical", group: "tank-farm", device: "gas-a1",
            deviceName: "罐区A可燃气体探测器", location: "罐区A东侧", title: "可燃气体二级报警",
            values: [.init(name: "浓度", value: 62.5, unit: "%LEL", quality: "good")], latched: true,
            firstOut: firstOut, at: at)
    }

    static func sends(_ actions: [Dispatcher.Action]) -> [OutgoingMessage] {
        actions.compactMap { if case .send(let m) = $0 { m } else { nil } }
    }

    @Test func anAlarmGoesToTheFirstRungOnEveryChannel() {
        var d = Self.dispatcher()
        let out = Self.sends(d.event(Self.gas(), now: Self.monday10))
        #expect(out.map(\.person) == ["王工", "王工"])
        #expect(out.map(\.channel) == ["modem", "ding"])
        #expect(out[0].address == "+8613800000001" && out[0].incident == 1 && out[0].kind == .alarm)
        #expect(out[0].text.contains("罐区A可燃气体探测器（罐区A东侧）"))
        #expect(out[0].text.contains("浓度 62.5 %LEL (正常)"))
        #expect(out[0].text.contains("关断：已闭锁"))
        #expect(out[0].text.contains("回复“收到 1”或“1 1”确认"))
        #expect(out[0].text.contains("https://levee.local/#/alarms"))
    }

    @Test func noRuleNoMessage() {
        var d = Self.dispatcher()
        var low = Self.gas()
        low.priority = "low"
        #expect(d.event(low, now: Self.monday10).isEmpty)
    }

    @Test func withoutAcknowledgementTheLadderClimbsOnTimeAndStopsAtTheTop() {
        var d = Self.dispatcher()
        _ = d.event(Self.gas(), now: Self.monday10)
        #expect(Self.sends(d.tick(now: Self.monday10.addingTimeInterval(599))).isEmpty)
        let second = d.tick(now: Self.monday10.addingTimeInterval(600))
        #expect(Self.sends(second).map(\.person) == ["shift"])
        #expect(Self.sends(second)[0].kind == .escalation)
        #expect(Self.sends(second)[0].text.contains("Escalated to rung 2"))
        #expect(second.contains { if case .journal("notify-escalated", _) = $0 { true } else { false } })
        let third = d.tick(now: Self.monday10.addingTimeInterval(1200))
        #expect(Self.sends(third).map(\.person) == ["厂长"])
        // Rung 3 is the rule's last: nothing more, ever.
        #expect(d.tick(now: Self.monday10.addingTimeInterval(5000)).isEmpty)
        #expect(d.unacknowledged.count == 1)
    }

    @Test func anAcknowledgementStopsTheLadderAndIsPassedToLeveed() {
        var d = Self.dispatcher()
        _ = d.event(Self.gas(), now: Self.monday10)
        let actions = d.acknowledge(number: 1, by: "王工", via: "modem", now: Self.monday10.addingTimeInterval(30))
        #expect(actions.contains(.acknowledge(alarm: "gas-a1.h2", incident: 1, person: "王工", channel: "modem")))
        #expect(d.tick(now: Self.monday10.addingTimeInterval(3600)).isEmpty)
        #expect(d.unacknowledged.isEmpty)
        // A second reply changes nothing; an unknown number is journaled.
        #expect(d.acknowledge(number: 1, by: "shift", via: "modem", now: Self.monday10).isEmpty)
        #expect(d.acknowledge(number: 7, by: "王工", via: "modem", now: Self.monday10).count == 1)
    }

    @Test func anAcknowledgementOnTheDashboardAlsoStopsTheLadder() {
        var d = Self.dispatcher()
        _ = d.event(Self.gas(), now: Self.monday10)
        d.acknowledgedElsewhere(key: "gas-a1.h2", by: "operator", now: Self.monday10)
        #expect(d.tick(now: Self.monday10.addingTimeInterval(3600)).isEmpty)
    }

    @Test func repeatsOfAnOpenAlarmAreCountedNotSent() {
        var d = Self.dispatcher()
        _ = d.event(Self.gas(), now: Self.monday10)
        for i in 1...5 {
            #expect(d.event(Self.gas(), now: Self.monday10.addingTimeInterval(Double(i) * 10)).isEmpty)
        }
        #expect(d.state.incidents[0].repeats == 5)
        // Acknowledged and past the coalescing window, the same alarm is a new incident.
        _ = d.acknowledge(number: 1, by: "王工", via: "modem", now: Self.monday10.addingTimeInterval(60))
        #expect(d.event(Self.gas(), now: Self.monday10.addingTimeInterval(120)).isEmpty)
        let again = Self.sends(d.event(Self.gas(), now: Self.monday10.addingTimeInterval(1000)))
        #expect(again.first?.incident == 2)
    }

    @Test func aFloodBecomesTheCappedCountAndOneSummary() {
        var d = Self.dispatcher(Self.settings(rateLimit: 3))
        var toWang: [OutgoingMessage] = []
        for i in 0..<50 {
            let now = Self.monday10.addingTimeInterval(Double(i))
            toWang += Self.sends(d.event(Self.gas("a\(i)", firstOut: i == 0), now: now)).filter {
                $0.channel == "modem"
            }
            toWang += Self.sends(d.tick(now: now)).filter { $0.channel == "modem" }
        }
        #expect(toWang.count == 3)
        let summary = Self.sends(d.tick(now: Self.monday10.addingTimeInterval(300))).filter {
            $0.person == "王工" && $0.channel == "modem"
        }
        #expect(summary.count == 1)
        #expect(summary.first?.kind == .summary)
        #expect(summary.first?.text.contains("5分钟内47条报警") == true)
        #expect(summary.first?.text.contains("#4 ") == true)
    }

    @Test func nobodyOnRungOneMeansRungTwoAtOnce() {
        var people = Self.settings().oncall
        people[0].days = [6, 7]  // weekends only; monday10 is a Monday
        var d = Self.dispatcher(Self.settings(people: people))
        let actions = d.event(Self.gas(), now: Self.monday10)
        #expect(Self.sends(actions).map(\.person) == ["shift"])
        #expect(actions.contains { if case .journal("notify-skipped", _) = $0 { true } else { false } })
    }

    @Test func informationOnlyRulesDoNotEscalate() {
        var d = Self.dispatcher()
        let e = NotifyEvent(key: "health:plc", kind: .health, title: "PLC 通讯中断", at: Self.monday10)
        let out = Self.sends(d.event(e, now: Self.monday10))
        #expect(out.count == 2)
        #expect(!out[0].text.contains("确认"))
        #expect(d.tick(now: Self.monday10.addingTimeInterval(7200)).isEmpty)
    }

    @Test func theStateSurvivesAnEncodeAndDecode() throws {
        var d = Self.dispatcher()
        _ = d.event(Self.gas(), now: Self.monday10)
        let data = try JSONEncoder().encode(d.state)
        let state = try JSONDecoder().decode(Dispatcher.State.self, from: data)
        var restored = Dispatcher(settings: d.settings, roster: d.roster, text: d.text, state: state)
        #expect(Self.sends(restored.tick(now: Self.monday10.addingTimeInterval(600))).map(\.person) == ["shift"])
    }
}

/// Who is on duty when, in the site's time zone.
struct RosterTests {
    @Test func shiftsAcrossMidnightBelongToTheDayTheyStart() {
        let night = OnCallEntry(name: "n", rung: 1, channels: ["x"], days: [1], fromMinute: 22 * 60, toMinute: 6 * 60)
        let roster = Roster(people: [night], zone: DispatcherTests.zone)
        let monday = DispatcherTests.monday10  // Monday 10:00
        #expect(!roster.covers(night, monday))
        #expect(roster.covers(night, monday.addingTimeInterval(13 * 3600)))  // Monday 23:00
        #expect(roster.covers(night, monday.addingTimeInterval(17 * 3600)))  // Tuesday 03:00
        #expect(!roster.covers(night, monday.addingTimeInterval(-8 * 3600)))  // Monday 02:00: Sunday's shift
        #expect(!roster.covers(night, monday.addingTimeInterval(20 * 3600)))  // Tuesday 06:00
    }

    @Test func weekdaysFollowTheCalendar() {
        let weekend = OnCallEntry(name: "w", rung: 1, channels: ["x"], days: [6, 7])
        let roster = Roster(people: [weekend], zone: DispatcherTests.zone)
        #expect(!roster.covers(weekend, DispatcherTests.monday10))
        #expect(roster.covers(weekend, DispatcherTests.monday10.addingTimeInterval(-86400)))  // Sunday
        #expect(roster.covers(weekend, DispatcherTests.monday10.addingTimeInterval(5 * 86400)))  // Saturday
    }
}

/// The words: Chinese by default, English on request, and the parts every message must have.
struct MessageTextTests {
    @Test func englishForAPersonWhoAsks() {
        let text = MessageText(siteName: "Hongda", zone: DispatcherTests.zone, dashboardURL: nil)
        let (title, body) = text.alarm(DispatcherTests.gas(), number: 12, rung: 2, acknowledge: true, language: "en")
        #expect(title == "[Hongda] #12 critical alarm")
        #expect(body.contains("Where: 罐区A可燃气体探测器(罐区A东侧)"))
        #expect(body.contains("Values: 浓度 62.5 %LEL (good)"))
        #expect(body.contains("Time: 12-07 10:00:00"))
        #expect(body.contains("Reply \"1 12\" to acknowledge."))
        #expect(!body.contains("http"))
    }

    @Test func aValueWithoutAReadingSaysSo() {
        var e = DispatcherTests.gas()
        e.values = [.init(name: "浓度", value: nil, quality: "comm-fail")]
        e.drill = true
        let (title, body) = MessageText(siteName: "宏达", zone: DispatcherTests.zone, dashboardURL: nil).alarm(
            e, number: 3, rung: 1, acknowledge: true, language: "zh")
        #expect(title == "[宏达] #3 【演练】紧急报警")
        #expect(body.contains("浓度 无读数 (通讯故障)"))
    }
}
