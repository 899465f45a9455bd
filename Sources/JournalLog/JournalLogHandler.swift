import Foundation
import Logging

/// Writes one line per event to stderr, in a form journald keeps well: a fixed message, then `key=value` metadata
/// with stable keys. Under systemd (JOURNAL_STREAM set) each line starts with the syslog priority `<N>` so journald
/// files it at the right level and adds its own timestamp; on a terminal the line starts with the time and level.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    private let journal: Bool

    public init(label: String, journal: Bool = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil) {
        self.label = label
        self.journal = journal
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.quote("\($0.value)"))" }
        let text = ([Self.oneLine(event.message.description)] + fields).joined(separator: " ")
        let line: String
        if journal {
            line = "<\(Self.priority(event.level))>\(text)\n"
        } else {
            let time = Date().formatted(.iso8601.time(includingFractionalSeconds: true))
            line =
                "\(time) \(event.level.rawValue.uppercased().padding(toLength: 7, withPad: " ", startingAt: 0)) \(text)\n"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// syslog priorities as journald reads them from a `<N>` prefix.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// One event is one line: newlines inside a value would split it in the journal.
    static func oneLine(_ s: String) -> String {
        s.replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
    }

    static func quote(_ s: String) -> String {
        let flat = oneLine(s)
        if !flat.isEmpty && !flat.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) { return flat }
        return "\"" + flat.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            + "\""
    }
}

extension JournalLogHandler {
    /// Makes this the process's log handler at `level` (a `Logger.Level` name; anything else is `info`): the one
    /// start-up step leveed and levee-web share.
    public static func bootstrap(level name: String) {
        let level = Logger.Level(rawValue: name) ?? .info
        LoggingSystem.bootstrap { label in
            var h = JournalLogHandler(label: label)
            h.logLevel = level
            return h
        }
    }
}
