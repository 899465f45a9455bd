import Testing

@testable import ParkLink

struct ParkTopicsTests {
    let topics = try! ParkTopics()

    @Test func theTreeUnderTheDefaultPrefix() {
        #expect(topics.online("plant-a") == "levee/plant-a/online")
        #expect(topics.state("plant-a") == "levee/plant-a/state")
        #expect(topics.device("plant-a", "rain-outlet-1") == "levee/plant-a/devices/rain-outlet-1")
        #expect(topics.defence("plant-a") == "levee/plant-a/defence")
        #expect(topics.alarms("plant-a") == "levee/plant-a/alarms")
        #expect(topics.alarmEvents("plant-a") == "levee/plant-a/alarms/events")
        #expect(topics.escalation("plant-a") == "levee/plant-a/escalation")
        #expect(topics.command("plant-a") == "levee/plant-a/cmd")
        #expect(topics.commandAck("plant-a") == "levee/plant-a/cmd/ack")
    }

    @Test func everyTopicParsesBackToItsSite() throws {
        let t = try ParkTopics(prefix: "cn/js/levee")
        let all: [(String, ParkTopic)] = [
            (t.online("p1"), .online(site: "p1")),
            (t.state("p1"), .state(site: "p1")),
            (t.device("p1", "v-2"), .device(site: "p1", device: "v-2")),
            (t.defence("p1"), .defence(site: "p1")),
            (t.alarms("p1"), .alarms(site: "p1")),
            (t.alarmEvents("p1"), .alarmEvents(site: "p1")),
            (t.escalation("p1"), .escalation(site: "p1")),
            (t.command("p1"), .command(site: "p1")),
            (t.commandAck("p1"), .commandAck(site: "p1")),
        ]
        for (topic, expected) in all { #expect(t.parse(topic) == expected, "\(topic)") }
        #expect(t.parse("levee/p1/state") == nil)
        #expect(t.parse("cn/js/levee/p1/unknown") == nil)
        #expect(t.parse("cn/js/levee/p1/devices") == nil)
        #expect(t.parse("cn/js/levee/p1/devices/a/b") == nil)
        #expect(t.parse("cn/js/levee/p1") == nil)
    }

    @Test(arguments: [
        ("", "is empty"),
        ("a/b", "contains \"/\""),
        ("plant+", "contains \"+\""),
        ("#", "contains \"#\""),
        ("nul\u{0}id", "contains NUL"),
        ("tab\tid", "control character"),
        (String(repeating: "x", count: 65), "longer than 64 bytes"),
        (String(repeating: "园", count: 22), "longer than 64 bytes"),
    ])
    func siteIDsThatCannotBeATopicLevelAreRefusedByName(id: String, problem: String) {
        #expect(!ParkTopics.isValid(id))
        do {
            try ParkTopics.validate(id)
            Issue.record("\(id) accepted")
        } catch {
            let text = "\(error)"
            #expect(text.contains("site id"))
            #expect(text.contains(problem), "\(text)")
            if !id.isEmpty, !id.contains("\u{0}"), !id.contains("\t") { #expect(text.contains("\"\(id)\"")) }
        }
    }

    @Test(arguments: ["plant-a", "PLANT_01", "化工厂-3", String(repeating: "x", count: 64), "a.b:c"])
    func ordinaryIDsPass(id: String) throws {
        try ParkTopics.validate(id)
    }

    @Test func aBadPrefixIsRefused() {
        #expect(throws: ParkTopicError.self) { try ParkTopics(prefix: "") }
        #expect(throws: ParkTopicError.self) { try ParkTopics(prefix: "levee/") }
        #expect(throws: ParkTopicError.self) { try ParkTopics(prefix: "levee/#") }
        #expect(throws: ParkTopicError.self) { try ParkTopics(prefix: "$SYS") }
    }

    @Test func subscriptionsNameEachPlantOrUseOneWildcard() {
        let subs = topics.parkSubscriptions(plants: ["p1"])
        #expect(
            subs == [
                "levee/p1/online", "levee/p1/state", "levee/p1/devices/+", "levee/p1/defence", "levee/p1/escalation",
                "levee/p1/alarms", "levee/p1/alarms/events", "levee/p1/cmd/ack",
            ])
        #expect(topics.parkWildcardSubscriptions().first == "levee/+/online")
        #expect(topics.plantSubscriptions(site: "p1") == ["levee/p1/cmd"])
    }

    @Test func publisherAndDirectoryRefuseBadIDs() {
        #expect(throws: ParkTopicError.self) { try PlantPublisher(topics: topics, site: "a/b") }
        #expect(throws: ParkTopicError.self) { try ParkDirectory(topics: topics, park: "park", plants: ["ok", "b+"]) }
    }
}
