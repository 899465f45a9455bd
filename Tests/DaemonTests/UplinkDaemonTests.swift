import ControlAPI
import Foundation
import LeveeTestSupport
import PlantSim
import Testing

/// The HJ 212 uplink in the real daemon against the independent Python platform (simulators/hj212-receiver),
/// which checks every frame's length and CRC with its own code.
@Suite(.serialized)
struct UplinkDaemonTests {
    typealias H = DaemonHarness

    /// The platform, logging one JSON line per frame to a file, requests taken from a control file.
    final class Platform: @unchecked Sendable {
        // @unchecked: set in init, then only read.
        let process: ChildProcess
        let log: String
        let control: String
        let port: Int

        /// Starts the platform on port 0 and reads the port it got from its first line, so no other process can
        /// take the port in between.
        init(directory: String) async throws {
            log = directory + "/hj212.jsonl"
            control = directory + "/hj212-requests"
            FileManager.default.createFile(atPath: control, contents: nil)
            process = try ChildProcess(
                try TestTools.python(),
                [
                    "-u", TestTools.file("simulators/hj212-receiver/receiver.py"), "--port", "0", "--mn",
                    "LEVEETEST0001", "--pw", "123456", "--log", log, "--control", control,
                ], captureOutput: true)
            let first = await process.line { $0.contains(#""event": "listening""#) }
            let object = first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: Any]
            port = try #require(object?["port"] as? Int, "the HJ 212 receiver did not start: \(process.output)")
        }

        var entries: [[String: Any]] {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
            }
        }

        func frames(_ cn: String) -> [[String: Any]] {
            entries.filter { $0["event"] as? String == "frame" && $0["cn"] as? String == cn }
        }

        /// The value of `key` in a frame's data area.
        static func field(_ frame: [String: Any], _ key: String) -> String? {
            for group in frame["cp"] as? [[Any]] ?? [] {
                for pair in group {
                    if let kv = pair as? [String], kv.count == 2, kv[0] == key { return kv[1] }
                }
            }
            return nil
        }

        func request(_ line: String) throws {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: control))
            handle.seekToEndOfFile()
            handle.write(Data((line + "\n").utf8))
            try handle.close()
        }

        func stop() { process.kill(SIGKILL) }
    }

    @Test func realTimeDataReachesThePlatformWithItsFlagAndRequestsAreAnswered() async throws {
        let h = try H(scenario: DefencePlant.scenario)
        defer { h.stop() }
        let platform = try await Platform(directory: h.directory)
        let uplink = """

            [uplink]
            server = "127.0.0.1:\(platform.port)"
            mn = "LEVEETEST0001"
            pw = "123456"
            realtime_interval_s = 5

            [uplink.factors]
            "gas-a1.concentration" = "a99001"

            """
        try h.plant.setValue(12.5, device: "gas-a1", signal: "value")
        try h.write(
            config: DefencePlant.config(port: h.plant.tcpPort(server: "plc")!, directory: h.directory, extra: uplink))
        try h.start()
        #expect(await H.wait { try h.status()?.links?.uplink?.connected == true }, "\(h.log)")

        // Real-time data: the platform verified the CRC, the value is the simulator's, the flag is N.
        #expect(
            await H.wait(30) {
                platform.frames("2011").contains { Platform.field($0, "a99001-Rtd") == "12.5" }
            }, "\(platform.entries)")
        let rtd = try #require(platform.frames("2011").last { Platform.field($0, "a99001-Rtd") == "12.5" })
        #expect(rtd["crc_ok"] as? Bool == true)
        #expect(Platform.field(rtd, "a99001-Flag") == "N")
        #expect(rtd["mn"] as? String == "LEVEETEST0001")
        // And it was acknowledged (9014), so the link shows an acknowledgement.
        #expect(await H.wait { try h.status()?.links?.uplink?.lastAcknowledged != nil })

        // The platform asks for the time and to change the real-time interval.
        try platform.request("CN=1011")
        #expect(await H.wait { !platform.frames("1011").isEmpty && !platform.frames("9012").isEmpty })
        #expect(platform.frames("9011").first.map { Platform.field($0, "QnRtn") } == "1")
        #expect(platform.frames("1011").first.flatMap { Platform.field($0, "SystemTime") } != nil)

        // The platform sets the real-time interval: answered, and journaled for the plant.
        try platform.request("CN=1062;RtdInterval=10")
        #expect(
            await H.wait {
                platform.frames("9012").count >= 2
            })

        // A dead device: its next real-time value carries flag B and no number as if it were good.
        h.plant.stop()
        #expect(
            await H.wait(30) {
                platform.frames("2011").last.flatMap { Platform.field($0, "a99001-Flag") } == "B"
            }, "\(platform.frames("2011").suffix(2))")

        // Platform requests are journaled for the plant.
        h.signal(SIGTERM)
        #expect(await h.waitForExit(15) == 0, "\(h.log)")
        let journal = try await h.journal().map(\.message)
        #expect(journal.contains("uplink real-time interval set by the platform"), "\(journal)")
    }
}
