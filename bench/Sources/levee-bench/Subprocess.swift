import Foundation

/// A failure of the benchmark harness itself (a tool that would not start, a reply it could not read), as opposed
/// to a figure that missed its target.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs a program to completion and returns its standard output; standard error goes to ours.
/// - Throws: `BenchError` if it cannot start or exits with a non-zero status.
func runTool(_ path: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let output = String(decoding: data, as: UTF8.self)
    guard process.terminationStatus == 0 else {
        throw BenchError("\(path) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(output)")
    }
    return output
}

/// Whether `path` is a leveed with a `run` subcommand (the parts that start the daemon need it).
func leveedHasRun(_ path: String) -> Bool {
    guard FileManager.default.isExecutableFile(atPath: path), let help = try? runTool(path, ["--help"]) else {
        return false
    }
    return help.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("run ") }
}

/// Reads `key value key value ...` output (what bench/c/*.c print) into a dictionary of numbers.
func keyValues(_ text: String) -> [String: Double] {
    let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    var out: [String: Double] = [:]
    var i = 0
    while i + 1 < words.count {
        if let v = Double(words[i + 1]) { out[words[i]] = v }
        i += 2
    }
    return out
}

/// A program left running in the background (levee-sim, leveed) with its output in a file, stopped with SIGTERM.
final class Background {
    let process = Process()
    let logPath: String

    /// Starts `path` with its standard output and error appended to `logPath`.
    init(_ path: String, _ arguments: [String], logPath: String) throws {
        self.logPath = logPath
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// What the program has written so far.
    var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Polls the output until `predicate` holds, for at most `timeout` seconds.
    func waitForOutput(timeout: Double, _ predicate: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = output
            if predicate(text) { return text }
            if !process.isRunning { return nil }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return nil
    }

    /// SIGTERM, then SIGKILL if it is still there after five seconds.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// A levee-sim process serving a scenario file; the ports are read from its banner.
final class SimulatorProcess {
    let background: Background
    let ports: [String: Int]

    /// - Parameter command: the program and its arguments: `levee-sim run SCENARIO`, perhaps under taskset.
    init(command: (String, [String]), logPath: String) throws {
        background = try Background(command.0, command.1, logPath: logPath)
        guard let banner = background.waitForOutput(timeout: 10, { $0.contains("control:") }) else {
            background.stop()
            throw BenchError("levee-sim did not start: \(background.output)")
        }
        // "  modbus tcp  field: 127.0.0.1:41267"
        var ports: [String: Int] = [:]
        for line in banner.split(separator: "\n") where line.contains("modbus tcp") {
            let fields = line.split(separator: " ")
            guard fields.count >= 4, let port = fields[3].split(separator: ":").last.flatMap({ Int($0) }) else {
                continue
            }
            ports[String(fields[2].dropLast())] = port
        }
        self.ports = ports
    }

    func stop() { background.stop() }
}

/// A port the kernel picks on 127.0.0.1, closed again for a server the bench starts (leveed's DCS link, levee-web)
/// to bind a moment later.
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw BenchError("socket: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Bool in
            bind(fd, p, length) == 0 && getsockname(fd, p, &length) == 0
        }
    }
    guard bound else { throw BenchError("no free port on 127.0.0.1") }
    return Int(UInt16(bigEndian: addr.sin_port))
}
