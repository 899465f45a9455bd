import Config
import Foundation
import Testing

@testable import DCSLink

/// The map as the DCS engineer gets it from `leveectl dcs map`.
struct DocumentTests {
    static func map() throws -> DCSMap {
        let config = try Fixture.config(
            dcs: "word_order = \"CDAB\"\nshutoff_coils = [\"plant-wide\"]\nreset_coil = true")
        return DCSMap(config: config, book: DCSAddressBook.assign(config, lock: nil).book)
    }

    @Test func theCSVHasOneRowPerEntryWithCommasQuoted() throws {
        let map = try Self.map()
        let csv = DCSMapDocument.render(map, format: .csv)
        let lines = csv.split(separator: "\n").map(String.init)
        #expect(lines.first == "table,address,ref,functions,type,word_order,scale,unit,meaning,source")
        #expect(lines.count == map.entries.count + 1)
        #expect(
            lines.contains(
                "register,1010,401011,03/04,float32,CDAB,,%LEL,罐区A可燃气体探测器 concentration,gas-a1/concentration"))
        #expect(lines.contains { $0.hasPrefix("register,1,400002,03/04,uint16,,,,\"shutoff latched: 1 yes, 0 no\"") })
        #expect(
            lines.contains {
                $0.hasPrefix("coil,0,000001,\"01 read, 05/15 write\",bool") && $0.hasSuffix(",reset coil")
            })
        #expect(lines.contains { $0.hasPrefix("coil,100,000101,") && $0.hasSuffix(",shutoff coil plant-wide") })
    }

    @Test func theMarkdownAndJSONCarryTheSameEntries() throws {
        let map = try Self.map()
        let md = DCSMapDocument.render(map, format: .md, notes: ["a note"])
        #expect(md.contains("word order CDAB") && md.contains("- Note: a note"))
        #expect(
            md.split(separator: "\n").filter {
                $0.hasPrefix("| register") || $0.hasPrefix("| coil") || $0.hasPrefix("| plan")
            }.count == map.entries.count)
        let json = DCSMapDocument.render(map, format: .json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect((object["entries"] as? [Any])?.count == map.entries.count)
        #expect(object["wordOrder"] as? String == "CDAB")
    }
}
