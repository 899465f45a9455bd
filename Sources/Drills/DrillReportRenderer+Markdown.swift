extension DrillReportRenderer {
    /// Writes a ``ReportDocument`` as Markdown: a heading per section and a table (or a list) under it.
    enum MarkdownWriter {
        static func render(_ document: ReportDocument) -> String {
            var md = "# \(escape(document.title))\n\n"
            md += "**\(escape(document.mode))**\n\n"
            for section in document.sections {
                md += "## \(escape(section.heading))\n\n"
                if let note = section.note { md += "\(escape(note))\n\n" }
                md += content(section.content)
            }
            return md
        }

        /// A table, a list or sub-sections, each followed by a blank line; an empty one says so.
        private static func content(_ content: ReportDocument.Content) -> String {
            if content.isEmpty { return "\(escape(ReportDocument.none))\n\n" }
            switch content {
            case .table(let headers, let rows):
                var md = "| " + headers.map(escape).joined(separator: " | ") + " |\n"
                md += "|" + String(repeating: "---|", count: headers.count) + "\n"
                for row in rows {
                    let cells = row.map { $0.flagged ? "**\(escape($0.text))**" : escape($0.text) }
                    md += "| " + cells.joined(separator: " | ") + " |\n"
                }
                return md + "\n"
            case .list(let items):
                return items.map { "- \(escape($0))\n" }.joined() + "\n"
            case .parts(let parts):
                return parts.map { part in
                    let heading = part.flagged ? "**\(escape(part.heading))**" : escape(part.heading)
                    return "### \(heading)\n\n"
                        + part.blocks.map { "#### \(escape($0.caption))\n\n" + Self.content($0.content) }.joined()
                }.joined()
            }
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
