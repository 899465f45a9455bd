import Foundation
import Glibc
import LeveeTestSupport
import Testing

@testable import PlantSim

/// A plant started on free ports with private paths under a fresh directory in /tmp, stopped and removed at
/// the end of the test.
final class RunningPlant: @unchecked Sendable {  // immutable after init; Plant is itself thread-safe
    let plant: Plant
    let directory: String

    init(_ toml: String, source: String = "test.toml", adjust: (inout Scenario) -> Void = { _ in }) throws {
        // Unix socket paths are limited to 107 bytes, so keep the directory short.
        directory = "/tmp/levee-sim-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        var scenario = try Scenario.parse(toml, source: source)
        scenario.isolate(in: directory)
        adjust(&scenario)
        plant = try Plant(scenario: scenario)
        try plant.start()
    }

    deinit {
        plant.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func port(_ server: String) throws -> Int { try #require(plant.tcpPort(server: server)) }
}

/// Polls `condition` until it holds or `timeout` seconds pass; returns whether it held. Deadlines are generous
/// so a slow or loaded machine does not fail a test.
func eventually(timeout: Double = 15, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}

struct ToolResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum Tools {
    /// The first executable named `name` on PATH.
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs a tool to completion (killed after `timeout` seconds).
    static func run(_ executable: String, _ arguments: [String], timeout: Double = 30) throws -> ToolResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        try process.run()
        if done.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            done.wait()
        }
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return ToolResult(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }

    /// mbpoll with PDU (0-based) addressing, one poll.
    static func mbpoll(_ arguments: [String]) throws -> ToolResult {
        try run(TestTools.executable("mbpoll"), ["-0", "-1"] + arguments)
    }

    /// The values mbpoll printed, as `[reference: text]`, e.g. `"[0]: \t12.5"` → `[0: "12.5"]`.
    static func mbpollValues(_ output: String) -> [Int: String] {
        var values: [Int: String] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("[") {
            let parts = line.split(separator: "]", maxSplits: 1)
            guard parts.count == 2, let ref = Int(parts[0].dropFirst()) else { continue }
            let text = parts[1].drop { $0 == ":" || $0 == " " || $0 == "\t" }
            values[ref] = String(text.split(separator: " ").first ?? "")
        }
        return values
    }

    /// Whether the project's venv Python can import pymodbus (the install step puts it there).
    static let hasPymodbus: Bool = {
        guard let python = try? TestTools.python() else { return false }
        return (try? run(python, ["-c", "import pymodbus"]).status) == 0
    }()

    /// Runs Modbus TCP operations with pymodbus and returns one result per operation: `registers`, `bits`,
    /// `exception` (code), `timeout` (true) or `error`, plus `elapsed` seconds.
    static func pymodbus(port: Int, timeout: Double = 1, _ operations: [[String: Any]]) throws -> [[String: Any]] {
        let python = try TestTools.python()
        let request: [String: Any] = ["port": port, "timeout": timeout, "ops": operations]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: request), as: UTF8.self)
        let result = try run(python, ["-c", pymodbusScript, json])
        try #require(result.status == 0, "pymodbus script failed: \(result.stderr)")
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        return try #require(parsed as? [[String: Any]])
    }

    /// pymodbus 3.x renamed `slave=` to `device_id=`; the script asks the installed version which it takes.
    static let pymodbusScript = """
        import inspect, json, sys, time
        from pymodbus.client import ModbusTcpClient
        from pymodbus.exceptions import ModbusIOException
        req = json.loads(sys.argv[1])
        params = inspect.signature(ModbusTcpClient.read_input_registers).parameters
        KW = "device_id" if "device_id" in params else "slave"
        c = ModbusTcpClient("127.0.0.1", port=req["port"], timeout=req["timeout"], retries=0)
        c.connect()
        out = []
        for op in req["ops"]:
            u = {KW: op["unit"]}
            fn = op["fn"]
            t0 = time.monotonic()
            try:
                if fn == "ir": r = c.read_input_registers(op["address"], count=op["count"], **u)
                elif fn == "hr": r = c.read_holding_registers(op["address"], count=op["count"], **u)
                elif fn == "di": r = c.read_discrete_inputs(op["address"], count=op["count"], **u)
                elif fn == "co": r = c.read_coils(op["address"], count=op["count"], **u)
                elif fn == "wc": r = c.write_coil(op["address"], bool(op["value"]), **u)
                elif fn == "wr": r = c.write_register(op["address"], op["value"], **u)
                elif fn == "wrs": r = c.write_registers(op["address"], op["values"], **u)
                elif fn == "wcs": r = c.write_coils(op["address"], [bool(v) for v in op["values"]], **u)
                if r.isError():
                    res = {"exception": getattr(r, "exception_code", -1)}
                else:
                    res = {"registers": list(getattr(r, "registers", []) or []),
                           "bits": [1 if b else 0 for b in (getattr(r, "bits", []) or [])][: op.get("count", 0)]}
            except ModbusIOException as e:
                res = {"timeout": True, "error": str(e)}
            except Exception as e:
                res = {"error": repr(e)}
            res["elapsed"] = time.monotonic() - t0
            out.append(res)
        c.close()
        print(json.dumps(out))
        """
}

/// A raw client for the simulator's line protocols (GPIO chip, control socket).
final class LineClient {
    let fd: Int32
    private var reader: LineReader

    init(path: String) throws {
        fd = try POSIX.connectUnix(path: path)
        reader = LineReader(fd: fd)
    }

    deinit { close(fd) }

    func send(_ line: String) throws -> String {
        try #require(POSIX.sendAll(fd, Array((line + "\n").utf8)))
        let reply = reader.next()
        return try #require(reply, "the server closed the connection")
    }
}

/// A raw serial client on the pty link, to time replies and send frames mbpoll would never send (bad CRC,
/// broadcast).
final class RawSerial {
    let fd: Int32

    init(path: String) throws {
        fd = try sys("open(\(path))") { open(path, O_RDWR | O_NOCTTY) }
        var tio = termios()
        tcgetattr(fd, &tio)
        cfmakeraw(&tio)
        tcsetattr(fd, TCSANOW, &tio)
        tcflush(fd, TCIOFLUSH)
    }

    deinit { close(fd) }

    /// Writes `frame` and collects the reply until `expected` bytes arrived or `timeout` passed.
    /// - Returns: the bytes and the seconds from the start of the write to the last byte. The clock starts before
    ///   the write: the simulator times its wire delay from when the bytes reach it, which on a loaded machine can
    ///   be before this thread runs again after the write, so a clock started after it could read less than the
    ///   delay the simulator really kept.
    func exchange(_ frame: [UInt8], expected: Int, timeout: Double = 1) -> (bytes: [UInt8], seconds: Double) {
        let start = ContinuousClock.now
        POSIX.writeAll(fd, frame)
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256)
        while reply.count < expected {
            let left = timeout - start.duration(to: .now).seconds
            guard left > 0, POSIX.waitReadable(fd, timeoutMs: Int32(left * 1000) + 1) else { break }
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            guard n > 0 else { break }
            reply += chunk[..<n]
        }
        return (reply, start.duration(to: .now).seconds)
    }
}

/// Connects a TCP socket to 127.0.0.1:`port`; returns the fd or the errno of the failed connect.
func tcpConnect(port: Int) -> Result<Int32, SystemError> {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = UInt16(port).bigEndian
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    if rc == 0 { return .success(fd) }
    let code = errno
    close(fd)
    return .failure(SystemError(code: code, operation: "connect"))
}
