import Foundation
import LeveeVersion
import Testing

@Suite struct LeveeVersionTests {
    /// The version in the first line of packaging/changelog: `levee (0.2.0) bookworm; urgency=medium`.
    static func changelogVersion() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("packaging/changelog"), encoding: .utf8)
        let first = try #require(text.split(separator: "\n").first)
        let open = try #require(first.firstIndex(of: "("))
        let close = try #require(first.firstIndex(of: ")"))
        return String(first[first.index(after: open)..<close])
    }

    @Test func theConstantIsTheChangelogsTopVersion() throws {
        let top = try Self.changelogVersion()
        #expect(!top.isEmpty)
        // Debian revisions (0.2.0-1) are the packaging's, not the program's.
        let upstream = top.split(separator: "-").first.map(String.init) ?? top
        #expect(
            LeveeVersion.current == upstream,
            "Sources/LeveeVersion says \(LeveeVersion.current), packaging/changelog \(top)")
    }
}
