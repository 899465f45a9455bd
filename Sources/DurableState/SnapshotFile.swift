import Foundation
import Glibc
import SystemCalls

/// A small state file (the shutoff latch, the alarm states) that can be rewritten on a full disk and that a crash
/// or power loss always leaves readable.
///
/// The file holds two fixed-size slots and is allocated in full, with zeros actually written, when it is created.
/// Every save overwrites the *older* slot in place: header (magic, sequence, length, CRC-32 of the payload) and
/// payload, then `fdatasync`. Writing in place into blocks the file already owns needs no new block, so a disk
/// that filled up after leveed started can still take a new latch; and a save cut short by a crash leaves a slot
/// whose CRC fails, so `read()` returns the other one, which was complete. The replace-by-rename this replaces
/// needed a new block for every save and failed exactly when the disk was full.
///
/// Not thread-safe: one owner (``SnapshotWriter``'s thread) uses it.
public final class SnapshotFile {
    public let path: String
    /// The largest payload a slot holds.
    public let slotCapacity: Int
    private let fd: Int32
    /// The sequence number of the newest valid slot, and which slot that is.
    private var newest: (sequence: UInt64, slot: Int)?

    static let magic = Array("LVSNAP01".utf8)
    static let headerSize = 32

    /// Opens the file at `path`, creating and allocating it when it does not exist. A file in the old format (the
    /// plain JSON that leveed wrote before) is read and converted.
    ///
    /// - Throws: ``SystemCallError`` naming the file when it cannot be opened or allocated.
    public init(path: String, slotCapacity: Int = 1 << 20) throws(SystemCallError) {
        self.path = path
        self.slotCapacity = slotCapacity
        let legacy = Self.legacyContents(path)
        let size = 2 * (Self.headerSize + slotCapacity)
        if legacy != nil || !Self.hasLayout(path, size: size) {
            // A new file, a legacy one, or one of another size: lay out a fresh file beside it and rename it over,
            // so the old contents stay until the new file is complete.
            let fresh = path + ".new"
            let nfd = try systemCall("open \(fresh)") { open(fresh, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640) }
            do {
                try Self.allocate(nfd, size: size, name: fresh)
                if let legacy {
                    try Self.writeSlot(nfd, slot: 0, sequence: 1, payload: legacy, capacity: slotCapacity, name: fresh)
                }
                try systemCall("fsync \(fresh)") { fsync(nfd) }
            } catch {
                close(nfd)
                unlink(fresh)
                throw error
            }
            close(nfd)
            try systemCall("rename \(fresh) to \(path)") { rename(fresh, path) }
            Self.syncFolder(of: path)
        }
        fd = try systemCall("open \(path)") { open(path, O_RDWR | O_CLOEXEC) }
        newest = Self.scan(fd, capacity: slotCapacity)
    }

    deinit { close(fd) }

    /// The newest complete payload, or nil when none was ever saved.
    public func read() -> Data? {
        guard let newest else { return nil }
        return Self.readSlot(fd, slot: newest.slot, capacity: slotCapacity)?.payload
    }

    /// Saves `payload` into the older slot and syncs it: when this returns, a crash leaves `payload` or a newer one.
    ///
    /// - Throws: ``SystemCallError`` naming the file; the previous contents are then still intact.
    public func write(_ payload: Data) throws(SystemCallError) {
        let slot = newest.map { 1 - $0.slot } ?? 0
        let sequence = (newest?.sequence ?? 0) + 1
        try Self.writeSlot(fd, slot: slot, sequence: sequence, payload: payload, capacity: slotCapacity, name: path)
        try systemCall("fdatasync \(path)") { fdatasync(fd) }
        newest = (sequence, slot)
    }

    // MARK: - Layout

    private static func offset(_ slot: Int, _ capacity: Int) -> Int { slot * (headerSize + capacity) }

    private static func writeSlot(
        _ fd: Int32, slot: Int, sequence: UInt64, payload: Data, capacity: Int, name: String
    ) throws(SystemCallError) {
        guard payload.count <= capacity else {
            throw SystemCallError(
                code: EFBIG, operation: "save \(name)",
                message: "\(payload.count) bytes do not fit a slot of \(capacity)")
        }
        var header = [UInt8](repeating: 0, count: headerSize)
        header.replaceSubrange(0..<8, with: magic)
        withUnsafeBytes(of: sequence.littleEndian) { header.replaceSubrange(8..<16, with: $0) }
        withUnsafeBytes(of: UInt64(payload.count).littleEndian) { header.replaceSubrange(16..<24, with: $0) }
        withUnsafeBytes(of: CRC32.checksum(payload).littleEndian) { header.replaceSubrange(24..<28, with: $0) }
        let block = Data(header) + payload
        let at = off_t(offset(slot, capacity))
        var done = 0
        while done < block.count {
            let n = block.withUnsafeBytes { raw in
                pwrite(fd, raw.baseAddress! + done, raw.count - done, at + off_t(done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemCallError(code: errno, operation: "write \(name)")
            }
            done += n
        }
    }

    private static func readSlot(_ fd: Int32, slot: Int, capacity: Int) -> (sequence: UInt64, payload: Data)? {
        var header = [UInt8](repeating: 0, count: headerSize)
        let at = off_t(offset(slot, capacity))
        guard pread(fd, &header, headerSize, at) == headerSize, Array(header[0..<8]) == magic else { return nil }
        let sequence = header[8..<16].withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        let length = header[16..<24].withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        let crc = header[24..<28].withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
        guard sequence > 0, length <= UInt64(capacity) else { return nil }
        var payload = [UInt8](repeating: 0, count: Int(length))
        guard pread(fd, &payload, Int(length), at + off_t(headerSize)) == Int(length) else { return nil }
        let data = Data(payload)
        guard CRC32.checksum(data) == crc else { return nil }
        return (sequence, data)
    }

    private static func scan(_ fd: Int32, capacity: Int) -> (sequence: UInt64, slot: Int)? {
        let slots = (0..<2).compactMap { slot in
            readSlot(fd, slot: slot, capacity: capacity).map { ($0.sequence, slot) }
        }
        return slots.max { $0.0 < $1.0 }.map { (sequence: $0.0, slot: $0.1) }
    }

    /// Writes zeros over the whole file: blocks that are really written, not a sparse hole or an unwritten extent,
    /// so that a later save into them needs nothing more from the disk.
    private static func allocate(_ fd: Int32, size: Int, name: String) throws(SystemCallError) {
        let zeros = [UInt8](repeating: 0, count: 65536)
        var done = 0
        while done < size {
            let n = pwrite(fd, zeros, min(zeros.count, size - done), off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemCallError(code: errno, operation: "allocate \(name)")
            }
            done += n
        }
    }

    private static func hasLayout(_ path: String, size: Int) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return Int(info.st_size) == size
    }

    /// The contents of a file in the old format: the whole file, JSON.
    private static func legacyContents(_ path: String) -> Data? {
        guard let data = FileManager.default.contents(atPath: path), data.first == UInt8(ascii: "{") else {
            return nil
        }
        return data
    }

    private static func syncFolder(of path: String) {
        let folder = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as zlib computes it.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
