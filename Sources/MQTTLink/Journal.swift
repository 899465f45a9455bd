import Foundation

/// The append-only journal of durable messages: the record format, pure and tested as bytes.
///
/// File layout: the 8-byte magic `LVMQJNL1`, then records of `[u32 length][u32 CRC-32 of body][body]`, little
/// endian. A body is `[kind u8][seq u64]` and, for a message, `[qos u8][retain u8][topic length u32][topic]
/// [payload length u32][payload]`. An ack names the seq of a message that no longer needs keeping.
///
/// A crash mid-append leaves a short or mis-summed last record; reading stops there and the file is rewritten
/// without it. A `<path>.lock` file next to the journal is held with `flock` while a client has it open. Only message records are fsynced: a lost ack means one duplicate after a restart, never a loss.
enum JournalCodec {
    static let magic: [UInt8] = Array("LVMQJNL1".utf8)

    enum Record: Sendable, Hashable {
        case message(seq: UInt64, OutboxMessage)
        case ack(seq: UInt64)
    }

    /// A message the journal still holds.
    struct Live: Sendable, Hashable {
        var seq: UInt64
        var message: OutboxMessage
    }

    struct Decoded: Sendable, Hashable {
        /// Messages not acknowledged, in seq order.
        var live: [Live]
        var records: Int
        var acks: Int
        /// Bytes of the file that held whole records; anything after is a torn tail.
        var validLength: Int
        var tornBytes: Int
    }

    enum DecodeError: Error, Hashable {
        case notAJournal
    }

    static func encode(_ record: Record) -> [UInt8] {
        var body: [UInt8] = []
        switch record {
        case .message(let seq, let message):
            body.append(1)
            append(seq, to: &body)
            body.append(UInt8(message.qos.rawValue))
            body.append(message.retain ? 1 : 0)
            let topic = Array(message.topic.utf8)
            append(UInt32(topic.count), to: &body)
            body += topic
            append(UInt32(message.payload.count), to: &body)
            body += message.payload
        case .ack(let seq):
            body.append(2)
            append(seq, to: &body)
        }
        var out: [UInt8] = []
        out.reserveCapacity(body.count + 8)
        append(UInt32(body.count), to: &out)
        append(CRC32.checksum(body), to: &out)
        return out + body
    }

    /// Reads a whole journal file. An empty file is an empty journal; a file without the magic is refused so that
    /// a wrong path never has its contents rewritten.
    static func decode(_ bytes: [UInt8]) throws(DecodeError) -> Decoded {
        var decoded = Decoded(live: [], records: 0, acks: 0, validLength: 0, tornBytes: 0)
        guard !bytes.isEmpty else { return decoded }
        guard bytes.count >= magic.count else {
            // A crash while the header was written: nothing after it can exist.
            guard Array(bytes) == Array(magic.prefix(bytes.count)) else { throw .notAJournal }
            decoded.tornBytes = bytes.count
            return decoded
        }
        guard Array(bytes[0..<magic.count]) == magic else { throw .notAJournal }
        var live: [UInt64: OutboxMessage] = [:]
        var offset = magic.count
        while offset < bytes.count {
            guard let record = readRecord(bytes, at: offset) else { break }
            offset = record.end
            decoded.records += 1
            switch record.record {
            case .message(let seq, let message): live[seq] = message
            case .ack(let seq):
                decoded.acks += 1
                live[seq] = nil
            }
        }
        decoded.validLength = offset
        decoded.tornBytes = bytes.count - offset
        decoded.live = live.sorted { $0.key < $1.key }.map { Live(seq: $0.key, message: $0.value) }
        return decoded
    }

    private static func readRecord(_ bytes: [UInt8], at start: Int) -> (record: Record, end: Int)? {
        guard bytes.count - start >= 8 else { return nil }
        let length = Int(readU32(bytes, start))
        let crc = readU32(bytes, start + 4)
        let bodyStart = start + 8
        guard length >= 9, bytes.count - bodyStart >= length else { return nil }
        let body = Array(bytes[bodyStart..<(bodyStart + length)])
        guard CRC32.checksum(body) == crc else { return nil }
        let seq = readU64(body, 1)
        switch body[0] {
        case 1:
            guard body.count >= 19, let qos = MQTTQoS(rawValue: Int32(body[9])) else { return nil }
            let retain = body[10] != 0
            let topicLength = Int(readU32(body, 11))
            guard body.count >= 15 + topicLength + 4 else { return nil }
            let topic = String(decoding: body[15..<(15 + topicLength)], as: UTF8.self)
            let payloadStart = 15 + topicLength + 4
            let payloadLength = Int(readU32(body, 15 + topicLength))
            guard body.count == payloadStart + payloadLength else { return nil }
            let message = OutboxMessage(
                topic: topic, payload: Array(body[payloadStart...]), qos: qos, retain: retain, durable: true)
            return (.message(seq: seq, message), bodyStart + length)
        case 2:
            return (.ack(seq: seq), bodyStart + length)
        default:
            return nil
        }
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func readU32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * $1) }
    }

    private static func readU64(_ bytes: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * $1) }
    }
}

