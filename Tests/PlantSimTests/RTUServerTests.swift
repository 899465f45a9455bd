import Foundation
import Glibc
import ModbusWire
import Testing

@testable import PlantSim

@Suite(.serialized)
struct RTUServerTests {
    @Test func linkPointsAtThePtySlave() throws {
        let sim = try RunningPlant(testScenario)
        let link = try #require(sim.plant.rtuLinkPath(server: "rtu"))
        let device = try #require(sim.plant.rtuDevicePath(server: "rtu"))
        #expect(device.hasPrefix("/dev/pts/"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == device)
        sim.plant.stop()
        #expect(!FileManager.default.fileExists(atPath: link), "stop() removes the link")
    }

    @Test func mbpollReadsThePoolLevelOverRTU() throws {
        let sim = try RunningPlant(testScenario)
        let link = try #require(sim.plant.rtuLinkPath(server: "rtu"))
        // mbpoll's default word order for floats is CDAB (low word first), the level transmitter's order.
        let r = try Tools.mbpoll([
            "-m", "rtu", "-b", "9600", "-P", "none", "-a", "1", "-t", "3:float", "-r", "0",
            "-c", "1", "-o", "2", link,
        ])
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(Tools.mbpollValues(r.stdout)[0] == "2.5")
        let mm = try Tools.mbpoll([
            "-m", "rtu", "-b", "9600", "-P", "none", "-a", "1", "-t", "3", "-r", "2",
            "-o", "2", link,
        ])
        #expect(Tools.mbpollValues(mm.stdout)[2] == "2500")
        // A second unit on the same line.
        let wq = try Tools.mbpoll([
            "-m", "rtu", "-b", "9600", "-P", "none", "-a", "2", "-t", "3", "-r", "6",
            "-o", "2", link,
        ])
        #expect(Tools.mbpollValues(wq.stdout)[6] == "0")
        #expect(sim.plant.requestCount(server: "rtu", unit: 1, function: 0x04) == 2)
        #expect(sim.plant.requestCount(server: "rtu", unit: 2, function: 0x04) == 1)
    }

    @Test func repliesTakeAtLeastTheWireTime() throws {
        let sim = try RunningPlant(testScenario)
        let serial = try RawSerial(path: try #require(sim.plant.rtuLinkPath(server: "rtu")))
        let request = RTUFrame.encode(unit: 1, pdu: ModbusRequest.read(.inputRegister, address: 0, count: 3).pdu)
        let replyLength = 5 + 2 * 3
        let (reply, seconds) = serial.exchange(request, expected: replyLength)
        #expect(reply.count == replyLength)
        let (unit, pdu) = try RTUFrame.verify(reply)
        #expect(unit == 1 && pdu.prefix(2) == [0x04, 0x06])
        let timing = SerialTiming(baud: 9600)
        let wire = timing.duration(ofBytes: request.count + replyLength) + timing.interFrameGap  // about 23.4 ms
        #expect(seconds >= wire * 0.95, "reply after \(seconds * 1000) ms, the wire needs \(wire * 1000) ms")
    }

    @Test func badCRCAndForeignUnitsGetNoReply() throws {
        let sim = try RunningPlant(testScenario)
        let serial = try RawSerial(path: try #require(sim.plant.rtuLinkPath(server: "rtu")))
        var bad = RTUFrame.encode(unit: 1, pdu: ModbusRequest.read(.inputRegister, address: 0, count: 1).pdu)
        bad[bad.count - 1] ^= 0xFF
        #expect(serial.exchange(bad, expected: 1, timeout: 0.5).bytes.isEmpty)
        let foreign = RTUFrame.encode(unit: 9, pdu: ModbusRequest.read(.inputRegister, address: 0, count: 1).pdu)
        #expect(serial.exchange(foreign, expected: 1, timeout: 0.5).bytes.isEmpty)
        // The line re-synchronises: the next good frame is answered.
        let good = RTUFrame.encode(unit: 1, pdu: ModbusRequest.read(.inputRegister, address: 2, count: 1).pdu)
        let reply = serial.exchange(good, expected: 7).bytes
        #expect(reply == RTUFrame.encode(unit: 1, pdu: [0x04, 0x02, 0x09, 0xC4]))  // 2500 mm
        #expect(sim.plant.requestCount(server: "rtu", unit: 9) == 1)
    }

    @Test func broadcastWriteIsExecutedWithoutAReply() throws {
        let sim = try RunningPlant(testScenario)
        let serial = try RawSerial(path: try #require(sim.plant.rtuLinkPath(server: "rtu")))
        #expect(sim.plant.valve("inlet")?.closedLimit == true)
        let open = RTUFrame.encode(unit: 0, pdu: ModbusRequest.writeSingleCoil(address: 0, value: true).pdu)
        #expect(serial.exchange(open, expected: 1, timeout: 0.5).bytes.isEmpty)
        #expect(eventually { sim.plant.valve("inlet")?.openLimit == true })
        let record = try #require(sim.plant.writeLog(server: "rtu").last)
        #expect(record.unit == 0 && record.device == nil && record.function == 0x05)
    }

    @Test func unknownFunctionIsFramedBySilenceAndRefused() throws {
        let sim = try RunningPlant(testScenario)
        let serial = try RawSerial(path: try #require(sim.plant.rtuLinkPath(server: "rtu")))
        // Read device identification (0x2B/0x0E): a length this codec does not know.
        let request = RTUFrame.encode(unit: 2, pdu: [0x2B, 0x0E, 0x01, 0x00])
        let reply = serial.exchange(request, expected: 5).bytes
        #expect(reply == RTUFrame.encode(unit: 2, pdu: [0xAB, 0x01]))
    }
}
