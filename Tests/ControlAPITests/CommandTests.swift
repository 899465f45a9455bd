import ControlAPI
import Foundation
import Messages
import Testing

/// The typed control protocol on the wire: every command survives the trip, numbers are range-checked where a
/// command is decoded, and a client one version apart is refused naming both versions.
struct CommandTests {
    static let examples: [ControlCommand] = [
        .ping, .status, .alarms, .ack(alarm: "a.b.H", reason: "seen"),
        .shelve(alarm: "a.b.H", reason: "swap", seconds: 600), .unshelve(alarm: "a.b.H", reason: nil),
        .removeFromService(alarm: "a.b.H", reason: "broken"), .returnToService(alarm: "a.b.H", reason: "fixed"),
        .silence(reason: nil), .command(device: "rain-outlet-1", command: "close", reason: "storm"),
        .shutoff(plan: "tank-farm-a", reason: "spill"), .reset(reason: "clear", override: true),
        .restore(reason: "all clear", dryRun: true, open: ["rain-outlet-1"]),
        .bypass(interlock: "gas-a-level2", reason: "calibration", seconds: 1800), .unbypass(interlock: "gas-a-level2"),
        .escalate(reason: "pool filling"), .drillStart(plan: nil, live: true, reason: "annual"),
        .drillCheck(plan: "plant-wide"), .drills, .drillReport(drill: "latest", format: "html"),
        .parkConfirm(catchment: "river", reason: "confirmed"), .metrics, .watch(journal: false), .watch(journal: true),
    ]

    @Test func everyCommandSurvivesTheWire() throws {
        #expect(Set(Self.examples.map(\.op)) == Set(ControlCommand.Op.allCases))
        for command in Self.examples {
            let request = ControlRequest(command, actor: ControlActor(user: "u", address: "10.0.0.1", role: .admin))
            let line = try JSONEncoder.control.encode(request)
            #expect(try JSONDecoder.control.decode(ControlRequest.self, from: line) == request, "\(command)")
            let json = try JSONSerialization.jsonObject(with: line) as? [String: Any]
            #expect(json?["op"] as? String == command.op.rawValue)
            #expect(json?["version"] as? Int == ControlProtocol.version)
        }
    }

    @Test func numbersAreCheckedWhereTheCommandIsDecoded() throws {
        func refusal(_ json: String) -> ControlRefusal? {
            do {
                _ = try JSONDecoder.control.decode(ControlRequest.self, from: Data(json.utf8))
                return nil
            } catch {
                return error as? ControlRefusal
            }
        }
        let shelve = refusal(#"{"version":2,"op":"shelve","alarm":"x","reason":"r","seconds":1e21}"#)
        #expect(shelve == ControlRefusal(.badRequest, #"shelve refused: "seconds" 1e+21 is outside 1...2592000"#))
        let bypass = refusal(#"{"version":2,"op":"bypass","interlock":"i","reason":"r","seconds":86401}"#)
        #expect(bypass == ControlRefusal(.badRequest, #"bypass refused: "seconds" 86401 is outside 1...86400"#))
        #expect(refusal(#"{"version":2,"op":"ack","reason":"r"}"#)?.message == #"ack needs the field "alarm""#)
        #expect(refusal(#"{"version":2,"op":"format-disk"}"#)?.message.hasPrefix(#"unknown op "format-disk""#) == true)
        #expect(refusal(#"{"op":"ping"}"#) == ControlRefusal(.badRequest, "protocol version 1, daemon speaks 2"))
        #expect(refusal(#"{"version":3,"op":"ping"}"#)?.message == "protocol version 3, daemon speaks 2")
    }

    @Test func repliesAndRefusalsKeepTheirType() throws {
        let results: [ControlResult] = [
            .success(.done("reset by root; nothing was reopened")), .success(.done(nil)),
            .success(.alarms([])), .success(.drills([])), .success(.report("# 演练")),
            .success(
                .restore(RestoreSummary(plan: "p", items: []), said: Message(.replyRestoreDryRun, ["counts": "0"]))),
            .success(.journal([])),
            .success(
                .journal([
                    JournalEntry(
                        id: 42, at: Date(timeIntervalSince1970: 1_740_787_200_123 / 1000), kind: "alarm",
                        source: "gas-a1",
                        message: "可燃气体浓度高高报警", details: #"{"value":52}"#, drill: false)
                ])),
            .failure(ControlRefusal(.notFound, "no alarm x")), .failure(ControlRefusal(.unavailable, "busy")),
            // Texts from the catalogue travel as id and arguments, the English beside them.
            .success(.said(Message(.replyReset, ["user": "root"]))),
            .failure(
                ControlRefusal(.conflict, Message(.refusalReset, ["reason": .message(.literal("button b1 pressed"))]))),
            .success(
                .journal([
                    JournalEntry(
                        id: 43, at: Date(timeIntervalSince1970: 1_740_787_200), kind: "alarm", source: "gas-a1",
                        message: "Comm failure: gas-a1", details: nil, drill: false,
                        text: Message(.alarmCommFail, ["subject": "gas-a1"]))
                ])),
        ]
        for result in results {
            let wire = try JSONEncoder.control.encode(ControlResponse(result))
            let back = try JSONDecoder.control.decode(ControlResponse.self, from: wire)
            #expect(back.result == result)
            #expect(back.version == ControlProtocol.version)
        }
    }

    @Test func eachCommandHasItsLeastRole() {
        #expect(ControlCommand.status.leastRole == .viewer)
        #expect(ControlCommand.shutoff(plan: nil, reason: "x").leastRole == .operator)
        #expect(ControlCommand.reset(reason: "x", override: false).leastRole == .operator)
        #expect(ControlCommand.reset(reason: "x", override: true).leastRole == .admin)
        #expect(ControlCommand.restore(reason: "x", dryRun: false, open: ["o"]).leastRole == .admin)
        #expect(ControlCommand.bypass(interlock: "i", reason: "x", seconds: nil).leastRole == .admin)
        #expect(ControlCommand.removeFromService(alarm: "a", reason: "x").leastRole == .admin)
    }
}

struct CatalogueOnTheWireTests {
    /// A reply from the catalogue carries its English as `message` for clients that render no catalogue, and the
    /// message itself for those that do.
    @Test func aSaidReplyCarriesItsEnglishAndItsMessage() throws {
        let wire = try JSONEncoder.control.encode(
            ControlResponse(.success(.said(Message(.replyReset, ["user": "root"])))))
        let json = String(decoding: wire, as: UTF8.self)
        #expect(json.contains(#""message":"reset by root; nothing was reopened""#))
        #expect(json.contains(#""text":{"args":{"user":"root"},"id":"reply.reset"}"#))
        let refused = try JSONEncoder.control.encode(
            ControlResponse(.failure(ControlRefusal(.conflict, Message(.refusalReset, ["reason": "x"])))))
        #expect(
            String(decoding: refused, as: UTF8.self).contains(
                #""errorText":{"args":{"reason":"x"},"id":"refusal.reset"}"#))
        #expect(Message(.refusalReset, ["reason": "x"]).render(.zhCN) == "复位被拒绝：x")
    }
}
