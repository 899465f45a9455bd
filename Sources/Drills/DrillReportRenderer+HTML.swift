extension DrillReportRenderer {
    /// Writes a ``ReportDocument`` as one HTML file that needs nothing else: no scripts, fonts, images or links.
    enum HTMLWriter {
        static func render(_ document: ReportDocument) -> String {
            var html = """
                <!DOCTYPE html>
                <html lang="zh-CN">
                <head>
                <meta charset="utf-8">
                <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <title>\(escape(document.title))</title>
                <style>
                \(style)\(document.hasParts ? partStyle : "")
                </style>
                </head>
                <body>

                """
            let modeClass = document.live ? "mode live" : "mode tabletop"
            html += "<p class=\"banner\">演练 DRILL — 非真实事故 not a real incident</p>\n"
            html += "<h1>\(escape(document.title))</h1>\n"
            html += "<p class=\"\(modeClass)\">\(escape(document.mode))</p>\n"
            for section in document.sections {
                html += "<section>\n<h2>\(escape(section.heading))</h2>\n"
                if let note = section.note { html += "<p class=\"note\">\(escape(note))</p>\n" }
                html += content(section.content)
                html += "</section>\n"
            }
            html += "</body>\n</html>\n"
            return html
        }

        /// A table, a list or sub-sections; an empty one says so.
        private static func content(_ content: ReportDocument.Content) -> String {
            if content.isEmpty { return "<p class=\"none\">\(escape(ReportDocument.none))</p>\n" }
            switch content {
            case .table(let headers, let rows): return table(headers, rows)
            case .list(let items): return list(items)
            case .parts(let parts): return parts.map(part).joined()
            }
        }

        private static func part(_ part: ReportDocument.Part) -> String {
            var html = part.flagged ? "<h3 class=\"flag\">" : "<h3>"
            html += escape(part.heading) + "</h3>\n"
            for block in part.blocks {
                html += "<h4>\(escape(block.caption))</h4>\n" + content(block.content)
            }
            return html
        }

        private static func table(_ headers: [String], _ rows: [[ReportDocument.Cell]]) -> String {
            var html = "<table>\n<thead><tr>"
            for header in headers { html += "<th>\(escape(header))</th>" }
            html += "</tr></thead>\n<tbody>\n"
            for row in rows {
                html += "<tr>"
                for cell in row {
                    html += cell.flagged ? "<td class=\"flag\">" : "<td>"
                    html += escape(cell.text) + "</td>"
                }
                html += "</tr>\n"
            }
            return html + "</tbody>\n</table>\n"
        }

        private static func list(_ items: [String]) -> String {
            "<ul>\n" + items.map { "<li>\(escape($0))</li>\n" }.joined() + "</ul>\n"
        }

        /// Text as HTML character data or a quoted attribute value: the five characters HTML gives meaning to become
        /// references, so a valve named `<script>` shows as that text and runs nothing.
        static func escape(_ text: String) -> String {
            var escaped = ""
            escaped.reserveCapacity(text.utf8.count)
            for character in text {
                switch character {
                case "&": escaped += "&amp;"
                case "<": escaped += "&lt;"
                case ">": escaped += "&gt;"
                case "\"": escaped += "&quot;"
                case "'": escaped += "&#39;"
                default: escaped.append(character)
                }
            }
            return escaped
        }

        /// Sub-section headings, added only when the report has some, so that a report without them is unchanged.
        private static let partStyle = """

            h3 { font-size: 1.05em; margin: 1.2em 0 0.3em; }
            h3.flag { color: #8a0016; border-left: 0.3em solid #b00020; padding-left: 0.4em; }
            h4 { font-size: 0.95em; margin: 0.8em 0 0.3em; color: #333; }
            h3, h4 { break-after: avoid; }
            """

        /// System fonts only (a CJK one first where present), and a print layout for the paper copy the file keeps.
        private static let style = """
            body { font-family: "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em;
              color: #111; line-height: 1.45; }
            .banner { background: #b00020; color: #fff; font-weight: bold; padding: 0.4em 0.8em; letter-spacing: 0.05em; }
            h1 { font-size: 1.5em; margin: 0.4em 0; }
            h2 { font-size: 1.15em; border-bottom: 2px solid #333; padding-bottom: 0.15em; margin-top: 1.6em; }
            .mode { font-weight: bold; font-size: 1.1em; }
            .mode.live { color: #b00020; }
            .mode.tabletop { color: #0b5394; }
            .note { color: #444; font-size: 0.9em; }
            .none { color: #555; font-style: italic; }
            table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
            th, td { border: 1px solid #999; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
            th { background: #eee; }
            td.flag { background: #fde0e0; color: #8a0016; font-weight: bold; }
            @media print {
              body { margin: 0; }
              .banner, td.flag, th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
              tr { break-inside: avoid; }
            }
            """
    }
}
