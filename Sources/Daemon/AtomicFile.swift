import Foundation

/// Replaces a small state file so that a crash or power loss leaves either the old or the new contents, never
/// half of one: write a temporary file, fsync it, rename it over the old one, then fsync the folder so the rename
/// itself is on disk. Used for the alarm states and the shutoff latch.
enum AtomicFile {
    static func write(_ data: Data, to path: String) throws {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw failure("open \(temporary)") }
        let written = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == data.count else { throw failure("write \(temporary)") }
        guard synced == 0 else { throw failure("fsync \(temporary)") }
        guard rename(temporary, path) == 0 else { throw failure("rename \(temporary) to \(path)") }
        let folder = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }

    private static func failure(_ operation: String) -> Error {
        let code = errno
        return NSError(
            domain: NSPOSIXErrorDomain, code: Int(code),
            userInfo: [NSLocalizedDescriptionKey: "\(operation): \(String(cString: strerror(code)))"])
    }
}
