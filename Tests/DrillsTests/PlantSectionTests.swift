import Drills
import Foundation
import Testing

struct PlantSectionTests {
    typealias Format = DrillReportRendererTests.Format
    typealias Plant = DrillReport.PlantSection
    typealias Step = DrillReport.PlantStep

    // MARK: - Model

    @Test func aReportWithPlantsRoundTripsThroughJSONAndCodable() throws {
        let report = Fixture.parkReport()
        let json = try report.json()
        #expect(json.contains(#""plants":[{"#))
        #expect(json.contains(#""commandedAt":1740787202250"#))
        let back = try DrillReport(json: json)
        #expect(back == report)
        #expect(back.plants.count == 5)
        #expect(back.plants[1].steps[0].failure == "no closed limit within 45 s")
        #expect(back.plants[2].latched == nil)

        var plain = report
        plain.startedAt = Date(timeIntervalSince1970: 1_740_787_200)
        for i in plain.plants.indices {
            for j in plain.plants[i].steps.indices {
                plain.plants[i].steps[j].commandedAt = Date(timeIntervalSince1970: 1_740_787_202)
                plain.plants[i].steps[j].confirmedAt = nil
            }
        }
        let data = try JSONEncoder().encode(plain)
        #expect(try JSONDecoder().decode(DrillReport.self, from: data) == plain)
    }

