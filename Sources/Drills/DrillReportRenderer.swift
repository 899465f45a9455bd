import Foundation

/// Turns a ``DrillReport`` into the documents people read: one self-contained HTML file for the park and the
/// bureau, and Markdown for the plant's own records and the terminal.
///
/// Both come from one document model (``ReportDocument``), so they always hold the same sections in the same order,
/// each with its Chinese heading and the English one alongside, and an empty section says 无 None rather than
/// vanishing: a reader must be able to tell "no failures" from "the report left failures out".
public enum DrillReportRenderer {
    /// The report as Markdown: a summary, then each section as a table (or a list), every text field escaped.
    public static func markdown(_ r: DrillReport) -> String {
        MarkdownWriter.render(ReportDocument(r))
    }

    /// The report as one self-contained HTML file: UTF-8, inline `<style>`, no scripts, fonts, images or links, and
    /// a Content-Security-Policy that forbids loading anything, so it opens the same offline, from a USB stick or
    /// an e-mail attachment. Every text field is escaped.
    public static func html(_ r: DrillReport) -> String {
        HTMLWriter.render(ReportDocument(r))
    }
}
