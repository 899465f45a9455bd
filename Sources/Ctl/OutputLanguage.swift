import Foundation
import Messages
import Synchronization

/// The language leveectl writes the daemon's texts in (the summary, alarm texts, journal entries, replies and
/// refusals): `--lang`, else the locale of the terminal (LC_ALL, LC_MESSAGES, LANG, as POSIX orders them),
/// Chinese when it is Chinese and English otherwise — also for an unset or "C" locale, the usual one of a service
/// or an SSH session, where Chinese characters may not display. leveectl's own words stay bilingual as they are.
enum OutputLanguage {
    private static let chosen = Mutex<Language?>(nil)

    static var current: Language {
        if let l = chosen.withLock({ $0 }) { return l }
        return fromEnvironment(ProcessInfo.processInfo.environment)
    }

    static func set(_ language: Language) { chosen.withLock { $0 = language } }

    static func fromEnvironment(_ env: [String: String]) -> Language {
        for key in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            guard let value = env[key], !value.isEmpty else { continue }
            return Language(tag: value) ?? .en
        }
        return .en
    }
}

/// A server text in the output language: its catalogue message when the daemon sent one, else the text as sent
/// (an older daemon, or a text not yet in the catalogue).
func said(_ text: Message?, _ fallback: String) -> String {
    text?.render(OutputLanguage.current) ?? fallback
}
