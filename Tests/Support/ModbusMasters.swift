import Foundation
import Glibc

/// Independent Modbus masters for tests of Levee's own servers: pymodbus from the project's venv, and mbpoll.
public enum ModbusMasters {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs a tool to completion (killed after `timeout` seconds), on the calling thread, which it blocks.
    ///
    /// posix_spawn with the output in two scratch files, not Foundation's `Process`: the suite runs these from many
    /// threads at once, and `Process.run` crashed in one full run with a bad pointer inside its own setup.
    public static func run(_ executable: String, _ arguments: [String], timeout: Double = 60) throws -> Result {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("levee-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let outPath = folder.appendingPathComponent("out").path
        let errPath = folder.appendingPathComponent("err").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        SpawnActions.closeInherited(&actions)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard rc == 0 else { throw TestFailure("posix_spawn \(executable): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(timeout)
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            usleep(10_000)
        }
        let exited = status & 0x7f == 0
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return Result(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), stdout: stdout, stderr: stderr)
    }

    /// mbpoll with PDU (0-based) addressing and one poll, against 127.0.0.1.
    public static func mbpoll(_ arguments: [String]) throws -> Result {
        try run(TestTools.executable("mbpoll"), ["-0", "-1"] + arguments)
    }

    /// The values mbpoll printed, as `[reference: text]`, e.g. `"[0]: \t12.5"` → `[0: "12.5"]`.
    public static func mbpollValues(_ output: String) -> [Int: String] {
        var values: [Int: String] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("[") {
            let parts = line.split(separator: "]", maxSplits: 1)
            guard parts.count == 2, let ref = Int(parts[0].dropFirst()) else { continue }
            let text = parts[1].drop { $0 == ":" || $0 == " " || $0 == "\t" }
            values[ref] = String(text.split(separator: " ").first ?? "")
        }
        return values
    }

    /// Runs Modbus TCP operations with pymodbus over one connection and returns one result per operation:
    /// `registers`, `bits`, `exception` (code), `timeout` (true) or `error`. Operations: `fn` is "ir", "hr", "di",
    /// "co" (reads with `address` and `count`), "wc" (`address`, `value`), "wr", "wcs", "wrs", or "sleep"
    /// (`seconds`); `unit` defaults to 1. A read with `as` ("int16", "int32" or "float32") and `order` ("ABCD",
    /// "CDAB", "BADC", "DCBA") also returns `value`, decoded in Python from the letters' definition (the bytes of
    /// the big-endian value in the order they appear on the wire), independently of Levee's codec.
    public static func pymodbus(port: Int, timeout: Double = 2, _ operations: [[String: Any]]) throws -> [[String: Any]]
    {
        let python = try TestTools.python()
        let request: [String: Any] = ["port": port, "timeout": timeout, "ops": operations]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: request), as: UTF8.self)
        let result = try run(python, ["-c", pymodbusScript, json])
        guard result.status == 0 else { throw TestFailure("pymodbus script failed: \(result.stderr)") }
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        guard let list = parsed as? [[String: Any]] else { throw TestFailure("pymodbus printed \(result.stdout)") }
        return list
    }

    /// pymodbus 3.x renamed `slave=` to `device_id=`; the script asks the installed version which it takes.
    static let pymodbusScript = """
        import inspect, json, struct, sys, time
        from pymodbus.client import ModbusTcpClient
        from pymodbus.exceptions import ModbusIOException
        req = json.loads(sys.argv[1])
        params = inspect.signature(ModbusTcpClient.read_input_registers).parameters
        KW = "device_id" if "device_id" in params else "slave"
        c = ModbusTcpClient("127.0.0.1", port=req["port"], timeout=req["timeout"], retries=0)
        c.connect()
        out = []
        for op in req["ops"]:
            fn = op["fn"]
            if fn == "sleep":
                time.sleep(op["seconds"])
                out.append({})
                continue
            u = {KW: op.get("unit", 1)}
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
                    t = op.get("as")
                    regs = res["registers"]
                    if t == "int16":
                        res["value"] = struct.unpack(">h", struct.pack(">H", regs[0]))[0]
                    elif t in ("int32", "float32"):
                        wire = b"".join(struct.pack(">H", w) for w in regs[:2])
                        at = {ch: i for i, ch in enumerate(op["order"])}
                        value = bytes(wire[at[ch]] for ch in "ABCD")
                        res["value"] = struct.unpack(">f" if t == "float32" else ">i", value)[0]
            except ModbusIOException as e:
                res = {"timeout": True, "error": str(e)}
            except Exception as e:
                res = {"error": repr(e)}
            out.append(res)
        c.close()
        print(json.dumps(out))
        """
}
