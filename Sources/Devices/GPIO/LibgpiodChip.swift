import CGPIOD
import Foundation

/// A real GPIO chip through libgpiod 1.6 (the v1 API Debian 12 ships). Lines are requested for both-edge events
/// (inputs) or as outputs; edges are waited for with poll(2) on the lines' event descriptors.
final class LibgpiodChip: GPIOChip {
    let name: String
    private let chip: OpaquePointer
    private var inputs: [Int: OpaquePointer] = [:]
    private var outputs: [Int: OpaquePointer] = [:]
    private static let consumer = "leveed"

    init(spec: String) throws(GPIOError) {
        name = spec
        // gpiod_chip_open_lookup accepts a name, a path, a label or a number. It returns NULL with errno set; on a
        // machine with no GPIO chip that is ENOENT, reported with the chip's name.
        guard let c = gpiod_chip_open_lookup(spec) else {
            let code = levee_gpiod_errno()
            throw GPIOError(
                chip: spec, operation: "open", code: code,
                detail:
                    "\(String(cString: strerror(code))) (no such GPIO chip on this machine? see `ls /dev/gpiochip*`)")
        }
        chip = c
    }

    deinit { close() }

    func close() {
        for line in inputs.values { gpiod_line_release(line) }
        for line in outputs.values { gpiod_line_release(line) }
        inputs = [:]
        outputs = [:]
        if !closed {
            gpiod_chip_close(chip)
            closed = true
        }
    }
    private var closed = false

    private func line(_ offset: Int) throws(GPIOError) -> OpaquePointer {
        guard let l = gpiod_chip_get_line(chip, UInt32(offset)) else {
            throw GPIOError(chip: name, operation: "get line \(offset)", code: levee_gpiod_errno())
        }
        return l
    }

    func requestInput(offset: Int) throws(GPIOError) {
        let l = try line(offset)
        if gpiod_line_request_both_edges_events(l, Self.consumer) != 0 {
            throw GPIOError(chip: name, operation: "request line \(offset) as input", code: levee_gpiod_errno())
        }
        inputs[offset] = l
    }

    func requestOutput(offset: Int, level: Bool) throws(GPIOError) {
        let l = try line(offset)
        if gpiod_line_request_output(l, Self.consumer, level ? 1 : 0) != 0 {
            throw GPIOError(chip: name, operation: "request line \(offset) as output", code: levee_gpiod_errno())
        }
        outputs[offset] = l
    }

    func read(offsets: [Int]) throws(GPIOError) -> [Bool] {
        var result: [Bool] = []
        for offset in offsets {
            guard let l = inputs[offset] ?? outputs[offset] else {
                throw GPIOError(
                    chip: name, operation: "read line \(offset)", code: EINVAL, detail: "line not requested")
            }
            let v = gpiod_line_get_value(l)
            if v < 0 { throw GPIOError(chip: name, operation: "read line \(offset)", code: levee_gpiod_errno()) }
            result.append(v == 1)
        }
        return result
    }

    func write(offset: Int, level: Bool) throws(GPIOError) {
        guard let l = outputs[offset] else {
            throw GPIOError(chip: name, operation: "set line \(offset)", code: EINVAL, detail: "line not an output")
        }
        if gpiod_line_set_value(l, level ? 1 : 0) != 0 {
            throw GPIOError(chip: name, operation: "set line \(offset)", code: levee_gpiod_errno())
        }
    }

    func waitForEdges(timeout: Duration) throws(GPIOError) -> [GPIOEdge] {
        let lines = Array(inputs)
        if lines.isEmpty {
            Thread.sleep(
                forTimeInterval: timeout.inSeconds)
            return []
        }
        var fds = lines.map { pollfd(fd: gpiod_line_event_get_fd($0.value), events: Int16(POLLIN), revents: 0) }
        let ms = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let rc = poll(&fds, nfds_t(fds.count), ms)
        if rc < 0 {
            let code = levee_gpiod_errno()
            if code == EINTR { return [] }
            throw GPIOError(chip: name, operation: "wait for edges", code: code)
        }
        var edges: [GPIOEdge] = []
        for (i, fd) in fds.enumerated() where fd.revents & Int16(POLLIN) != 0 {
            var event = gpiod_line_event()
            if gpiod_line_event_read(lines[i].value, &event) != 0 {
                throw GPIOError(chip: name, operation: "read edge of line \(lines[i].key)", code: levee_gpiod_errno())
            }
            edges.append(GPIOEdge(offset: lines[i].key, level: event.event_type == GPIOD_LINE_EVENT_RISING_EDGE))
        }
        return edges
    }
}