/// CRC-32 (IEEE 802.3, as zlib), to tell a torn journal record from a whole one.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n in
        (0..<8).reduce(UInt32(n)) { c, _ in c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        ~bytes.reduce(~UInt32(0)) { table[Int(($0 ^ UInt32($1)) & 0xFF)] ^ ($0 >> 8) }
    }
}

/// The journal file: open, load, append, rewrite. Owned by exactly one thread at a time (the client's init, then
/// the journal thread); every system call goes through `sys`, which reads `errno` at once.
final class JournalFile {
    let path: String
    private var fd: Int32
    /// `<path>.lock`, held with `flock` while this file is open: a second client or a second daemon on the same
    /// journal would interleave records and rewrite each other's file.
    private var lockFD: Int32
    private var size: Int
    /// Encoded records of the messages not yet acknowledged, by seq: what a rewrite keeps.
    private var live: [UInt64: [UInt8]] = [:]
    /// Records in the file that a rewrite would leave out (acks, and the messages they acknowledge).
    private var dead = 0

    /// Rewrite once this many records are dead and they outnumber the live ones.
    static let compactionThreshold = 64

    struct Loaded {
        var messages: [JournalCodec.Live]
        var tornBytes: Int
        var acknowledgedRecords: Int
        /// The rewrite at open failed (a full disk); the file is used as it is, a torn tail cut off in place.
        var compactionFailure: MQTTJournalError?
    }

