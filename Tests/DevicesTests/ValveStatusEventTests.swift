import Config
import Foundation
import PlantSim
import Synchronization
import Testing

@testable import Devices

/// Field events carry the valve status their tracker derived, so that no consumer (the shutoff, the alarms, the
/// status) asks the field layer for it: open, travelling, closed, fault, unknown, the mode and each movement.
@Suite(.serialized)
struct ValveStatusEventTests {
    typealias S = TestSupport

    /// The position the limit switches of one update show: nil when they are not both in it.
    static func limits(_ u: DeviceUpdate) -> (open: Bool?, closed: Bool?)? {
        guard let open = u.readings.first(where: { $0.point == "open_limit" }),
            let closed = u.readings.first(where: { $0.point == "closed_limit" })
        else { return nil }
        return (open.state, closed.state)
    }

    @Test func eachValveEventAndUpdateCarriesTheStatusItsTrackerDerived() async throws {
        let sim = try SimulatedPlant(transport: "tcp", devices: [SimulatorTests.everyType[0]])
        defer { sim.stop() }
        let io = FieldIO(config: sim.config, logger: S.logger)
        let stream = io.events()
        let seen = Mutex<[FieldEvent]>([])
        let collector = Task { for await e in stream { seen.withLock { $0.append(e) } } }
        io.start()
        defer {
            io.stop()
            collector.cancel()
        }
        // Open; commanded closed (travelling, then closed); local and back; jammed halfway (a fault); silent
        // (unknown).
        #expect(try await S.wait { io.valveStatus("valve")?.position == .open })
        let closed = try await io.moveValve("valve", to: .closed, origin: S.origin)
        #expect(closed.outcome == .reached)
        try sim.plant.inject(.local, device: "valve")
        #expect(try await S.wait { io.valveStatus("valve")?.mode == .local })
        try sim.plant.inject(.remote, device: "valve")
        #expect(try await S.wait { io.valveStatus("valve")?.mode == .remote })
        try sim.plant.inject(.halfway(percent: 50), device: "valve")
        let jammed = try await io.moveValve("valve", to: .open, origin: S.origin)
        guard case .failed = jammed.outcome else {
            Issue.record("expected a failed movement, got \(jammed)")
            return
        }
        #expect(try await S.wait { io.valveStatus("valve")?.position == .fault })
        try sim.plant.inject(.dead, device: "valve")
        #expect(try await S.wait(30) { io.valveStatus("valve")?.position == .unknown })
        // Every event so far has been handed on.
        try await Task.sleep(for: .milliseconds(300))

        let events = seen.withLock { $0 }
        var positions = Set<ValvePosition>()
        var modes = Set<ValveMode>()
        var movements: [StrokeRecord] = []
        var lastCarried: ValveStatus?
        for event in events {
            switch event {
            case .valve(let id, let e, let status):
                #expect(id == "valve" && status.valve == "valve")
                lastCarried = status
                switch e {
                case .positionChanged(_, let to):
                    #expect(status.position == to, "\(e)")
                    positions.insert(to)
                case .modeChanged(_, let to):
                    #expect(status.mode == to, "\(e)")
                    modes.insert(to)
                case .faultBitChanged(let on):
                    if status.position != .unknown { #expect(status.faultBit == on, "\(e)") }
                case .movementFinished(let record):
                    movements.append(record)
                    if record.outcome != .alreadyThere { #expect(status.lastMovement == record, "\(e)") }
                    if case .failed(let reason) = record.outcome { #expect(status.movementFault == reason) }
                    if record.outcome == .reached { #expect(status.movementFault == nil) }
                }
            case .update(let u) where u.device == "valve":
                let status = try #require(u.valve, "an update of a valve carries its status")
                lastCarried = status
                positions.insert(status.position)
                // The position is the one this update's limit switches show.
                guard let (open, closed) = Self.limits(u) else { continue }
                switch (open, closed) {
                case (true?, false?): #expect(status.position == .open)
                case (false?, true?): #expect(status.position == .closed)
                case (true?, true?): #expect(status.position == .fault)
                case (false?, false?): #expect([.travelling, .fault].contains(status.position))
                default: #expect(status.position == .unknown, "unusable feedback: \(u.readings)")
                }
            case .update(let u):
                #expect(u.valve == nil, "\(u.device) is not a valve")
            case .command:
                break
            }
        }
        #expect(positions.isSuperset(of: [.open, .travelling, .closed, .fault, .unknown]), "\(positions)")
        #expect(modes.isSuperset(of: [.local, .remote]), "\(modes)")
        #expect(movements.contains(closed) && movements.contains(jammed))
        // The last status carried is the one the tracker holds now.
        #expect(lastCarried == io.valveStatus("valve"))
    }
}
