import Foundation

/// The register map as the DCS engineer imports or reads it: CSV, Markdown or JSON, one row per register or coil.
public enum DCSMapDocument {
    public enum Format: String, CaseIterable, Sendable {
        case csv, md, json
    }

    static let columns = [
        "table", "address", "ref", "functions", "type", "word_order", "scale", "unit", "meaning", "source",
    ]

    /// The cells of one row. `ref` is the 1-based 6-digit reference many DCS tools use (400001 + address for a
    /// register, 000001 + address for a coil); `address` is the 0-based address on the wire.
    static func cells(_ e: DCSMapEntry) -> [String] {
        let ref: String
        let functions: String
        switch e.table {
        case "register":
            ref = String(400_001 + e.address)
            functions = "03/04"
        case "coil":
            ref = String(format: "%06d", 1 + e.address)
            functions = "01 read, 05/15 write"
        default:
            ref = ""
            functions = ""
        }
        return [
            e.table, String(e.address), ref, functions, e.type, e.wordOrder ?? "", e.scale.map(String.init) ?? "",
            e.unit, e.meaning, e.source,
        ]
    }

    public static func render(_ map: DCSMap, format: Format, notes: [String] = []) -> String {
        switch format {
        case .csv:
            func field(_ s: String) -> String {
                s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
                    ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
            }
            return ([columns] + map.entries.map(cells)).map { $0.map(field).joined(separator: ",") }
                .joined(separator: "\n") + "\n"
        case .md:
            let s = map.settings
            var lines = [
                "# Levee register map for the DCS", "",
                "- Modbus TCP server: `\(s.listen)`, unit id \(s.unitID) (255 is answered too)",
                "- Registers are read-only and answer both function 03 and 04; addresses are 0-based as on the wire "
                    + "(`ref` = 400001 + address).",
                "- 32-bit values: word order \(s.wordOrder.rawValue); int16 and int32 copies hold round(value × "
                    + "\(s.intScale)); states are 0 or 1.",
                "- A quality word other than 0 means the value is not live: 1 stale, 2 comm-fail, 3 out-of-range, "
                    + "4 bad-config, 5 no value yet (the value registers then hold 0).",
                "- Coils act only on a rising edge held \(s.writeHoldMs) ms; any other write answers exception 01 or 02.",
                "- Layout version \(DCSLayout.version).",
            ]
            lines += notes.map { "- Note: \($0)" }
            lines += [
                "", "| " + columns.joined(separator: " | ") + " |",
                "|" + String(repeating: "---|", count: columns.count),
            ]
            for e in map.entries {
                lines.append(
                    "| " + cells(e).map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ")
                        + " |")
            }
            return lines.joined(separator: "\n") + "\n"
        case .json:
            struct Document: Encodable {
                var listen: String
                var unitID: Int
                var wordOrder: String
                var intScale: Int
                var writeHoldMs: Int
                var layoutVersion: Int
                var notes: [String]
                var entries: [DCSMapEntry]
            }
            let s = map.settings
            let document = Document(
                listen: s.listen, unitID: s.unitID, wordOrder: s.wordOrder.rawValue, intScale: s.intScale,
                writeHoldMs: s.writeHoldMs, layoutVersion: Int(DCSLayout.version), notes: notes, entries: map.entries)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(document)) ?? Data("{}".utf8)
            return String(decoding: data, as: UTF8.self) + "\n"
        }
    }
}
