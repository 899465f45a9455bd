import Foundation
import Glibc

/// The control socket `levee-sim run` serves, so drills and scripts can inject faults and press buttons while the
/// plant runs. A line protocol on a Unix stream socket; every reply ends with a line `OK` or `ERR <reason>`,
/// after any body lines:
///
/// ```
/// FAULT <device> <kind> [key=value ...]     e.g. FAULT gas-b1 slow delay_ms=800 duration_s=30
/// CLEAR <device> [kind]
/// PRESS <line> | RELEASE <line>
/// LEVEL <line> <0|1|model>                  force an input line (cut wire: 0), or hand it back to its model
/// SET <device> <signal> <value>
/// STATUS                                    body: Plant.status()
/// ```
public final class ControlServer: Sendable {
    private let server: LineServer

    public init(plant: Plant, path: String) {
        server = LineServer(path: path, label: "control", onLine: { line, _ in Self.execute(line, on: plant) })
    }

    public var path: String { server.path }

    public func start() throws { try server.start() }

    /// Stops serving and removes the socket file.
    public func stop() { server.stop() }

    /// Executes one control line against `plant`; returns the reply lines.
    public static func execute(_ line: String, on plant: Plant) -> [String] {
        let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let verb = words.first?.uppercased() else { return ["ERR empty command"] }
        let args = Array(words.dropFirst())
        do {
            switch verb {
            case "FAULT":
                guard args.count >= 2 else { return ["ERR usage: FAULT <device> <kind> [key=value ...]"] }
                var parameters: [String: String] = [:]
                for pair in args.dropFirst(2) {
                    let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    guard kv.count == 2 else { return ["ERR \"\(pair)\" is not key=value"] }
                    parameters[kv[0]] = kv[1]
                }
                let fault = try Fault.parse(kind: args[1], parameters: parameters)
                let duration = parameters["duration_s"].flatMap(Double.init)
                try plant.inject(fault, device: args[0], duration: duration)
                return ["OK"]
            case "CLEAR":
                guard args.count == 1 || args.count == 2 else { return ["ERR usage: CLEAR <device> [kind]"] }
                if args.count == 2 {
                    try plant.clear(args[1], device: args[0])
                } else {
                    try plant.clear(device: args[0])
                }
                return ["OK"]
            case "PRESS", "RELEASE":
                guard args.count == 1, let n = Int(args[0]) else { return ["ERR usage: \(verb) <line>"] }
                if verb == "PRESS" { try plant.pressButton(line: n) } else { try plant.releaseButton(line: n) }
                return ["OK"]
            case "LEVEL":
                guard args.count == 2, let n = Int(args[0]), ["0", "1", "model"].contains(args[1]) else {
                    return ["ERR usage: LEVEL <line> <0|1|model>"]
                }
                try plant.setLineLevel(line: n, level: Int(args[1]))
                return ["OK"]
            case "SET":
                guard args.count == 3, let v = Double(args[2]) else {
                    return ["ERR usage: SET <device> <signal> <value>"]
                }
                try plant.setValue(v, device: args[0], signal: args[1])
                return ["OK"]
            case "STATUS":
                return plant.status().split(separator: "\n").map(String.init) + ["OK"]
            default:
                return ["ERR unknown command \"\(words[0])\" (FAULT, CLEAR, PRESS, RELEASE, LEVEL, SET, STATUS)"]
            }
        } catch {
            return ["ERR \(error)"]
        }
    }
}

/// The client side of the control socket, for `levee-sim ctl` and tests.
public enum ControlClient {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Sends one command and returns the body lines of an `OK` reply.
    /// - Throws: `Failure` with the server's reason on `ERR`, `SystemError` if the socket cannot be reached.
    public static func send(_ command: String, socketPath: String) throws -> [String] {
        let fd = try POSIX.connectUnix(path: socketPath)
        defer { close(fd) }
        guard POSIX.sendAll(fd, Array((command + "\n").utf8)) else {
            throw SystemError(code: errno, operation: "send to \(socketPath)")
        }
        var reader = LineReader(fd: fd)
        var body: [String] = []
        while let line = reader.next() {
            if line == "OK" { return body }
            if line.hasPrefix("ERR") {
                throw Failure(description: String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces))
            }
            body.append(line)
        }
        throw Failure(description: "the simulator closed the control connection without a reply")
    }
}
