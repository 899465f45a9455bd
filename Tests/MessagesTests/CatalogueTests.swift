import Foundation
import Messages
import Testing

struct CatalogueTests {
    /// Every message has both languages, and both use the same placeholders: a message without its Chinese, or a
    /// translation that drops or renames an argument, fails here.
    @Test(arguments: MessageID.allCases) func everyMessageHasBothLanguagesWithTheSamePlaceholders(_ id: MessageID) {
        let (zh, en) = id.templates
        #expect(!zh.trimmingCharacters(in: .whitespaces).isEmpty, "\(id.rawValue): no zh-CN text")
        #expect(!en.trimmingCharacters(in: .whitespaces).isEmpty, "\(id.rawValue): no en text")
        #expect(
            MessageCatalogue.placeholders(zh) == MessageCatalogue.placeholders(en),
            "\(id.rawValue): zh-CN \(MessageCatalogue.placeholders(zh)) vs en \(MessageCatalogue.placeholders(en))")
        // Braces balance, so no placeholder is half written.
        for t in [zh, en] {
            #expect(t.filter { $0 == "{" }.count == t.filter { $0 == "}" }.count, "\(id.rawValue): \(t)")
        }
    }

    /// The Chinese text is Chinese: a zh-CN template that is the English one (an untranslated copy) fails, except
    /// for the building blocks that hold no words.
    @Test func chineseTextsAreNotEnglishCopies() {
        let wordless: Set<MessageID> = [.literal, .withDetail, .alarmWithPool]
        for id in MessageID.allCases where !wordless.contains(id) {
            #expect(id.templates.zhCN != id.templates.en, "\(id.rawValue) is not translated")
            // Han characters, or at least Chinese punctuation (the trigger "{who}（{from}）：{why}").
            #expect(
                id.templates.zhCN.unicodeScalars.contains {
                    (0x4E00...0x9FFF).contains($0.value) || (0x3000...0x303F).contains($0.value)
                        || (0xFF00...0xFFEF).contains($0.value)
                },
                "\(id.rawValue): zh-CN has no Chinese: \(id.templates.zhCN)")
        }
    }

    @Test func idsAreUnique() {
        #expect(Set(MessageID.allCases.map(\.rawValue)).count == MessageID.allCases.count)
    }

    /// The word choices of the control room: 汇水分区 for a park catchment, "数据未刷新" for stale data, never the old words.
    @Test func chineseWordChoices() {
        for id in MessageID.allCases {
            #expect(!id.templates.zhCN.contains("流域"), "\(id.rawValue)")
            #expect(!id.templates.zhCN.contains("数据陈旧"), "\(id.rawValue)")
        }
        #expect(Message(.alarmStale, ["subject": "gas-a1.concentration"]).render(.zhCN) == "数据未刷新：gas-a1.concentration")
        #expect(MessageID.nextPlantEscalated.templates.zhCN.contains("汇水分区"))
    }

    @Test func aMessageRendersInEachLanguage() {
        let m = Message(.alarmFailedToMoveMeasured, ["subject": "valve-a-rain", "seconds": "45.2"])
        #expect(m.render(.zhCN) == "阀门未到位：valve-a-rain，实测 45.2 s")
        #expect(m.render(.en) == "Valve failed to move: valve-a-rain, measured 45.2 s")
    }

    /// The alarm text is one text per language, no longer "需现场手动操作 manual action needed: … — manual action
    /// needed at …".
    @Test func manualActionIsOneTextPerLanguage() {
        let m = Message(.defenceManualActionAt, ["valve": "sewage-outlet", "location": "污水总排口"])
        #expect(m.render(.zhCN) == "需现场手动操作：sewage-outlet（污水总排口）处于就地模式，无法远程关闭")
        #expect(m.render(.en) == "Manual action needed at sewage-outlet (污水总排口): the valve is in local mode")
        #expect(!m.render(.en).contains("需现场"))
    }

    @Test func nestedMessagesRenderInTheSameLanguage() {
        let why = Message(.triggerCondition, ["interlock": "gas-a-high", "point": "gas-a1.concentration"])
        let trigger = Message(
            .trigger, ["who": "interlock gas-a-high", "from": "gas-a1.concentration", "why": .message(why)])
        let trip = Message(.tripped, ["plan": "tank-farm-a", "trigger": .message(trigger)]).asDrill
        #expect(
            trip.render(.en)
                == "DRILL: tripped plan tank-farm-a — interlock gas-a-high from gas-a1.concentration: condition gas-a-high active on gas-a1.concentration"
        )
        #expect(
            trip.render(.zhCN)
                == "演练：已执行关断方案 tank-farm-a — interlock gas-a-high（gas-a1.concentration）：联锁条件 gas-a-high 在 gas-a1.concentration 上成立"
        )
    }

    @Test func joinedPartsUseEachLanguagesSeparator() {
        let parts = [
            Message(.statusLatched), Message(.statusDevicesAnswering, ["answering": "21", "total": "22"]),
            Message(.statusDown, ["devices": "gas-b1"]),
        ]
        let line = Message.joined(parts)!
        #expect(line.render(.en) == "SHUTOFF LATCHED; 21/22 devices answering; down: gas-b1")
        #expect(line.render(.zhCN) == "关断已锁定；21/22 台设备应答；离线：gas-b1")
        #expect(Message.joined([]) == nil)
    }

    /// English plurals: "1 alarm", "2 alarms", never "1 alarms".
    @Test func englishPlurals() {
        #expect(
            Message(.statusAlarms, ["count": "1", "unacknowledged": "0"]).render(.en) == "1 alarm (0 unacknowledged)")
        #expect(
            Message(.statusAlarms, ["count": "3", "unacknowledged": "2"]).render(.en) == "3 alarms (2 unacknowledged)")
        #expect(
            Message(.statusDevicesAnswering, ["answering": "1", "total": "1"]).render(.en) == "1/1 device answering")
        #expect(Message(.statusAlarms, ["count": "1", "unacknowledged": "0"]).render(.zhCN) == "1 条报警（0 条未确认）")
    }

    @Test func aMissingArgumentShowsItsName() {
        #expect(Message(.alarmCommFail).render(.en) == "Comm failure: {subject}")
    }

    /// Numbers are written with the precision asked, whatever the process's locale.
    @Test func numbersKeepTheirPrecision() {
        #expect(Message.number(140, decimals: 1) == "140.0")
        #expect(Message.number(45.25, decimals: 1) == "45.3")
        #expect(Message.number(12.300000000000001, decimals: 2) == "12.30")
        #expect(Message.number(-0.04, decimals: 1) == "0.0")
        #expect(Message.number(-3.5, decimals: 0) == "-4")
        #expect(Message.number(1234567.891, decimals: 3) == "1234567.891")
        #expect(Message.number(.nan, decimals: 1) == "—")
    }

    /// The journal's form: the id and arguments as JSON, nested messages as objects; read back equal.
    @Test func aMessageRoundTripsThroughJSON() throws {
        let m = Message(
            .tripped,
            [
                "plan": "p",
                "trigger": .message(Message(.trigger, ["who": "w", "from": "f", "why": .message(.literal("x"))])),
            ])
        let data = try JSONEncoder().encode(m)
        #expect(try JSONDecoder().decode(Message.self, from: data) == m)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains("\"id\":\"trip.tripped\""))
    }

    @Test func languageTags() {
        #expect(Language(tag: "zh_CN.UTF-8") == .zhCN)
        #expect(Language(tag: "zh-Hans;q=0.9, en") == .zhCN)
        #expect(Language(tag: "en-US,en;q=0.8") == .en)
        #expect(Language(tag: "de_DE.UTF-8") == .en)
        #expect(Language(tag: "C") == nil)
        #expect(Language(tag: "") == nil)
        #expect(Language(tag: nil) == nil)
    }

    @Test func theCatalogueAsDataHoldsEveryID() {
        for lang in Language.allCases {
            let t = MessageCatalogue.templates(lang)
            #expect(t.count == MessageID.allCases.count)
            #expect(t["alarm.comm-fail"] == MessageCatalogue.template(.alarmCommFail, lang))
        }
    }
}

