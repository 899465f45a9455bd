import Config
import Foundation

/// The lock file that keeps the DCS addresses: JSON, rewritten whole (to a temporary file, then renamed) whenever a
/// new device, alarm or plan gets a slot.
public enum DCSLockFile {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The book in `path`, or nil when there is no file yet.
    /// - Throws: when the file exists but cannot be read or is not a lock file: guessing would move addresses.
    public static func read(_ path: String) throws(Failure) -> DCSAddressBook? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return try JSONDecoder().decode(DCSAddressBook.self, from: data)
        } catch {
            throw Failure(
                description:
                    "DCS lock file \(path) cannot be read (\(error)); restore it from a backup, or delete it to assign "
                    + "every address anew (the DCS's wiring must then be checked against `leveectl dcs map`)")
        }
    }

    public static func write(_ book: DCSAddressBook, to path: String) throws(Failure) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try encoder.encode(book).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw Failure(description: "DCS lock file \(path) cannot be written: \(error)")
        }
    }

    /// The map for `config`: the lock file read, the assignment made, and (with `save`) the file rewritten if the
    /// assignment added anything.
    public static func map(for config: LeveeConfig, save: Bool) throws(Failure) -> (map: DCSMap, notes: [String]) {
        let path = config.dcs.lockFilePath(historianPath: config.historian.path)
        let lock = try read(path)
        let assignment = DCSAddressBook.assign(config, lock: lock)
        if save, assignment.book != lock {
            try write(assignment.book, to: path)
        }
        return (DCSMap(config: config, book: assignment.book), assignment.notes)
    }
}
