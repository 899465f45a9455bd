extension DrillReportRenderer {
    /// Writes a ``ReportDocument`` as Markdown: a heading per section and a table (or a list) under it.
    enum MarkdownWriter {
        static func render(_ document: ReportDocument) -> String {
            var md = "# \(escape(document.title))\n\n"
            md += "**\(escape(document.mode))**\n\n"
            for section in document.sections {
                md += "## \(escape(section.heading))\n\n"
                if let note = section.note { md += "\(escape(note))\n\n" }
                if section.isEmpty {
                    md += "\(escape(ReportDocument.none))\n\n"
                    continue
                }
                switch section.content {
                case .table(let headers, let rows):
                    md += "| " + headers.map(escape).joined(separator: " | ") + " |\n"
                    md += "|" + String(repeating: "---|", count: headers.count) + "\n"
                    for row in rows {
                        let cells = row.map { $0.flagged ? "**\(escape($0.text))**" : escape($0.text) }
                        md += "| " + cells.joined(separator: " | ") + " |\n"
                    }
                    md += "\n"
                case .list(let items):
                    md += items.map { "- \(escape($0))\n" }.joined() + "\n"
                }
            }
            return md
        }

        /// Text as literal Markdown: the punctuation that would start emphasis, code, a link or raw HTML, or end a table
        /// cell, or an entity, is backslash-escaped (CommonMark lets any ASCII punctuation be), and line breaks become spaces so that
        /// a cell stays on its row.
        static func escape(_ text: String) -> String {
            var escaped = ""
            for character in text {
                switch character {
                case "\\", "`", "*", "_", "[", "]", "<", ">", "|", "#", "&": escaped += "\\\(character)"
                case "\n", "\r", "\r\n": escaped += " "
                default: escaped.append(character)
                }
            }
            return escaped
        }
    }
}