struct UnknownIDTests {
    /// A message written by a newer Levee, with an id this one does not know, still reads: its id and arguments.
    @Test func anUnknownIDReadsAsItsRawText() throws {
        let json = #"{"id":"alarm.from-the-future","args":{"subject":"gas-a1"}}"#
        let m = try JSONDecoder().decode(Message.self, from: Data(json.utf8))
        #expect(m.render(.zhCN) == "alarm.from-the-future (subject=gas-a1)")
    }

    @Test func aReadingIsWrittenWithItsPointsPrecision() {
        #expect(Message.reading(12.300000000000001, decimals: 1) == "12.3")
        #expect(Message.reading(7, decimals: 0) == "7")
        // A float32 point has no configured precision: the float's own shortest digits, not the double's noise.
        #expect(Message.reading(Double(Float(12.3)), decimals: nil) == "12.3")
        let detail = Message(.detailValue, ["value": .text(Message.reading(45.25, decimals: 2))])
        #expect(detail.render(.zhCN) == "读数 45.25")
        #expect(detail.render(.en) == "reading 45.25")
    }

    @Test func restoreRepliesCountInEachLanguage() {
        let counts = Message(.restoreCounts, ["move": "2", "there": "1", "held": "0", "decide": "1"])
        let reply = Message(.replyRestoreStarted, ["user": "op", "counts": .message(counts)])
        #expect(
            reply.render(.en) == "restore started by op: 2 to move, 1 already there, 0 held closed, 1 needs a decision")
        #expect(reply.render(.zhCN) == "op 已启动恢复：待动作 2 台，已到位 1 台，保持关闭 0 台，待决定 1 台")
        let drill = Message(.refusalDrillNotLive, ["plan": "plant-wide"])
        for language in Language.allCases { #expect(!drill.render(language).contains("leveectl")) }
    }
}
