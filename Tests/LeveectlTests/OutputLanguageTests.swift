import ControlAPI
import Foundation
import Messages
import Testing

@testable import leveectl

/// leveectl writes the daemon's texts in the terminal's language: Chinese for a Chinese locale, English otherwise.
struct OutputLanguageTests {
    @Test func theLocaleChoosesInPOSIXOrder() {
        #expect(OutputLanguage.fromEnvironment(["LANG": "zh_CN.UTF-8"]) == .zhCN)
        #expect(OutputLanguage.fromEnvironment(["LANG": "en_US.UTF-8"]) == .en)
        #expect(OutputLanguage.fromEnvironment(["LANG": "zh_CN.UTF-8", "LC_ALL": "en_GB.UTF-8"]) == .en)
        #expect(OutputLanguage.fromEnvironment(["LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_TW.UTF-8"]) == .zhCN)
        #expect(OutputLanguage.fromEnvironment(["LANG": "C.UTF-8"]) == .en)
        #expect(OutputLanguage.fromEnvironment([:]) == .en)
    }

    /// The status header shows the summary from its message; a status from an older leveed, text only, as sent.
    @Test func theHeaderRendersTheSummaryMessage() {
        var s = SiteStatus(
            site: "s", siteName: "厂", timeZone: "Asia/Shanghai", generatedAt: Date(timeIntervalSince1970: 0),
            summary: "1/1 devices answering", devices: [],
            historian: HistorianSummary(
                healthy: true, path: "/x", lastError: nil, bufferedReadings: 0, droppedReadings: 0))
        #expect(StatusView.header(s).contains("1/1 devices answering"))
        s.setSummary([Message(.statusLatched), Message(.statusDevicesAnswering, ["answering": "21", "total": "22"])])
        let header = StatusView.header(s)
        let expected = s.summaryText!.render(OutputLanguage.current)
        #expect(header.contains(expected))
        #expect(expected == "SHUTOFF LATCHED; 21/22 devices answering" || expected == "关断已锁定；21/22 台设备应答")
    }
}
