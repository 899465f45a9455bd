import Config
import Foundation
import Testing

@testable import Devices

struct GPIOTests {
    typealias S = TestSupport

    /// This machine has no GPIO chip: the real backend must say so, naming the chip, and keep the points comm-fail.
    @Test func aMissingChipFailsClearlyNamingIt() async throws {
        let bus = Bus(id: "io", kind: .gpio(chip: "gpiochip7"), timeoutMs: 0)
        let button = Device(
            id: "estop", name: "一键关断按钮", kind: .digitalInput, bus: "io", unit: nil, line: .boundary,
            points: [
                "state": Point(
                    name: "state", source: .gpio(GPIOLine(offset: 0, direction: .input, normallyClosed: true)))
            ],
            settings: .digitalInput(DigitalInputSettings(role: .button)))
        let io = FieldIO(config: S.config(buses: [bus], devices: [button]), logger: S.logger)
        io.start()
        defer { io.stop() }
        #expect(try await S.wait { io.statistics(bus: "io")?.linkError != nil })
        let error = try #require(io.statistics(bus: "io")?.linkError)
        #expect(error.contains("GPIO chip \"gpiochip7\": open failed"), "\(error)")
        #expect(try await S.wait { io.reading("estop", "state")?.quality == .commFail })
        #expect(io.reading("estop", "state")?.value == nil)
        let snapshot = try #require(io.snapshot().first)
        #expect(snapshot.lastError?.contains("gpiochip7") == true)
    }

    @Test func openingARealChipByPathNamesThePath() throws {
        #expect(throws: GPIOError.self) { try LibgpiodChip(spec: "/dev/gpiochip9") }
        do {
            _ = try LibgpiodChip(spec: "/dev/gpiochip9")
        } catch {
            #expect(error.description.hasPrefix("GPIO chip \"/dev/gpiochip9\": open failed: "))
        }
    }
}
