import Foundation

/// The tools tests run: each comes from the install step in scripts/setup-debian.sh, never from whatever happens
/// to be on this machine's PATH. A missing tool is a test failure that says how to install it, not a skip: a skip
/// would hide a feature the README promises.
public enum TestTools {
    /// The repository's root (this file is Tests/Support/TestTools.swift).
    public static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The project's venv Python, which has pymodbus and the other pinned packages: `LEVEE_PYTHON` if set (the
    /// test command sets it), else `<repo>/.venv/bin/python`. Never `python3` from PATH, which on a fresh machine
    /// has none of them.
    public static func python() throws -> String {
        let path =
            ProcessInfo.processInfo.environment["LEVEE_PYTHON"]
            ?? repoRoot.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw Missing(tool: "the project's Python venv (\(path))")
        }
        return path
    }

    /// The absolute path of a Debian-packaged tool (`mbpoll`, `mosquitto`, `mosquitto_sub`, `openssl`, ...), looked
    /// up in the system directories only.
    public static func executable(_ name: String) throws -> String {
        for dir in ["/usr/bin", "/usr/sbin", "/bin", "/sbin"] {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw Missing(tool: name)
    }

    /// A script or file in the repository, by its path from the root.
    public static func file(_ relative: String) -> String { repoRoot.appendingPathComponent(relative).path }

    public struct Missing: Error, CustomStringConvertible {
        public var tool: String
        public var description: String {
            "\(tool) is not installed: run scripts/setup-debian.sh (the test command runs it first)"
        }
    }
}
