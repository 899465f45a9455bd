import Foundation

/// Independent Modbus masters for tests of Levee's own servers: pymodbus from the project's venv, and mbpoll.
public enum ModbusMasters {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs a tool to completion (killed after `timeout` seconds), on a thread of its own.
    public static func run(_ executable: String, _ arguments: [String], timeout: Double = 60) throws -> Result {
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
        return Result(status: process.terminationStatus, stdout: stdout, stderr: stderr)
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
