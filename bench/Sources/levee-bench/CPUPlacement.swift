import Foundation
import PlantSim

/// Which CPU each side of a loopback benchmark runs on.
///
/// On this kind of machine (a 2-vCPU VM) a loopback round trip between two threads costs about 20 µs when both
/// sit on one CPU and about 70 µs when they sit on two, because waking an idle vCPU is slow. Left to the
/// scheduler, a run lands in one mode or the other by chance and the figures swing by 3×. So the benchmarks that
/// ping-pong over loopback pin the simulator and the client, the same way for Levee and for its C baseline.
enum CPUPlacement: CustomStringConvertible {
    /// The simulator on one CPU, the client (Levee or the C program) on another: the field is "elsewhere".
    case separate
    /// Simulator and client on the same CPU: the round trip is all software, so client overhead shows fully.
    case shared

    var clientCPU: Int { 0 }
    var simulatorCPU: Int { self == .separate ? 1 : 0 }

    var description: String {
        switch self {
        case .separate: "simulator on CPU 1, client on CPU 0"
        case .shared: "simulator and client both on CPU 0"
        }
    }

    static let taskset = "/usr/bin/taskset"

    /// Whether pinning is possible here: util-linux's taskset for other processes, two CPUs for `.separate`.
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: taskset) && Affinity.original != nil
            && ProcessInfo.processInfo.activeProcessorCount >= 2
    }

    /// `path arguments`, started under taskset on `cpu` when pinning is available.
    static func command(_ path: String, _ arguments: [String], cpu: Int) -> (String, [String]) {
        available ? (taskset, ["-c", "\(cpu)", path] + arguments) : (path, arguments)
    }

    /// What the loopback latency parts use: the simulator on one CPU, Levee and the C baseline on another, when
    /// pinning is possible.
    static var loopback: CPUPlacement? { available ? .separate : nil }
}

extension Optional where Wrapped == CPUPlacement {
    /// Starts the plant with its server and clock threads on the simulator's CPU (they inherit the starter's).
    func start(_ plant: Plant) throws {
        if let placement = self { Affinity.pinCurrentThread(to: placement.simulatorCPU) }
        defer { Affinity.restoreCurrentThread() }
        try plant.start()
    }

    /// `path arguments` as the client side: on the client's CPU when placed.
    func client(_ path: String, _ arguments: [String]) -> (String, [String]) {
        self.map { CPUPlacement.command(path, arguments, cpu: $0.clientCPU) } ?? (path, arguments)
    }
}

/// The calling thread's CPU affinity, through glibc's `sched_setaffinity`; threads it creates afterwards inherit
/// it, which is how a `FieldIO`'s bus thread or a `Plant`'s server threads are placed.
///
/// `sched_setaffinity` and `cpu_set_t` are declared only under _GNU_SOURCE, which the Glibc module is not built
/// with, so the calls are looked up at run time and the mask is a plain 128-byte (1024-CPU) bit set.
enum Affinity {
    private typealias Call = @convention(c) (Int32, Int, UnsafeMutableRawPointer) -> Int32
    private static let maskBytes = 128

    private static func symbol(_ name: String) -> Call? {
        guard let handle = dlopen(nil, RTLD_NOW), let pointer = dlsym(handle, name) else { return nil }
        return unsafeBitCast(pointer, to: Call.self)
    }

    private static let set = symbol("sched_setaffinity")
    private static let get = symbol("sched_getaffinity")

    /// The mask the process started with, to restore after a pinned part; nil if it cannot be read.
    static let original: [UInt8]? = {
        guard let get else { return nil }
        var mask = [UInt8](repeating: 0, count: maskBytes)
        let rc = mask.withUnsafeMutableBytes { get(0, maskBytes, $0.baseAddress!) }
        return rc == 0 ? mask : nil
    }()

    /// Pins the calling thread to one CPU. Returns false if the call is unavailable or refused.
    @discardableResult
    static func pinCurrentThread(to cpu: Int) -> Bool {
        var mask = [UInt8](repeating: 0, count: maskBytes)
        mask[cpu / 8] |= 1 << UInt8(cpu % 8)
        return apply(mask)
    }

    /// Gives the calling thread back the process's original mask.
    static func restoreCurrentThread() {
        if let original { apply(original) }
    }

    @discardableResult
    private static func apply(_ mask: [UInt8]) -> Bool {
        guard let set else { return false }
        var mask = mask
        return mask.withUnsafeMutableBytes { set(0, maskBytes, $0.baseAddress!) } == 0
    }
}