    /// A report stored before park drills has no `plants` key at all: it reads back with none, and as it was.
    @Test func aReportStoredBeforePlantsStillDecodes() throws {
        #expect(!Golden.storedBeforePlants.contains("plants"))
        let old = try DrillReport(json: Golden.storedBeforePlants)
        #expect(old.plants.isEmpty)
        #expect(old == Fixture.report())

        let minimal = #"""
            {"alarmRatePerTenMinutes":0,"alarms":[],"escalations":[],"failures":[],"id":"d","live":false,
            "localValves":[],"plan":"p","pools":[],"reason":"r","restore":[],"site":"s","siteName":"s",
            "startedAt":1740787200250,"startedBy":"u","strokes":[],"timeZone":"UTC","timeline":[]}
            """#
        let report = try DrillReport(json: minimal)
        #expect(report.plants.isEmpty)
        #expect(report.finishedAt == nil)
        #expect(report.startedAt == Fixture.t0)
    }

    @Test func aMissingRequiredKeyIsStillAnError() {
        let json = Golden.storedBeforePlants.replacingOccurrences(of: #""siteName":"#, with: #""siteNameX":"#)
        #expect(throws: DecodingError.self) { try DrillReport(json: json) }
    }

    @Test func theMemberwiseInitialiserTakesPlantsLastWithADefault() {
        let plant = Plant(plant: "p", plantName: "P", command: "c", result: "done", online: true)
        let report = DrillReport(
            id: "d", site: "s", siteName: "s", timeZone: "UTC", plan: "p", live: true, startedBy: "u", reason: "r",
            startedAt: Fixture.t0, restore: [], plants: [plant]
        )
        #expect(report.plants == [plant])
        #expect(Fixture.report().plants.isEmpty)
    }

    @Test func eachPlantIsCountedByWhatItAnsweredAndItsSteps() {
        let outcomes = Fixture.parkReport().plants.map(\.outcome)
        #expect(outcomes == [.confirmed, .failed, .noAnswer, .failed, .notConfirmed])

        let confirmed = Step(step: "s", device: "v", action: "close-valve", state: "confirmed")
        let plant = { (result: String, steps: [Step]) in
            Plant(plant: "p", plantName: "P", command: "c", result: result, online: true, steps: steps).outcome
        }
        #expect(plant("done", [confirmed]) == .confirmed)
        #expect(plant(" Done ", [confirmed]) == .confirmed)
        // Done with nothing to show for it, or a step never confirmed, is not proof.
        #expect(plant("done", []) == .notConfirmed)
        #expect(
            plant("done", [confirmed, Step(step: "t", device: "w", action: "open-valve", state: "waiting")])
                == .notConfirmed)
        #expect(plant("accepted", [confirmed]) == .notConfirmed)
        #expect(plant("weird", [confirmed]) == .notConfirmed)
        // A valve in local mode could not be commanded: that is a failure, whatever the answer.
        let manual = Step(step: "t", device: "w", action: "close-valve", state: "manualActionNeeded")
        #expect(plant("done", [confirmed, manual]) == .failed)
        var failedWithConfirmedState = confirmed
        failedWithConfirmedState.failure = "torque trip"
        #expect(plant("done", [failedWithConfirmedState]) == .failed)
        #expect(plant("failed", [confirmed]) == .failed)
        #expect(plant("REFUSED", []) == .failed)
        #expect(plant("no answer", [confirmed]) == .noAnswer)
    }

    @Test func allFailuresAddsThePlantsThatFailedOrDidNotAnswer() throws {
        let report = Fixture.parkReport()
        #expect(report.failures == Fixture.report().failures)
        let all = report.allFailures
        #expect(all.count == report.failures.count + 3)
        #expect(Array(all.prefix(report.failures.count)) == report.failures)
        let added = all.dropFirst(report.failures.count)
        let b = try #require(added.first { $0.contains("plant-b") })
        #expect(b.contains("乙制药"))
        #expect(b.contains("s1 (b-rain-outlet): no closed limit within 45 s"))
        let c = try #require(added.first { $0.contains("plant-c") })
        #expect(c.contains("无应答 no answer"))
        let d = try #require(added.first { $0.contains("plant-d") })
        #expect(d.contains("拒绝 refused: a real trip is latched"))
        #expect(!added.contains { $0.contains("plant-a") || $0.contains("plant-e") })
        #expect(report.plants[0].failure == nil)
        #expect(Fixture.report().allFailures == Fixture.report().failures)
    }

    // MARK: - Rendering

    /// Without plants, both renderings are byte for byte what they were before plants existed.
    @Test func aReportWithoutPlantsRendersExactlyAsBefore() {
        let empty = DrillReport(
            id: "d", site: "s", siteName: "s", timeZone: "Asia/Shanghai", plan: "p", live: false, startedBy: "u",
            reason: "r", startedAt: Fixture.t0, plants: []
        )
        #expect(DrillReportRenderer.html(Fixture.report()) == Golden.fullHTML)
        #expect(DrillReportRenderer.markdown(Fixture.report()) == Golden.fullMarkdown)
        #expect(DrillReportRenderer.html(empty) == Golden.emptyHTML)
        #expect(DrillReportRenderer.markdown(empty) == Golden.emptyMarkdown)
        for text in [Golden.fullHTML, Golden.fullMarkdown] {
            #expect(!text.contains("厂区"))
            #expect(!text.contains("Plants"))
        }
    }

    @Test(arguments: Format.allCases)
    func everyPlantHasItsSectionBetweenTheStrokesAndTheFailures(format: Format) throws {
        let text = format.render(Fixture.parkReport())
        let plants = try #require(text.range(of: format == .html ? "<h2>厂区 Plants</h2>" : "## 厂区 Plants"))
        let strokes = try #require(text.range(of: "阀门行程 Valve strokes"))
        let failures = try #require(text.range(of: "故障 Failures", range: plants.upperBound..<text.endIndex))
        #expect(strokes.upperBound < plants.lowerBound)
        #expect(plants.upperBound < failures.lowerBound)
        for plant in Fixture.parkReport().plants {
            #expect(text.contains("厂区 Plant \(plant.plantName) (\(plant.plant))"), "\(format) lacks \(plant.plant)")
            for step in plant.steps { #expect(text.contains(step.device)) }
            for outlet in plant.outlets { #expect(text.contains("\(outlet.name) (\(outlet.device))")) }
        }
        #expect(text.contains("drill plant-wide (live)"))
        #expect(text.contains("a real trip is latched"))
        #expect(text.contains("离线 offline"))
    }

    @Test(arguments: Format.allCases)
    func theSummarySaysHowManyPlantsConfirmedFailedAndDidNotAnswer(format: Format) throws {
        let text = format.render(Fixture.parkReport())
        let summary = "5 plants: 1 confirmed every step, 2 with failures, 1 no answer, 1 not confirmed"
        let line = try #require(text.components(separatedBy: "\n").first { $0.contains(summary) })
        #expect(line.contains("5 个厂区：1 个全部步骤已确认，2 个有故障，1 个无应答，1 个未确认"))
        #expect(line.contains("厂区 Plants"))
        // Near the top: in the summary, before the timeline.
        let timeline = try #require(text.range(of: "时间线 Timeline"))
        #expect(try #require(text.range(of: summary)).upperBound < timeline.lowerBound)
        // The failures count includes the three plants.
        #expect(text.contains(format == .html ? "故障 Failures</td><td class=\"flag\">4<" : "故障 Failures | **4** |"))

        var three = Fixture.parkReport()
        three.plants = Array(three.plants.prefix(3))
        #expect(format.render(three).contains("3 plants: 1 confirmed every step, 1 with failures, 1 no answer"))
        #expect(!format.render(three).contains("not confirmed,"))
    }

    @Test(arguments: Format.allCases)
    func stepsShowTheirTimesMeasuredSecondsAndFailures(format: Format) throws {
        let text = format.render(Fixture.parkReport())
        let rows = text.components(separatedBy: "\n")
        let a = try #require(rows.first { $0.contains("a-rain-outlet") && $0.contains("close valve") })
        #expect(a.contains("2025-03-01 08:00:02.250"))  // commanded
        #expect(a.contains("2025-03-01 08:00:21.750"))  // confirmed
        #expect(a.contains("19.5"))
        #expect(a.contains("已确认 confirmed"))
        let pump = try #require(rows.first { $0.contains("a-pump") })
        #expect(pump.contains("2025-03-01 08:00:03.750"))
        #expect(pump.contains("1.5"))
        let b = try #require(rows.first { $0.contains("b-rain-outlet") && $0.contains("no closed limit") })
        #expect(b.contains("2025-03-01 08:00:02.375"))
        #expect(b.contains("45.0"))
        let e = try #require(rows.first { $0.contains("e-gate") && $0.contains("commanded") })
        #expect(e.contains("未确认 not confirmed"))
        if format == .html {
            #expect(b.contains(#"<td class="flag">失败 failed</td>"#))
            #expect(b.contains(#"<td class="flag">no closed limit within 45 s</td>"#))
            #expect(!a.contains("flag"))
        } else {
            #expect(b.contains("**失败 failed**"))
            #expect(b.contains("**no closed limit within 45 s**"))
            #expect(!a.contains("**"))
        }
    }

    @Test(arguments: Format.allCases)
    func refusedFailedAndUnansweredResultsAreFlagged(format: Format) {
        var report = Fixture.parkReport()
        report.plants[4].result = "failed"
        let text = format.render(report)
        for result in ["拒绝 refused", "无应答 no answer", "失败 failed"] {
            let flagged = format == .html ? #"<td class="flag">\#(result)</td>"# : "**\(result)**"
            #expect(text.contains(flagged), "\(format): \(result) not flagged")
        }
        #expect(text.contains(format == .html ? "<td>完成 done</td>" : "| 完成 done |"))
        if format == .html {
            #expect(text.contains(#"<h3 class="flag">厂区 Plant 丁环保 (plant-d)</h3>"#))
            #expect(text.contains("<h3>厂区 Plant 甲化工 (plant-a)</h3>"))
        } else {
            #expect(text.contains("### **厂区 Plant 丁环保 (plant-d)**"))
            #expect(text.contains("### 厂区 Plant 甲化工 (plant-a)\n"))
        }
    }

    /// A position whose reading is not good is never shown on its own.
    @Test(arguments: Format.allCases)
    func aNonGoodQualityIsShownWithThePosition(format: Format) throws {
        let text = format.render(Fixture.parkReport())
        let rows = text.components(separatedBy: "\n")
        let stale = try #require(rows.first { $0.contains("乙雨水排口") })
        #expect(stale.contains("关 closed (stale)"))
        let commFail = try #require(rows.first { $0.contains("丙排口") })
        #expect(commFail.contains("未知 unknown (comm-fail)"))
        let good = try #require(rows.first { $0.contains("甲雨水排口") })
        #expect(good.contains("关 closed"))
        #expect(!good.contains("关 closed ("))
        if format == .html {
            #expect(stale.contains(#"<td class="flag">关 closed (stale)</td><td class="flag">stale</td>"#))
            #expect(!stale.contains("<td>关 closed</td>"))
            #expect(good.contains("<td>关 closed</td><td>good</td>"))
        } else {
            #expect(stale.contains("| **关 closed (stale)** | **stale** |"))
            #expect(!stale.contains("| 关 closed |"))
            #expect(good.contains("| 关 closed | good |"))
        }
    }

    @Test(arguments: Format.allCases)
    func thePlantsThatFailedAreInTheFailuresSection(format: Format) throws {
        let text = format.render(Fixture.parkReport())
        let heading = format == .html ? "<h2>故障 Failures</h2>" : "## 故障 Failures"
        let start = try #require(text.range(of: heading))
        let end = try #require(text.range(of: "就地模式阀门", range: start.upperBound..<text.endIndex))
        let failures = text[start.upperBound..<end.lowerBound]
        #expect(failures.contains("pool inlet did not open within 90 s"))
        for plant in ["plant-b", "plant-c", "plant-d"] { #expect(failures.contains(plant)) }
        for plant in ["plant-a", "plant-e"] { #expect(!failures.contains(plant)) }
        let item = format == .html ? "<li>" : "- "
        #expect(failures.components(separatedBy: item).count - 1 == 4)
    }

    @Test func htmlEscapesAHostilePlant() {
        let hostile = #"<script>alert("x")</script> & 'quoted'"#
        var report = Fixture.parkReport(plantName: hostile)
        report.plants[0].result = "no answer"  // so that the name is in the failures too
        report.plants[0].message = hostile
        report.plants[0].command = hostile
        report.plants[0].steps[0].failure = hostile
        report.plants[0].steps[0].device = hostile
        report.plants[0].outlets[0].name = hostile
        report.plants[0].outlets[0].quality = hostile
        let html = DrillReportRenderer.html(report)
        let escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;"
        // The heading; the failure sentence's name, command, message, step device and step failure; the command and
        // message; the step's device and failure; the outlet's name, and its quality both with the position and alone.
        #expect(html.components(separatedBy: escaped).count - 1 == 13)
        #expect(!html.contains("<script"))
        #expect(!html.contains(hostile))
        for forbidden in ["http://", "https://", "src=", "<link", "<img", "url(", "@import"] {
            #expect(!html.contains(forbidden), "the HTML contains \(forbidden)")
        }
        #expect(html.hasSuffix("</html>\n"))
    }

    @Test func markdownEscapesAHostilePlant() {
        var report = Fixture.parkReport(plantName: "a|b <script>\n# x")
        report.plants[0].outlets[0].quality = "st*ale"
        let md = DrillReportRenderer.markdown(report)
        #expect(md.contains(##"### 厂区 Plant a\|b \<script\> \# x (plant-a)"##))
        #expect(md.contains(#"关 closed (st\*ale)"#))
        let unescaped = zip(md, md.dropFirst()).filter { $0.1 == "<" && $0.0 != "\\" }
        #expect(unescaped.isEmpty)
        // No plant text starts a line of its own: every table row still begins with a pipe.
        #expect(!md.contains("\n# x"))
    }

    @Test func htmlStylesThePlantHeadingsOnlyWhenThereArePlants() {
        let html = DrillReportRenderer.html(Fixture.parkReport())
        #expect(html.contains("h3.flag {"))
        #expect(!DrillReportRenderer.html(Fixture.report()).contains("h3"))
    }
}
