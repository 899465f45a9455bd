import Foundation
import Glibc
import Testing

@testable import PlantSim

@Suite(.serialized)
struct GPIOChipTests {
    @Test func protocolRoundTrip() throws {
        let sim = try RunningPlant(testScenario)
        let path = try #require(sim.plant.gpioSocketPath)
        let client = try LineClient(path: path)
        #expect(try client.send("INFO") == "OK testchip 6")
        #expect(try client.send("READ 0 1 2 5") == "OK 1 0 0 0")  // NC button idles at 1
        #expect(try client.send("EVENTS") == "OK")

        let before = POSIX.monotonicNanoseconds()
        try sim.plant.pressButton(line: 0)
        let after = POSIX.monotonicNanoseconds()
        #expect(try client.send("READ 0") == "OK 0")
        let events = try client.send("EVENTS").split(separator: " ")
        #expect(events.count == 2 && events[0] == "OK")
        let fields = events[1].split(separator: ":")
        #expect(fields.count == 3 && fields[0] == "0" && fields[1] == "0")
        let ns = try #require(UInt64(fields[2]))
        #expect(ns >= before && ns <= after)
        #expect(try client.send("EVENTS") == "OK", "the queue empties on every EVENTS")

        try sim.plant.releaseButton(line: 0)
        #expect(try client.send("EVENTS").hasPrefix("OK 0:1:"))

        // Driving an output: the plant sees it, and so does every other connection's queue.
        let other = try LineClient(path: path)
        #expect(try other.send("EVENTS") == "OK")  // a round trip: the connection's queue now exists
        #expect(try client.send("SET 2 1") == "OK")
        #expect(sim.plant.gpioLevel(line: 2) == 1)
        #expect(try other.send("EVENTS").hasPrefix("OK 2:1:"))
        #expect(try client.send("EVENTS").hasPrefix("OK 2:1:"))
    }

    @Test func theEdgeLogKeepsWhenAnEdgeHappenedAndWhenItWasCollected() throws {
        let sim = try RunningPlant(testScenario)
        let client = try LineClient(path: try #require(sim.plant.gpioSocketPath))
        #expect(try client.send("EVENTS") == "OK")
        let before = ContinuousClock.now
        try sim.plant.pressButton(line: 0)
        let pressed = try #require(sim.plant.gpioEdgeLog().last)
        #expect(pressed.line == 0 && pressed.level == 0)
        #expect(pressed.changedAt >= before)
        #expect(pressed.deliveredAt == nil, "nobody has collected it yet")
        _ = try client.send("EVENTS")
        let collected = try #require(sim.plant.gpioEdgeLog().last)
        #expect(try #require(collected.deliveredAt) >= collected.changedAt)
    }

    @Test func malformedRequestsGetErr() throws {
        let sim = try RunningPlant(testScenario)
        let client = try LineClient(path: try #require(sim.plant.gpioSocketPath))
        for bad in [
            "", "HELLO", "READ", "READ x", "READ 6", "SET 2", "SET 2 5", "SET 0 1", "SET 9 1", "INFO 1",
            "EVENTS now",
        ] {
            #expect(try client.send(bad).hasPrefix("ERR "), "\(bad)")
        }
        #expect(try client.send("INFO").hasPrefix("OK "), "the connection survives errors")
    }

    @Test func cutWireAndRainContact() throws {
        let sim = try RunningPlant(testScenario)
        #expect(sim.plant.gpioLevel(line: 0) == 1)
        try sim.plant.setLineLevel(line: 0, level: 0)  // cut wire
        #expect(sim.plant.gpioLevel(line: 0) == 0)
        try sim.plant.setLineLevel(line: 0, level: nil)
        #expect(sim.plant.gpioLevel(line: 0) == 1)
        #expect(throws: PlantError.notAButton(1)) { try sim.plant.pressButton(line: 1) }
        #expect(throws: PlantError.unknownLine(6)) { try sim.plant.pressButton(line: 6) }
    }

    @Test func eventQueueKeepsTheNewest1024() throws {
        let sim = try RunningPlant(testScenario)
        let client = try LineClient(path: try #require(sim.plant.gpioSocketPath))
        #expect(try client.send("EVENTS") == "OK")
        for i in 0..<1100 { try sim.plant.setLineLevel(line: 2, level: (i + 1) % 2) }
        let events = try client.send("EVENTS").split(separator: " ").dropFirst()
        #expect(events.count == 1024)
        #expect(events.last?.hasPrefix("2:0:") == true)  // the 1100th edge drove the line to 0
    }

    @Test func rainPatternPulses() throws {
        let toml = """
            [gpio]
            socket = "/tmp/unused.sock"
            [[gpio.lines]]
            offset = 1
            role = "rain"
            pattern = [[0, 0], [0.3, 1], [0.6, 0]]
            repeat_s = 1.0
            """
        let sim = try RunningPlant(toml)
        let client = try LineClient(path: try #require(sim.plant.gpioSocketPath))
        #expect(try client.send("EVENTS").hasPrefix("OK"))
        let t0 = sim.plant.simulationTime
        #expect(eventually { sim.plant.simulationTime > t0 + 2.2 })
        let edges = try client.send("EVENTS").split(separator: " ").dropFirst().map { $0.split(separator: ":") }
        // A 300 ms pulse every second: in 2.2 s at least two rises and two falls, alternating.
        #expect(edges.count >= 4, "\(edges)")
        #expect(edges.allSatisfy { $0[0] == "1" })
        for (a, b) in zip(edges, edges.dropFirst()) { #expect(a[1] != b[1]) }
    }
}
