import CMosquitto
import Foundation
import LeveeTestSupport
import MQTTLink
import Testing

/// Username/password and TLS against a real broker, and configuration mistakes reported at start.
struct SecurityTests {
    let logger = TestSupport.logger

    @Test(arguments: [MQTTOptions.ProtocolVersion.v311, .v5])
    func passwordIsAcceptedAndAWrongOneIsAClearRetriedError(version: MQTTOptions.ProtocolVersion) async throws {
        let dir = try TestSupport.temporaryDirectory("passwd")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let passwords = dir + "/passwords"
        let made = try await TestSupport.run(
            TestTools.executable("mosquitto_passwd"), ["-c", "-b", passwords, "levee", "s3cret"])
        try #require(made.status == 0, "mosquitto_passwd failed: \(made.output)")
        let broker = try TestBroker(listener: ["allow_anonymous false", "password_file \(passwords)"])
        try await broker.start()

        var good = TestSupport.options(port: broker.port, id: "plant-good")
        good.protocolVersion = version
        good.username = "levee"
        good.password = "s3cret"
        let client = try MQTTClient(options: good, logger: logger)
        let received = Received()
        try client.subscribe("plant/echo", handler: received.handler())
        client.start()
        #expect(await TestSupport.wait { client.statistics.subscribed == 1 })
        try client.publish(topic: "plant/echo", text: "hello")
        #expect(await TestSupport.wait { received.texts == ["hello"] })

        var bad = good
        bad.clientID = "plant-bad"
        bad.password = "wrong"
        let refused = try MQTTClient(options: bad, logger: logger)
        refused.start()
        try refused.publish(topic: "plant/echo", text: "never")
        // Refused, and still trying with backoff: the daemon keeps running and reports it.
        #expect(await TestSupport.wait { refused.statistics.connectAttempts >= 3 })
        let status = refused.status
        #expect(status.state != .connected)
        let error = try #require(status.lastError)
        #expect(error.isAuthorizationFailure)
        #expect(error.code == MOSQ_ERR_CONN_REFUSED.rawValue && error.operation == "CONNACK")
        #expect(error.reasonCode == (version == .v311 ? 5 : 0x87))
        #expect("\(error)".lowercased().contains("not author"))
        #expect(refused.statistics.queued == 1)
        await refused.stop()
        await client.stop()
    }

    @Test func tlsWithClientCertificatesConnectsAndAForeignCAIsRefused() async throws {
        let dir = try TestSupport.temporaryDirectory("tls")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try TestTools.executable("openssl")  // a failure, not a skip: without it nothing about TLS is checked
        try await Certificates.make(in: dir)
        let broker = try TestBroker(listener: [
            "allow_anonymous true", "cafile \(dir)/ca.crt", "certfile \(dir)/server.crt",
            "keyfile \(dir)/server.key", "require_certificate true",
        ])
        try await broker.start()

        var options = TestSupport.options(port: broker.port, id: "plant-tls")
        options.tls = MQTTOptions.TLS(
            caFile: "\(dir)/ca.crt", certFile: "\(dir)/client.crt", keyFile: "\(dir)/client.key")
        let client = try MQTTClient(options: options, logger: logger)
        let received = Received()
        try client.subscribe("plant/tls", handler: received.handler())
        client.start()
        #expect(await TestSupport.wait { client.statistics.subscribed == 1 })
        try client.publish(topic: "plant/tls", text: "over tls")
        #expect(await TestSupport.wait { received.texts == ["over tls"] })
        #expect(client.status.lastError == nil)

        var foreign = options
        foreign.clientID = "plant-foreign"
        foreign.tls?.caFile = "\(dir)/other-ca.crt"
        let refused = try MQTTClient(options: foreign, logger: logger)
        refused.start()
        #expect(await TestSupport.wait { refused.statistics.connectAttempts >= 2 && refused.status.lastError != nil })
        let error = try #require(refused.status.lastError)
        #expect(refused.status.state != .connected)
        #expect(error.code == MOSQ_ERR_TLS.rawValue)
        #expect(error.detail?.contains("certificate verify failed") == true)
        await refused.stop()
        await client.stop()
    }

