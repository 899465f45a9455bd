import Foundation

/// A failure of a GPIO chip or line, naming the chip and the call.
public struct GPIOError: Error, Sendable, Hashable, CustomStringConvertible {
    public var chip: String
    public var operation: String
    public var code: Int32
    public var detail: String?

    public init(chip: String, operation: String, code: Int32, detail: String? = nil) {
        self.chip = chip
        self.operation = operation
        self.code = code
        self.detail = detail
    }

    public var description: String {
        "GPIO chip \"\(chip)\": \(operation) failed: \(detail ?? String(cString: strerror(code)))"
    }
}

/// An edge seen on a line: its new physical level.
struct GPIOEdge: Sendable, Hashable {
    var offset: Int
    var level: Bool
}

/// The few operations Levee needs from a GPIO chip, on physical levels. The real chip (libgpiod) and the simulated
/// chip (levee-sim's socket) both implement it, so debounce, active-low and normally-closed logic above it run the
/// same code in tests and in the field. One bus thread owns a chip; implementations need not be thread-safe.
protocol GPIOChip: AnyObject {
    var name: String { get }
    func requestInput(offset: Int) throws(GPIOError)
    func requestOutput(offset: Int, level: Bool) throws(GPIOError)
    func read(offsets: [Int]) throws(GPIOError) -> [Bool]
    func write(offset: Int, level: Bool) throws(GPIOError)
    /// Waits up to `timeout` for edges on requested inputs; returns at once with any already seen.
    func waitForEdges(timeout: Duration) throws(GPIOError) -> [GPIOEdge]
    func close()
}

enum GPIOChips {
    /// Opens the chip a bus names: `sim:<socket>` is levee-sim's simulated chip, anything else goes to libgpiod
    /// (a name such as `gpiochip0`, a path such as `/dev/gpiochip0`, a label or a number).
    static func open(_ spec: String) throws(GPIOError) -> GPIOChip {
        if spec.hasPrefix("sim:") {
            return try SimulatedGPIOChip(socketPath: String(spec.dropFirst(4)))
        }
        return try LibgpiodChip(spec: spec)
    }
}
