import Foundation
import GRDB
import SystemCalls

#if canImport(Glibc)
    import Glibc
#endif

/// The device and inode of a file: what tells the file the pool opened apart from a new one at the same path.
struct FileIdentity: Sendable, Hashable {
    var device: UInt64
    var inode: UInt64

    /// What is at `path` now: its identity, or that nothing is there. Both nil when `stat` failed for another
    /// reason (an I/O error, a permission): then nothing can be concluded.
    static func of(_ path: String) -> (identity: FileIdentity?, missing: Bool) {
        var info = stat()
        guard stat(path, &info) == 0 else { return (nil, errno == ENOENT) }
        return (FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)), false)
    }
}

extension HistorianError {
    /// The file is not a database, or not a sound one (SQLITE_CORRUPT, SQLITE_NOTADB): reopening the same bytes
    /// cannot cure it, and they are kept for inspection rather than overwritten.
    var isDamage: Bool { primaryResultCode == 11 || primaryResultCode == 26 }
}

extension HistorianHealthChange {
    var isFault: Bool { if case .fault = self { true } else { false } }
}

extension HistorianCore.State {
    /// Keeps a change for the first subscriber; a few are enough to say what happened at start.
    mutating func keepUnheard(_ change: HistorianHealthChange) {
        unheard.append(change)
        if unheard.count > 16 { unheard.removeFirst(unheard.count - 16) }
    }
}

/// The faults a new connection cannot cure: a damaged file, and a file deleted or replaced under the open pool.
extension HistorianCore {
    /// Opens the database at `path`; a damaged file is moved aside (the fault raised, saying where it went) and a
    /// new database is created in its place.
    ///
    /// A file written by a newer version of Levee is not damaged, and is left where it is: the error says so, and
    /// the historian runs without storage until someone upgrades leveed or moves the file.
    func openRecoveringDamage() throws -> OpenDatabase {
        do {
            return try openIdentified()
        } catch let error as HistorianError where error.isDamage && configuration.setsAsideDamage {
            let aside = try setAside(because: error)
            var noted = error
            noted.message += "; the file was moved aside to \(aside) and a new database started"
            noteFailure(noted)
            return try openIdentified()
        }
    }

    private func openIdentified() throws -> OpenDatabase {
        let pool = try Self.open(configuration)
        return OpenDatabase(pool: pool, file: FileIdentity.of(path).identity)
    }

    /// Closes the open pool, if any; for when the file under it must move, or is gone.
    func closeCurrent() {
        let old = database.withLock { open -> OpenDatabase? in
            defer { open = nil }
            return open
        }
        try? old?.pool.close()
        ids.withLock { $0 = Schema.IDCache() }
    }

    /// Renames the damaged file, with its `-wal` and `-shm`, to `<path>.damaged-<UTC time>`, kept for inspection.
    ///
    /// - Returns: the new path of the database file.
    /// - Throws: ``HistorianError`` naming the file when it cannot be renamed (the directory is read-only): the
    ///   fault stays, and the next retry tries again.
    @discardableResult
    func setAside(because damage: HistorianError) throws -> String {
        closeCurrent()
        let stamp = Self.compactTimestamp(Date())
        var aside = "\(path).damaged-\(stamp)"
        var attempt = 2
        while FileManager.default.fileExists(atPath: aside) {
            aside = "\(path).damaged-\(stamp)-\(attempt)"
            attempt += 1
        }
        for suffix in ["", "-wal", "-shm"] {
            let from = path + suffix
            let to = aside + suffix
            do {
                _ = try systemCall("rename to \(to)") { rename(from, to) }
            } catch let error where error.code == ENOENT {
                continue  // no WAL, or the file itself went meanwhile: nothing to keep
            } catch {
                throw HistorianError(path: from, operation: "move aside", message: "\(error)")
            }
        }
        logger.critical(
            "historian moved a damaged database aside and starts a new one",
            metadata: ["path": "\(path)", "movedTo": "\(aside)", "error": "\(damage.message)"]
        )
        return aside
    }

    /// After the database file was deleted or replaced while open, and the old pool closed: removes the `-wal` and
    /// `-shm` at the path. They are the old file's (its connections used them until now; GRDB's readers are
    /// read-only, so closing does not delete them), and SQLite would replay the old file's pages from that WAL into
    /// the new file at the same path. A database restored over a running one must so come without a `-wal`, as
    /// `sqlite3 .backup` and `VACUUM INTO` make it.
    func removeOldJournal() {
        for suffix in ["-wal", "-shm"] { unlink(path + suffix) }
    }

    /// Throws when the file at `path` is no longer the one the pool has open: deleted or replaced while running,
    /// everything written afterwards would go to a file nobody can find. Flags the writer to open the path again.
    ///
    /// One `stat`, cheap enough for every writer cycle and every durable write.
    func checkFile() throws {
        // Noticed already: nothing more may go to the old file until the writer has opened the path again.
        if let noticed = state.withLock({ $0.fileChange }) { throw noticed }
        guard let opened = database.withLock({ $0?.file }) else { return }
        let (current, missing) = FileIdentity.of(path)
        guard current != opened, current != nil || missing else { return }
        let error = HistorianError(
            path: path, operation: "check file",
            message: missing
                ? "the database file was deleted while open; a new database is created at the path"
                : "the database file was replaced while open; the file now at the path is opened"
        )
        state.withLock {
            $0.fileChange = error
            $0.needsReopen = true
        }
        throw error
    }

    /// `20261207T154500`: UTC, no separators, so it sorts and sits in a file name.
    static func compactTimestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d%02d%02dT%02d%02d%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0,
            c.second ?? 0
        )
    }
}