    @Test func configurationMistakesNameTheKey() async throws {
        let dir = try TestSupport.temporaryDirectory("config")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "not a certificate".write(toFile: dir + "/garbage.pem", atomically: true, encoding: .utf8)
        try "precious".write(toFile: dir + "/foreign", atomically: true, encoding: .utf8)
        func check(_ key: String, _ fragment: String, _ change: (inout MQTTOptions) -> Void) {
            var options = TestSupport.options(port: 1883, id: "x")
            change(&options)
            do {
                _ = try MQTTClient(options: options, logger: logger)
                Issue.record("\(key): accepted")
            } catch {
                #expect(error.key == key, "\(error)")
                #expect(error.description.contains(fragment), "\(error)")
            }
        }
        check("tls.caFile", "No such file or directory") { $0.tls = .init(caFile: dir + "/missing.crt") }
        check("tls.caFile", "no PEM block") { $0.tls = .init(caFile: dir + "/garbage.pem") }
        check("tls.keyFile", "go together") { $0.tls = .init(caFile: dir + "/garbage.pem", certFile: "/x") }
        check("port", "70000") { $0.port = 70000 }
        check("keepalive", "5...65535") { $0.keepalive = .seconds(2) }
        check("clientID", "empty") { $0.clientID = "" }
        check("password", "without username") { $0.password = "p" }
        check("will.topic", "Invalid") { $0.will = .init(topic: "a/#", payload: []) }
        check("reconnectBackoff.max", "below") { $0.reconnectBackoff = .init(min: .seconds(2), max: .seconds(1)) }
        check("persistencePath", "does not exist") { $0.persistencePath = dir + "/nowhere/journal" }
    }

    /// A journal that cannot be opened (not a journal, disk full, unwritable) must not stop the link: it runs on its
    /// in-memory outbox and says why, and a file that is not a journal is left as it was.
    @Test func aJournalThatCannotBeOpenedFallsBackToMemory() async throws {
        let dir = try TestSupport.temporaryDirectory("journal-fallback")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "precious".write(toFile: dir + "/foreign", atomically: true, encoding: .utf8)
        var options = TestSupport.options(port: 1883, id: "x")
        options.persistencePath = dir + "/foreign"
        let client = try MQTTClient(options: options, logger: logger)
        let fault = try #require(client.statistics.journalFault)
        #expect(fault.contains("not a Levee MQTT journal"), "\(fault)")
        #expect(fault.contains(dir + "/foreign"), "\(fault)")
        try client.publish(topic: "plant/1/alarm", payload: Array("kept".utf8), qos: .atLeastOnce, durable: true)
        #expect(client.statistics.queued == 1)
        #expect(try String(contentsOfFile: dir + "/foreign", encoding: .utf8) == "precious")
    }
    /// Issue 14: the journal fell back to memory and stayed there for the rest of the run. It is tried again with
    /// backoff; once the file can be written, every durable message the outbox holds is on disk and the fault
    /// clears, so a restart delivers them.
    @Test func aJournalThatBecomesWritableIsReopenedAndCatchesUp() async throws {
        let dir = try TestSupport.temporaryDirectory("journal-reopen")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/outbox.journal"
        // A directory where the journal file should be: it cannot be opened (as root too).
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        var options = TestSupport.options(port: TestSupport.freePort(), id: "reopen")
        options.persistencePath = path
        let client = try MQTTClient(options: options, logger: logger)
        #expect(client.statistics.journalFault != nil)
        client.start()
        for n in 0..<3 {
            try client.publish(topic: "plant/1/alarm", payload: Array(TestSupport.text(n).utf8), durable: true)
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(client.statistics.journalFault != nil, "still unwritable")
        try FileManager.default.removeItem(atPath: path)
        // The retry backs off from 1 s to at most 30 s: on a slow machine the next try may be that far away.
        #expect(await TestSupport.wait(45) { client.statistics.journalFault == nil })
        try client.publish(topic: "plant/1/alarm", payload: Array(TestSupport.text(3).utf8), durable: true)
        await client.stop()

        // The next run finds all four, in order.
        let again = try MQTTClient(options: options, logger: logger)
        #expect(again.statistics.journalFault == nil)
        #expect(again.statistics.restored == 4)
    }
}

/// A throw-away CA, a server certificate for 127.0.0.1 and a client certificate, made with `openssl` (EC keys:
/// quick to generate), plus an unrelated CA.
enum Certificates {
    static func make(in dir: String) async throws {
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        func openssl(_ arguments: [String]) async throws {
            let result = try await TestSupport.run(TestTools.executable("openssl"), arguments)
            try #require(result.status == 0, "openssl \(arguments.joined(separator: " ")): \(result.output)")
        }
        for ca in ["ca", "other-ca"] {
            try await openssl(
                ["req", "-x509"] + curve + [
                    "-keyout", "\(dir)/\(ca).key", "-out", "\(dir)/\(ca).crt", "-days", "2", "-subj", "/CN=Levee \(ca)",
                ])
        }
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(
            toFile: "\(dir)/server.ext", atomically: true, encoding: .utf8)
        for (name, subject, ext) in [("server", "/CN=localhost", true), ("client", "/CN=plant-tls", false)] {
            try await openssl(
                ["req"] + curve + ["-keyout", "\(dir)/\(name).key", "-out", "\(dir)/\(name).csr", "-subj", subject])
            try await openssl(
                [
                    "x509", "-req", "-in", "\(dir)/\(name).csr", "-CA", "\(dir)/ca.crt", "-CAkey", "\(dir)/ca.key",
                    "-CAcreateserial", "-out", "\(dir)/\(name).crt", "-days", "2",
                ] + (ext ? ["-extfile", "\(dir)/server.ext"] : []))
        }
    }
}
