import CMosquitto
import Foundation

extension MQTTOptions {
    /// Checks each option against its rule, naming the key; libmosquitto checks the rest in `MosquittoHandle.make`.
    func validate() throws(MQTTConfigurationError) {
        func fail(_ key: String, _ message: String) -> MQTTConfigurationError {
            MQTTConfigurationError(key: key, message: message)
        }
        if host.isEmpty { throw fail("host", "is empty") }
        if !(1...65535).contains(port) { throw fail("port", "\(port) is outside 1...65535") }
        if clientID.isEmpty { throw fail("clientID", "is empty; the will and the broker's logs need a stable id") }
        if clientID.utf8.count > 65535 { throw fail("clientID", "is longer than 65535 bytes") }
        let keepaliveSeconds = keepalive.components.seconds
        if !(5...65535).contains(keepaliveSeconds) {
            throw fail("keepalive", "\(keepalive) is outside 5...65535 seconds (libmosquitto's rule)")
        }
        if protocolVersion == .v311, password != nil, username == nil {
            throw fail("password", "is set without username, which MQTT 3.1.1 does not allow")
        }
        if reconnectBackoff.min <= .zero { throw fail("reconnectBackoff.min", "must be positive") }
        if reconnectBackoff.max < reconnectBackoff.min {
            throw fail("reconnectBackoff.max", "\(reconnectBackoff.max) is below min \(reconnectBackoff.min)")
        }
        if outbox.maxMessages < 1 { throw fail("outbox.maxMessages", "must be at least 1") }
        if outbox.maxBytes < 1 { throw fail("outbox.maxBytes", "must be at least 1") }
        if !(1...65535).contains(outbox.maxInflight) {
            throw fail("outbox.maxInflight", "\(outbox.maxInflight) is outside 1...65535")
        }
        if let will {
            let rc = will.topic.isEmpty ? Mosq.inval : Self.checkTopic(will.topic)
            if rc != Mosq.success {
                throw MQTTConfigurationError(
                    key: "will.topic", message: "\"\(will.topic)\": \(String(cString: mosquitto_strerror(rc)))")
            }
        }
        if let tls { try tls.validate() }
        if let persistencePath {
            let directory = (persistencePath as NSString).deletingLastPathComponent
            var isDirectory: ObjCBool = false
            let dir = directory.isEmpty ? "." : directory
            if !FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory) || !isDirectory.boolValue {
                throw fail("persistencePath", "directory \(dir) does not exist")
            }
            // Not writable is no configuration mistake: a full or read-only disk must not stop the link, which then
            // runs on its in-memory outbox (MQTTClient.init).
        }
    }

    static func checkTopic(_ topic: String) -> Int32 {
        let length = Int32(clamping: topic.utf8.count)
        let rc = mosquitto_validate_utf8(topic, length)
        return rc == Mosq.success ? mosquitto_pub_topic_check2(topic, Int(length)) : rc
    }
}

extension MQTTOptions.TLS {
    /// Each file must be readable and look like what it claims to be (PEM), so that a swapped or empty file is
    /// reported at start rather than as a TLS failure on every connection attempt.
    func validate() throws(MQTTConfigurationError) {
        if caFile == nil && caPath == nil {
            throw MQTTConfigurationError(
                key: "tls.caFile", message: "TLS needs caFile or caPath (for the system store: caPath = /etc/ssl/certs)"
            )
        }
        if (certFile == nil) != (keyFile == nil) {
            throw MQTTConfigurationError(
                key: certFile == nil ? "tls.certFile" : "tls.keyFile", message: "certFile and keyFile go together")
        }
        if let caFile { try Self.checkPEM(caFile, key: "tls.caFile", marker: "CERTIFICATE-----") }
        if let certFile { try Self.checkPEM(certFile, key: "tls.certFile", marker: "CERTIFICATE-----") }
        if let keyFile { try Self.checkPEM(keyFile, key: "tls.keyFile", marker: "PRIVATE KEY-----") }
        if let caPath {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: caPath, isDirectory: &isDirectory) || !isDirectory.boolValue {
                throw MQTTConfigurationError(key: "tls.caPath", message: "\(caPath) is not a directory")
            }
        }
        if let version, !["tlsv1.2", "tlsv1.3"].contains(version) {
            throw MQTTConfigurationError(key: "tls.version", message: "\"\(version)\" is not tlsv1.2 or tlsv1.3")
        }
    }

    private static func checkPEM(_ path: String, key: String, marker: String) throws(MQTTConfigurationError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw MQTTConfigurationError(
                key: key, message: "\(path) cannot be read: \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        let head = (try? handle.read(upToCount: 1 << 20)) ?? Data()
        let text = String(decoding: head, as: UTF8.self)
        guard text.contains("-----BEGIN"), text.contains(marker) else {
            throw MQTTConfigurationError(key: key, message: "\(path) holds no PEM block ending \"\(marker)\"")
        }
    }
}
