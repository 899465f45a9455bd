import Foundation

/// The command line bench/run.sh passes: where the release binaries and the compiled C baselines are, a scratch
/// directory, the seed, and which parts to run.
struct Options {
    static let parts = ["throughput", "latency", "historian", "footprint", "trigger", "dcs"]

    var leveeSim = ""
    var leveed = ""
    /// levee-web, for the footprint's web figures; empty when not built.
    var leveeWeb = ""
    var modbusLoop = ""
    var sqliteRaw = ""
    var work = NSTemporaryDirectory() + "levee-bench"
    var seed: UInt64 = 1
    var only: Set<String> = Set(parts)

    static let usage = """
        usage: levee-bench --levee-sim PATH --leveed PATH [--levee-web PATH] --modbus-loop PATH --sqlite-raw PATH --work DIR
                           [--seed N] [--only throughput,latency,historian,footprint,trigger,dcs]
        Normally run through bench/run.sh, which builds everything and passes these.
        """

    init(arguments: [String]) throws {
        var i = 0
        func value() throws -> String {
            i += 1
            guard i < arguments.count else { throw BenchError("\(arguments[i - 1]) needs a value\n\(Self.usage)") }
            return arguments[i]
        }
        while i < arguments.count {
            switch arguments[i] {
            case "--levee-sim": leveeSim = try value()
            case "--leveed": leveed = try value()
            case "--levee-web": leveeWeb = try value()
            case "--modbus-loop": modbusLoop = try value()
            case "--sqlite-raw": sqliteRaw = try value()
            case "--work": work = try value()
            case "--seed":
                let text = try value()
                guard let s = UInt64(text) else { throw BenchError("--seed \(text): not a non-negative integer") }
                seed = s
            case "--only":
                only = Set(try value().split(separator: ",").map(String.init))
                if let bad = only.first(where: { !Self.parts.contains($0) }) {
                    throw BenchError("--only: unknown part \"\(bad)\" (parts: \(Self.parts.joined(separator: ", ")))")
                }
            case "-h", "--help": throw BenchError(Self.usage)
            default: throw BenchError("unknown argument \"\(arguments[i])\"\n\(Self.usage)")
            }
            i += 1
        }
    }
}
