import Foundation
import HJ212
import Testing

@testable import Uplink

struct SessionTests {
    let samples = [
        UplinkSample(point: "outfall-1.cod", value: 21.5, quality: "good", at: t0),
        UplinkSample(point: "outfall-1.flow", value: nil, quality: "comm-fail", at: t0),
        UplinkSample(point: "outfall-1.ph", value: 7.2, quality: "good", bypassed: true, at: t0),
        UplinkSample(point: "not-reported", value: 1, quality: "good", at: t0),
    ]

    // MARK: - Real-time data

    @Test func realTimeDataGoesUpOnTheIntervalAskingForAcknowledgement() throws {
        var harness = Harness(configuration: testConfiguration(hourlyData: false), source: FakeSource(samples: samples))
        harness.run(until: at("20250301085130"))
        let realTime = harness.platform.received.filter { $0.cn == .realTimeData }
        #expect(realTime.compactMap { $0.cp["DataTime"] } == ["20250301085030", "20250301085100", "20250301085130"])
        let frame = try #require(realTime.first)
        #expect(frame.flag == .acknowledgement)
        #expect(frame.st == .waterPollutionSource)
        #expect(frame.mn == "010000A8900016F000169DC0")
        #expect(frame.pw == "123456")
        // Factors in code order; no value for a failed read; M for a bypassed instrument.
        #expect(
            frame.cp.text
                == "DataTime=20250301085030;w00000-Flag=B;w01001-Rtd=7.2,w01001-Flag=M;w01018-Rtd=21.5,w01018-Flag=N")
        #expect(Set(realTime.compactMap(\.qn)).count == realTime.count, "a QN per upload")
        #expect(harness.acknowledgements.filter { $0.cn == .realTimeData }.count == 3)
        #expect(harness.session.lastAcknowledgement != nil)
    }

    @Test func noRealTimeFrameWithoutSamples() {
        var harness = Harness(configuration: testConfiguration(hourlyData: false), source: FakeSource())
        harness.run(until: at("20250301085200"))
        #expect(harness.platform.received.filter { $0.cn == .realTimeData }.isEmpty)
    }

    // MARK: - Retries and timeouts

    @Test func noAcknowledgementMeansThreeRetriesTenSecondsApartThenTheLinkFails() throws {
        var harness = Harness(configuration: testConfiguration(hourlyData: false), source: FakeSource(samples: samples))
        harness.step()
        harness.platform.mode = .silent
        harness.run(until: at("20250301085130"))
        let sends = harness.sent.filter { $0.cn == .realTimeData }
        // The 08:50:30 frame, then again at :40, :50 and 08:51:00; at 08:51:10 the link has failed.
        #expect(sends.count == 4)
        #expect(Set(sends.compactMap(\.qn)).count == 1, "a retry keeps its QN")
        #expect(harness.failures.count == 1)
        let failure = try #require(harness.failures.first)
        #expect(failure.hasPrefix("no data reply (9014) to QN \(sends[0].qn!) (CN 2011) after 4 tries 10 s apart"))
        let retries = harness.journalled("uplink got no data reply in time, sending again")
        #expect(retries.filter { $0.metadata["cn"] == "2011" }.count == 3)
        // Reconnected 5 s later; the minute period 08:50 is still owed and goes once the platform answers again.
        harness.platform.mode = .up
        harness.run(until: at("20250301085230"))
        #expect(harness.platform.dataTimes(.minuteData).contains("20250301085000"))
    }

    @Test func anAcknowledgementOfARetryIsTaken() {
        let platform = FakePlatform()
        platform.acknowledges = { _, count in count == 3 }
        var harness = Harness(
            configuration: testConfiguration(hourlyData: false), source: FakeSource(samples: samples),
            platform: platform)
        harness.run(until: at("20250301085059"))
        #expect(harness.failures.isEmpty)
        #expect(harness.acknowledgements.map(\.cn) == [.realTimeData])
        #expect(harness.session.awaitingQN == nil)
    }

    @Test func aDataReplyForAnotherQNIsIgnored() {
        var harness = Harness(configuration: testConfiguration(hourlyData: false), source: FakeSource(samples: samples))
        harness.step()
        harness.platform.mode = .silent
        harness.run(until: at("20250301085031"))
        let awaiting = harness.session.awaitingQN
        #expect(awaiting != nil)
        let stray = harness.platform.builder.dataReply(to: "20250301085031999")
        _ = harness.request(stray)
        #expect(harness.session.awaitingQN == awaiting)
        #expect(harness.acknowledgements.isEmpty)
    }

    // MARK: - Platform requests

    func request(
        _ cn: CommandCode, _ fields: [(String, String)] = [], pw: String = "123456",
        mn: String = "010000A8900016F000169DC0"
    ) -> Frame {
        Frame(
            qn: "20250301085000123", st: "32", cn: cn, pw: pw, mn: mn, flag: .acknowledgement,
            cp: DataArea(fields: fields))
    }

    /// 9011, then the data, then 9012, every reply with the request's QN.
    func expectServed(_ replies: [Frame], exeRtn: String, data: [CommandCode]) {
        #expect(replies.first?.cn == .requestReply)
        #expect(replies.first?.cp["QnRtn"] == "1")
        #expect(replies.first?.st == .systemInteraction)
        #expect(replies.dropFirst().dropLast().map(\.cn) == data)
        #expect(replies.last?.cn == .executionResult)
        #expect(replies.last?.cp["ExeRtn"] == exeRtn)
        #expect(replies.allSatisfy { $0.qn == "20250301085000123" })
        #expect(replies.allSatisfy { $0.flag?.acknowledgementRequested == false })
    }

    @Test func aWrongPasswordOrMNIsRefused() {
        var harness = Harness()
        harness.step()
        let wrongPassword = harness.request(request(.getTime, pw: "654321"))
        #expect(wrongPassword.map(\.cn) == [.requestReply])
        #expect(wrongPassword.first?.cp["QnRtn"] == "3")
        let wrongMN = harness.request(request(.getTime, mn: "OTHERSTATION"))
        #expect(wrongMN.map(\.cn) == [.requestReply])
        #expect(wrongMN.first?.cp["QnRtn"] == "4")
        #expect(harness.journalled("uplink refused a platform request with a wrong password").count == 1)
        #expect(harness.journalled("uplink refused a platform request for another MN").count == 1)
    }

    @Test func getTime() {
        var harness = Harness()
        harness.step()
        let replies = harness.request(request(.getTime, [("PolId", "w01018")]))
        expectServed(replies, exeRtn: "1", data: [.getTime])
        #expect(replies[1].cp.text == "PolId=w01018;SystemTime=20250301085001")
        #expect(harness.journalled("uplink served a platform request").count == 1)
    }

    @Test func setTimeIsRefusedUnlessAllowed() {
        var refused = Harness()
        refused.step()
        let replies = refused.request(request(.setTime, [("SystemTime", "20250301090000")]))
        expectServed(replies, exeRtn: "2", data: [])
        #expect(refused.clockSets.isEmpty)
        #expect(refused.journalled("uplink refused to set the clock for the platform (allowTimeSet is off)").count == 1)

        var allowed = Harness(configuration: testConfiguration(allowTimeSet: true))
        allowed.step()
        expectServed(
            allowed.request(request(.setTime, [("SystemTime", "20250301090000")])), exeRtn: "1", data: [])
        #expect(allowed.clockSets == [at("20250301090000")])
        expectServed(allowed.request(request(.setTime, [("SystemTime", "2025-03-01")])), exeRtn: "2", data: [])
        #expect(allowed.clockSets.count == 1)
    }

    @Test func realTimeIntervalIsReadSetKeptAndUsed() {
        let store = MemoryUplinkStore()
        var harness = Harness(
            configuration: testConfiguration(hourlyData: false), store: store, source: FakeSource(samples: samples))
        harness.step()
        var replies = harness.request(request(.getRealTimeInterval))
        expectServed(replies, exeRtn: "1", data: [.getRealTimeInterval])
        #expect(replies[1].cp["RtdInterval"] == "30")

        expectServed(harness.request(request(.setRealTimeInterval, [("RtdInterval", "60")])), exeRtn: "1", data: [])
        replies = harness.request(request(.getRealTimeInterval))
        #expect(replies[1].cp["RtdInterval"] == "60")
        #expect(try! store.interval("RtdInterval") == 60)
        harness.run(until: at("20250301085400"))
        let times = harness.platform.received.filter { $0.cn == .realTimeData }.compactMap { $0.cp["DataTime"] }
        #expect(times == ["20250301085100", "20250301085200", "20250301085300", "20250301085400"])

        expectServed(harness.request(request(.setRealTimeInterval, [("RtdInterval", "0")])), exeRtn: "2", data: [])
        expectServed(harness.request(request(.setRealTimeInterval, [("RtdInterval", "x")])), exeRtn: "2", data: [])
        // A new session (leveed restarted) keeps the platform's interval.
        let restarted = UplinkSession(
            configuration: testConfiguration(), store: store, source: FakeSource(), now: harness.now)
        #expect(restarted.realTimeIntervalSeconds == 60)
    }

    @Test func minuteIntervalIsReadSetKeptAndUsed() {
        let store = MemoryUplinkStore()
        var harness = Harness(configuration: testConfiguration(hourlyData: false), store: store)
        harness.run(until: at("20250301085210"))
        var replies = harness.request(request(.getMinuteInterval))
        expectServed(replies, exeRtn: "1", data: [.getMinuteInterval])
        #expect(replies[1].cp["MinInterval"] == "1")

        expectServed(harness.request(request(.setMinuteInterval, [("MinInterval", "7")])), exeRtn: "2", data: [])
        expectServed(harness.request(request(.setMinuteInterval, [("MinInterval", "5")])), exeRtn: "1", data: [])
        replies = harness.request(request(.getMinuteInterval))
        #expect(replies[1].cp["MinInterval"] == "5")
        #expect(try! store.interval("MinInterval") == 5)
        harness.run(until: at("20250301090600"))
        // 08:50 and 08:51 on the old grid; then five-minute periods from the next one, 08:55.
        #expect(
            harness.platform.dataTimes(.minuteData)
                == ["20250301085000", "20250301085100", "20250301085500", "20250301090000"])
        let restarted = UplinkSession(
            configuration: testConfiguration(), store: store, source: FakeSource(), now: harness.now)
        #expect(restarted.minuteIntervalMinutes == 5)
    }

    /// The configuration's interval changed between two runs: minute periods start afresh on the new grid rather
    /// than mix the two.
    @Test func aMinuteIntervalChangedInTheConfigurationStartsPeriodsAfresh() {
        let store = MemoryUplinkStore()
        let platform = FakePlatform()
        var first = Harness(configuration: testConfiguration(hourlyData: false), store: store, platform: platform)
        first.run(until: at("20250301085310"))
        platform.mode = .down
        first.run(until: at("20250301085600"))
        var second = Harness(
            configuration: testConfiguration(minuteIntervalMinutes: 10, hourlyData: false), store: store,
            platform: platform, now: first.now)
        platform.mode = .up
        second.run(until: at("20250301091100"))
        #expect(
            platform.dataTimes(.minuteData)
                == ["20250301085000", "20250301085100", "20250301085200", "20250301090000"])
        #expect(
            second.journalled("uplink minute interval changed since the last run, minute periods start afresh").count
                == 1)
    }

    @Test func historyRequestsAnswerEachPeriodWithTheRequestQN() throws {
        var harness = Harness(configuration: testConfiguration(hourlyData: false))
        harness.run(until: at("20250301090000"))
        let replies = harness.request(
            request(.minuteData, [("BeginTime", "20250301085200"), ("EndTime", "20250301085400")]))
        expectServed(replies, exeRtn: "1", data: [.minuteData, .minuteData, .minuteData])
        #expect(
            replies.dropFirst().dropLast().compactMap { $0.cp["DataTime"] } == [
                "20250301085200", "20250301085300", "20250301085400",
            ])

        let hourly = harness.request(
            request(.hourlyData, [("BeginTime", "20250301070000"), ("EndTime", "20250301080000")]))
        expectServed(hourly, exeRtn: "1", data: [.hourlyData, .hourlyData])
        #expect(hourly[1].cp["DataTime"] == "20250301070000")

        let daily = harness.request(
            request(.dailyData, [("BeginTime", "20250227000000"), ("EndTime", "20250228000000")]))
        expectServed(daily, exeRtn: "1", data: [.dailyData, .dailyData])
        #expect(daily[1].cp["DataTime"] == "20250227000000")
        // The day starts at local midnight.
        #expect(daily[2].cp["w01018-Avg"] == HJ212Number.format(at("20250228000000").timeIntervalSince(t0) / 60))

        // Periods not complete yet are not answered.
        let future = harness.request(
            request(.minuteData, [("BeginTime", "20250301090000"), ("EndTime", "20250301091000")]))
        expectServed(future, exeRtn: "100", data: [])
    }

    @Test func historyWithoutDataIsExeRtn100AndBadRangesAreRefused() {
        let source = FakeSource()
        source.state.withLock { $0.only = [] }
        var harness = Harness(configuration: testConfiguration(hourlyData: false), source: source)
        harness.step()
        expectServed(
            harness.request(request(.minuteData, [("BeginTime", "20250301080000"), ("EndTime", "20250301081000")])),
            exeRtn: "100", data: [])
        for fields in [
            [("BeginTime", "20250301080000")],
            [("BeginTime", "2025030108"), ("EndTime", "20250301081000")],
            [("BeginTime", "20250301090000"), ("EndTime", "20250301080000")],
            [("BeginTime", "20240301000000"), ("EndTime", "20250301000000")],
        ] {
            let replies = harness.request(request(.minuteData, fields))
            #expect(replies.map(\.cn) == [.requestReply])
            #expect(replies.first?.cp["QnRtn"] == "2")
        }
    }

    @Test func realTimeDataOnRequest() {
        var harness = Harness(source: FakeSource(samples: samples))
        harness.step()
        let replies = harness.request(request(.realTimeData))
        expectServed(replies, exeRtn: "1", data: [.realTimeData])
        #expect(replies[1].cp["w01018-Rtd"] == "21.5")
    }

    @Test func anUnknownRequestIsRefused() {
        var harness = Harness()
        harness.step()
        let replies = harness.request(request("3020"))
        #expect(replies.map(\.cn) == [.requestReply])
        #expect(replies.first?.cp["QnRtn"] == "2")
        #expect(harness.journalled("uplink refused a platform request it does not serve").count == 1)
    }

    @Test func repliesFromThePlatformAreIgnored() {
        var harness = Harness()
        harness.step()
        let replies = harness.request(harness.platform.builder.requestReply(to: "20250301085000123", .accepted))
        #expect(replies.isEmpty)
    }

    // MARK: - Split messages

    @Test func aLargeUploadIsSplitAndOneAcknowledgementCoversIt() throws {
        var factors: [String: String] = [:]
        for n in 0..<60 { factors["point-\(n)"] = String(format: "w%05d", n) }
        var configuration = testConfiguration(hourlyData: false, maxSegmentLength: 400)
        configuration.factors = factors
        #expect(configuration.problems.isEmpty)
        var harness = Harness(configuration: configuration)
        harness.run(until: at("20250301085300"))
        let packets = harness.platform.received.filter { $0.cn == .minuteData }
        #expect(packets.count > 3)
        #expect(packets.allSatisfy { $0.segment.utf8.count <= 400 && $0.pnum != nil && $0.flag?.split == true })
        let messages = harness.platform.messages.filter { $0.cn == .minuteData }
        #expect(messages.compactMap { $0.cp["DataTime"] } == ["20250301085000", "20250301085100"])
        #expect(messages.allSatisfy { $0.cp.groups.count == 61 })
        #expect(harness.acknowledgements.filter { $0.cn == .minuteData }.count == 2)
        #expect(harness.failures.isEmpty)
    }

    @Test func aSplitRequestIsReassembledBeforeItIsServed() throws {
        var harness = Harness()
        harness.step()
        let whole = request(.getTime, (0..<40).map { ("PolId\($0)", "w010\($0)") })
        let packets = try whole.split(maxSegmentLength: 200)
        #expect(packets.count > 1)
        var replies: [Frame] = []
        for packet in packets { replies += harness.request(packet) }
        expectServed(replies, exeRtn: "1", data: [.getTime])
    }

    @Test func configurationProblemsNameTheKey() {
        var configuration = testConfiguration()
        configuration.port = 70_000
        configuration.mn = String(repeating: "A", count: 30)
        configuration.minuteIntervalMinutes = 7
        configuration.factors["outfall-2.cod"] = "w01018"
        let problems = configuration.problems
        #expect(problems.contains("port 70000 is outside 1...65535"))
        #expect(problems.contains("minuteIntervalMinutes 7 does not divide 60"))
        #expect(problems.contains { $0.hasPrefix("mn/pw/st: bad MN") })
        #expect(problems.contains { $0.contains("both report as w01018") })
        #expect(testConfiguration().problems.isEmpty)
    }
}
