import Foundation
import Glibc

/// A scratch folder under /tmp, removed by the test.
public struct ScratchFolder: Sendable {
    public let path: String

    public init(_ name: String = #function) throws {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        path = NSTemporaryDirectory() + "levee-\(safe)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// A folder that already exists (a harness's own), used as the place to mount or write into.
    public init(existing path: String) { self.path = path }

    public func file(_ name: String) -> String { path + "/" + name }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// A tmpfs of `kilobytes` mounted under a scratch folder: a disk a test can fill up. Needs root (the test command
/// runs as root); elsewhere the test fails with a message saying so.
public struct TinyFilesystem: Sendable {
    public let mountPoint: String

    public init(in scratch: ScratchFolder, kilobytes: Int = 4096) throws {
        guard getuid() == 0 else { throw TestFailure("mounting a tiny filesystem needs root") }
        mountPoint = scratch.file("mnt")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let status = try Self.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", mountPoint])
        guard status == 0 else { throw TestFailure("cannot mount a tmpfs on \(mountPoint)") }
    }

    public func file(_ name: String) -> String { mountPoint + "/" + name }

    public func unmount() {
        if (try? Self.run("/usr/bin/umount", [mountPoint])) != 0 {
            _ = try? Self.run("/usr/bin/umount", ["-l", mountPoint])
        }
    }

    /// Writes a file until the filesystem has no byte left.
    public func fill(_ name: String = "filler") throws {
        let fd = open(file(name), O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { throw TestFailure("open \(file(name)): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0x55, count: 65536)
        for size in [65536, 4096, 512, 1] {
            while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, size) }) > 0 {}
            guard errno == ENOSPC else {
                throw TestFailure("filling \(mountPoint): \(String(cString: strerror(errno)))")
            }
        }
        fsync(fd)
    }

    private static func run(_ tool: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