    /// Opens (creating if needed) and loads the journal, rewriting it if it held acknowledged or torn records.
    static func open(path: String) throws(MQTTJournalError) -> (JournalFile, Loaded) {
        let lockPath = path + ".lock"
        let lockFD = try sys("open", lockPath) { Glibc.open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        // Retried for up to a second: a child process the daemon is spawning holds a copy of a just-closed lock
        // descriptor until its exec, which would otherwise make a quick stop-and-restart fail.
        var attempts = 0
        while flock(lockFD, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            attempts += 1
            if code == EINTR || (code == EWOULDBLOCK && attempts < 100) {
                usleep(10_000)
                continue
            }
            Glibc.close(lockFD)
            throw MQTTJournalError(
                code: code == EWOULDBLOCK ? 0 : code,
                operation: code == EWOULDBLOCK ? MQTTJournalError.inUse + " (flock):" : "flock",
                path: lockPath)
        }
        let fd: Int32
        do {
            fd = try sys("open", path) { Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        } catch {
            Glibc.close(lockFD)
            throw error
        }
        let file = JournalFile(path: path, fd: fd, lockFD: lockFD, size: 0)
        let bytes = try readAll(fd, path: path)
        file.size = bytes.count
        let decoded: JournalCodec.Decoded
        do {
            decoded = try JournalCodec.decode(bytes)
        } catch {
            throw MQTTJournalError(code: 0, operation: "not a Levee MQTT journal (no LVMQJNL1 header):", path: path)
        }
        for entry in decoded.live {
            file.live[entry.seq] = JournalCodec.encode(.message(seq: entry.seq, entry.message))
        }
        let acknowledged = decoded.records - decoded.live.count
        file.dead = acknowledged
        var compactionFailure: MQTTJournalError?
        if bytes.isEmpty || decoded.tornBytes > 0 || acknowledged > 0 {
            do {
                try file.rewrite()
            } catch {
                // A new file needs its header written; an old one still holds every live message as it is, and
                // cutting a torn tail shrinks the file, which needs no free space (after kill -9 on a full disk).
                guard !bytes.isEmpty else { throw error }
                compactionFailure = error
                let whole = bytes.count - decoded.tornBytes
                if decoded.tornBytes > 0 {
                    _ = try sys("ftruncate", path) { ftruncate(fd, off_t(whole)) }
                }
                file.size = whole
            }
        }
        return (
            file,
            Loaded(
                messages: decoded.live, tornBytes: decoded.tornBytes, acknowledgedRecords: acknowledged,
                compactionFailure: compactionFailure)
        )
    }

    private init(path: String, fd: Int32, lockFD: Int32, size: Int) {
        self.path = path
        self.fd = fd
        self.lockFD = lockFD
        self.size = size
    }

    deinit { close() }

    var liveCount: Int { live.count }

    /// Appends a durable message and waits for the disk (`fdatasync`): after this it survives a crash.
    func append(seq: UInt64, _ message: OutboxMessage) throws(MQTTJournalError) {
        let record = JournalCodec.encode(.message(seq: seq, message))
        try write(record)
        _ = try Self.sys("fdatasync", path) { fdatasync(fd) }
        live[seq] = record
    }

    /// Records that a message no longer needs keeping; no fsync (a lost ack costs one duplicate, not a loss).
    func acknowledge(seq: UInt64) throws(MQTTJournalError) {
        guard live.removeValue(forKey: seq) != nil else { return }
        try write(JournalCodec.encode(.ack(seq: seq)))
        dead += 2
        if dead >= Self.compactionThreshold && dead > live.count {
            try rewrite()
        }
    }

    /// Writes the live records to a temporary file, fsyncs it, renames it over the journal and fsyncs the
    /// directory, so a crash at any point leaves either the old journal or the new one.
    func rewrite() throws(MQTTJournalError) {
        let temporary = path + ".tmp"
        let tmp = try Self.sys("open", temporary) {
            Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        }
        var bytes = JournalCodec.magic
        for seq in live.keys.sorted() { bytes += live[seq]! }
        do {
            try Self.writeAll(tmp, bytes, path: temporary)
            _ = try Self.sys("fsync", temporary) { fsync(tmp) }
        } catch {
            Glibc.close(tmp)
            unlink(temporary)
            throw error
        }
        Glibc.close(tmp)
        _ = try Self.sys("rename", temporary) { rename(temporary, path) }
        let directory = (path as NSString).deletingLastPathComponent
        let dirFD = Glibc.open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 {
            _ = fsync(dirFD)
            Glibc.close(dirFD)
        }
        let newFD = try Self.sys("open", path) { Glibc.open(path, O_RDWR | O_CLOEXEC) }
        Glibc.close(fd)
        fd = newFD
        size = bytes.count
        _ = try Self.sys("lseek", path) { Int32(truncatingIfNeeded: lseek(fd, 0, SEEK_END)) }
        dead = 0
    }

    /// Makes the journal hold exactly `messages` (the durable messages the outbox holds now), rewritten in full:
    /// how a journal that could not be written catches up once it can.
    func replace(with messages: [(seq: UInt64, message: OutboxMessage)]) throws(MQTTJournalError) {
        live = Dictionary(
            messages.map { ($0.seq, JournalCodec.encode(.message(seq: $0.seq, $0.message))) },
            uniquingKeysWith: { _, last in last })
        try rewrite()
    }

    /// Closes the journal and releases its lock.
    func close() {
        if fd >= 0 { Glibc.close(fd) }
        if lockFD >= 0 { Glibc.close(lockFD) }
        fd = -1
        lockFD = -1
    }

    /// Appends one record with one `write`; on failure cuts the file back to its last whole record, so a later
    /// record is never stranded behind a torn one.
    private func write(_ record: [UInt8]) throws(MQTTJournalError) {
        _ = try Self.sys("lseek", path) { Int32(truncatingIfNeeded: lseek(fd, off_t(size), SEEK_SET)) }
        do {
            try Self.writeAll(fd, record, path: path)
            size += record.count
        } catch {
            _ = ftruncate(fd, off_t(size))
            throw error
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(MQTTJournalError) {
        var written = 0
        while written < bytes.count {
            let n = try sysSize("write", path) {
                bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            }
            written += n
        }
    }

    private static func readAll(_ fd: Int32, path: String) throws(MQTTJournalError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = try sysSize("read", path) {
                chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            }
            if n == 0 { return bytes }
            bytes += chunk[0..<n]
        }
    }

    /// Runs a system call that returns -1 on failure, retrying on EINTR and throwing with `errno` read at once.
    static func sys(_ operation: String, _ path: String, _ call: () -> Int32) throws(MQTTJournalError) -> Int32 {
        while true {
            let result = call()
            if result != -1 { return result }
            let code = errno
            if code == EINTR { continue }
            throw MQTTJournalError(code: code, operation: operation, path: path)
        }
    }

    private static func sysSize(_ operation: String, _ path: String, _ call: () -> Int) throws(MQTTJournalError)
        -> Int
    {
        while true {
            let result = call()
            if result != -1 { return result }
            let code = errno
            if code == EINTR { continue }
            throw MQTTJournalError(code: code, operation: operation, path: path)
        }
    }
}
