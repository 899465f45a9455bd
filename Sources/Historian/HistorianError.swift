import GRDB

/// A failure of the history database: the file, what the historian was doing, and what SQLite said.
///
/// Printed as `/var/lib/levee/history.db: write readings: SQLITE_FULL: database or disk is full`, so that the
/// person reading the journal knows which file to look at and why.
public struct HistorianError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What became of the event or command a failed ``Historian/recordEvent(_:)`` or
    /// ``Historian/recordCommand(_:)`` was given.
    public enum RecordFate: Sendable, Hashable {
        /// Kept in memory; the writer stores it, in order, when the database can be written again.
        case queuedInMemory
        /// Not kept: the in-memory queue is full or the historian is closed. The caller must keep it elsewhere.
        case lost
    }

    /// The database file.
    public var path: String
    /// What the historian was doing: `open`, `write readings`, `record event`, `query readings`, `check file` (the
    /// file at the path is no longer the one open), `move aside` (a damaged file could not be renamed), ...
    public var operation: String
    /// SQLite's explanation, led by the result code's name (`SQLITE_BUSY: database is locked`), or the
    /// historian's own.
    public var message: String
    /// SQLite's extended result code, when SQLite reported the failure.
    public var resultCode: Int32?
    /// Set on errors thrown by `recordEvent` and `recordCommand`: whether the record is still on its way to disk.
    public var recordFate: RecordFate?

    public init(
        path: String,
        operation: String,
        message: String,
        resultCode: Int32? = nil,
        recordFate: RecordFate? = nil
    ) {
        self.path = path
        self.operation = operation
        self.message = message
        self.resultCode = resultCode
        self.recordFate = recordFate
    }

    public var description: String {
        let fate: String
        switch recordFate {
        case nil: fate = ""
        case .queuedInMemory?: fate = " (kept in memory; it will be written when the database can be written again)"
        case .lost?: fate = " (not kept: the record is lost unless the caller keeps it)"
        }
        return "\(path): \(operation): \(message)\(fate)"
    }

    /// The primary result code (`SQLITE_FULL` is 13), when SQLite reported the failure.
    public var primaryResultCode: Int32? { resultCode.map { $0 & 0xFF } }

    /// Wraps any error thrown while working on `path`; a ``HistorianError`` is kept as it is, with its own, more
    /// precise operation.
    init(path: String, operation: String, error: any Error) {
        if let error = error as? HistorianError {
            self = error
        } else if let error = error as? DatabaseError {
            let code = error.extendedResultCode.rawValue
            var message = Self.name(ofResultCode: code)
            if let text = error.message { message += ": \(text)" }
            self.init(path: path, operation: operation, message: message, resultCode: code)
        } else {
            self.init(path: path, operation: operation, message: "\(error)")
        }
    }

    /// SQLite's name for a result code, such as `SQLITE_IOERR_WRITE`, or the primary name and the number for
    /// extended codes this table does not know.
    ///
    /// Names from <https://www.sqlite.org/rescode.html>.
    static func name(ofResultCode code: Int32) -> String {
        let extended: [Int32: String] = [
            261: "SQLITE_BUSY_RECOVERY", 517: "SQLITE_BUSY_SNAPSHOT", 773: "SQLITE_BUSY_TIMEOUT",
            262: "SQLITE_LOCKED_SHAREDCACHE", 266: "SQLITE_IOERR_READ", 778: "SQLITE_IOERR_WRITE",
            1034: "SQLITE_IOERR_FSYNC", 1290: "SQLITE_IOERR_DIR_FSYNC", 1546: "SQLITE_IOERR_TRUNCATE",
            3338: "SQLITE_IOERR_SHMOPEN", 3594: "SQLITE_IOERR_SHMSIZE", 4874: "SQLITE_IOERR_SHMMAP",
            264: "SQLITE_READONLY_RECOVERY", 520: "SQLITE_READONLY_CANTLOCK", 776: "SQLITE_READONLY_ROLLBACK",
            1032: "SQLITE_READONLY_DBMOVED", 1288: "SQLITE_READONLY_CANTINIT", 1544: "SQLITE_READONLY_DIRECTORY",
            270: "SQLITE_CANTOPEN_NOTEMPDIR", 526: "SQLITE_CANTOPEN_ISDIR", 782: "SQLITE_CANTOPEN_FULLPATH",
        ]
        let primary: [Int32: String] = [
            1: "SQLITE_ERROR", 2: "SQLITE_INTERNAL", 3: "SQLITE_PERM", 4: "SQLITE_ABORT", 5: "SQLITE_BUSY",
            6: "SQLITE_LOCKED", 7: "SQLITE_NOMEM", 8: "SQLITE_READONLY", 9: "SQLITE_INTERRUPT", 10: "SQLITE_IOERR",
            11: "SQLITE_CORRUPT", 13: "SQLITE_FULL", 14: "SQLITE_CANTOPEN", 15: "SQLITE_PROTOCOL",
            17: "SQLITE_SCHEMA", 18: "SQLITE_TOOBIG", 19: "SQLITE_CONSTRAINT", 20: "SQLITE_MISMATCH",
            21: "SQLITE_MISUSE", 22: "SQLITE_NOLFS", 23: "SQLITE_AUTH", 26: "SQLITE_NOTADB",
        ]
        if let name = extended[code] { return name }
        let base = primary[code & 0xFF] ?? "SQLite error"
        return code > 0xFF ? "\(base) (extended code \(code))" : base
    }
}
