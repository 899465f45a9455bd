import Drills
import Foundation
import Testing

struct DrillReportRendererTests {
    enum Format: String, CaseIterable {
        case html, markdown

        func render(_ report: DrillReport) -> String {
            switch self {
            case .html: DrillReportRenderer.html(report)
            case .markdown: DrillReportRenderer.markdown(report)
            }
        }
    }

    @Test(arguments: Format.allCases)
    func everySectionHeadingAndEveryValveIsThere(format: Format) {
        let text = format.render(Fixture.report())
        for heading in Fixture.headings {
            #expect(text.contains(heading), "\(format) lacks \(heading)")
        }
        for stroke in Fixture.strokes {
            #expect(text.contains(stroke.valve), "\(format) lacks \(stroke.valve)")
            #expect(text.contains(stroke.valveName), "\(format) lacks \(stroke.valveName)")
        }
        #expect(text.contains("sewage-outlet"))
        #expect(text.contains("事故应急池"))
    }

    /// An empty section still shows its heading and says so, so that "no failures" reads differently from "left out".
    @Test(arguments: Format.allCases)
    func anEmptyReportKeepsEverySectionAndSaysNone(format: Format) {
        let report = DrillReport(
            id: "d", site: "s", siteName: "s", timeZone: "Asia/Shanghai", plan: "p", live: false, startedBy: "u",
            reason: "r", startedAt: Fixture.t0
        )
        let text = format.render(report)
        for heading in Fixture.headings { #expect(text.contains(heading)) }
        #expect(text.components(separatedBy: "无 None").count - 1 == 8)
        #expect(text.contains("未结束 not finished"))
    }

    @Test(arguments: Format.allCases)
    func theTitleSaysDrillAndWhetherLive(format: Format) {
        let live = format.render(Fixture.report(live: true))
        let tabletop = format.render(Fixture.report(live: false))
        for text in [live, tabletop] {
            #expect(text.contains("演练 DRILL"))
        }
        #expect(live.contains("实战演练 Live drill on real equipment"))
        #expect(!live.contains("桌面推演"))
        #expect(tabletop.contains("桌面推演 Tabletop check"))
        #expect(!tabletop.contains("实战演练"))
        if format == .html {
            #expect(live.contains("<title>演练 DRILL (实战演练 live) · 验证演练报告 Drill report"))
            #expect(tabletop.contains("<h1>演练 DRILL (桌面推演 tabletop check) · 验证演练报告 Drill report"))
        } else {
            #expect(live.hasPrefix("# 演练 DRILL (实战演练 live) · 验证演练报告 Drill report"))
            #expect(tabletop.hasPrefix("# 演练 DRILL (桌面推演 tabletop check) · 验证演练报告 Drill report"))
        }
    }

    @Test(arguments: Format.allCases)
    func strokesShowBaselineRatioAndFlags(format: Format) throws {
        let text = format.render(Fixture.report())
        let rows = text.components(separatedBy: "\n")
        let drifted = try #require(rows.first { $0.contains("rain-outlet-1") && $0.contains("34.2") })
        #expect(drifted.contains("20.0"))  // configured
        #expect(drifted.contains("18.1 中位数 median"))  // baseline 18.05 shown to one decimal
        #expect(drifted.contains("×1.89"))
        #expect(drifted.contains("超时漂移 DRIFT"))
        let ok = try #require(rows.first { $0.contains("bund-a-drain") })
        #expect(ok.contains("15.0 配置 configured"))
        #expect(ok.contains("正常 OK"))
        #expect(!ok.contains("DRIFT"))
        let unconfirmed = try #require(rows.first { $0.contains("pool-inlet") && $0.contains("90.0") })
        #expect(unconfirmed.contains("未确认 not confirmed"))
        #expect(!unconfirmed.contains("DRIFT"))
    }

    @Test func htmlEscapesEveryTextField() {
        let hostile = #"<script>alert("x")</script> & 'quoted'"#
        var report = Fixture.report(valveName: hostile)
        report.siteName = hostile
        report.failures = [hostile]
        report.timeline[0].text = hostile
        report.escalations = ["<b>bold</b>"]
        let html = DrillReportRenderer.html(report)
        let escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;"
        #expect(html.components(separatedBy: escaped).count - 1 == 4)
        #expect(!html.contains("<script"))
        #expect(!html.contains("<b>"))
        #expect(html.contains("&lt;b&gt;bold&lt;/b&gt;"))
    }

    @Test func markdownEscapesTableBreakersAndHTML() {
        let report = Fixture.report(valveName: "a|b <script>\nx")
        let md = DrillReportRenderer.markdown(report)
        #expect(md.contains(#"a\|b \<script\> x"#))
        // Every < is backslash-escaped, so no Markdown renderer passes it through as raw HTML.
        let unescaped = zip(md, md.dropFirst()).filter { $0.1 == "<" && $0.0 != "\\" }
        #expect(unescaped.isEmpty)
        #expect(md.first != "<")
    }

    @Test func htmlIsOneSelfContainedUTF8File() {
        let html = DrillReportRenderer.html(Fixture.report(valveName: "<script>"))
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains(#"<meta charset="utf-8">"#))
        #expect(html.contains("<style>"))
        for forbidden in ["http://", "https://", "<script", "src=", "<link", "<img", "url(", "@import"] {
            #expect(!html.contains(forbidden), "the HTML contains \(forbidden)")
        }
        #expect(html.hasSuffix("</html>\n"))
    }

    /// 00:00:00.250 UTC is 08:00:00.250 in Shanghai, and the zone is named.
    @Test(arguments: Format.allCases)
    func timesAreShownInTheReportsZone(format: Format) {
        let text = format.render(Fixture.report())
        #expect(text.contains("2025-03-01 08:00:00.250"))
        #expect(text.contains("2025-03-01 08:30:05.750"))  // finished, 1805.5 s later
        #expect(text.contains("2025-03-01 08:00:34.950"))  // confirmed
        #expect(text.contains("Asia/Shanghai (UTC+08:00)"))
        #expect(!text.contains("2025-03-01 00:00:00.250"))
        // 1805.5 s, as a stopwatch shows it.
        #expect(text.contains(format == .html ? "用时 Duration</td><td>30:05<" : "用时 Duration | 30:05 |"))
    }

    @Test func otherZonesAndUnknownOnes() {
        var report = Fixture.report()
        report.timeZone = "America/New_York"
        let ny = DrillReportRenderer.markdown(report)
        #expect(ny.contains("2025-02-28 19:00:00.250"))
        #expect(ny.contains("America/New\\_York (UTC-05:00)"))

        report.timeZone = "Mars/Olympus"
        let unknown = DrillReportRenderer.markdown(report)
        #expect(unknown.contains("2025-03-01 00:00:00.250"))
        #expect(unknown.contains("unknown time zone"))
    }

    @Test func theTimelineIsInTimeOrder() throws {
        let md = DrillReportRenderer.markdown(Fixture.report())
        let trigger = try #require(md.range(of: "触发 trigger"))
        let command = try #require(md.range(of: "指令 command"))
        #expect(trigger.lowerBound < command.lowerBound)
    }
}
