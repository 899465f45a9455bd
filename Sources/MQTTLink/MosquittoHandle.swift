import CMosquitto
import Foundation

/// libmosquitto's process-wide setup, run once on first use. `mosquitto_lib_init` is not thread-safe (it counts
/// references without a lock), so a global `let`, which Swift initialises exactly once, calls it.
/// `mosquitto_lib_cleanup` is never called: other clients may still be running, and the process exit frees it.
private let libraryInitialised: Int32 = mosquitto_lib_init()

/// The one owner of a `struct mosquitto *`: made for one connection attempt, destroyed when it ends.
///
/// A fresh handle per connection is deliberate. libmosquitto keeps unacknowledged QoS 1/2 messages inside the
/// handle and re-sends them itself on the next CONNACK (`message__retry_check`, whatever the clean-session flag),
/// while the outbox re-sends them too; one handle per connection leaves exactly one owner of "what is unfinished".
final class MosquittoHandle {
    let raw: OpaquePointer

    private init(raw: OpaquePointer) { self.raw = raw }

    deinit { mosquitto_destroy(raw) }

    /// Makes a handle and applies every option, so a mistake surfaces here with the option's name.
    ///
    /// - Parameter userdata: passed back to every callback (the network loop), or nil for a check at init.
    static func make(options: MQTTOptions, userdata: UnsafeMutableRawPointer?) throws(MQTTConfigurationError)
        -> MosquittoHandle
    {
        _ = libraryInitialised
        // Clean session (MQTT 5: clean start, session expiry 0): the broker keeps nothing between connections, and
        // the outbox re-sends what was not acknowledged. Subscriptions are made again after every CONNACK.
        guard let raw = mosquitto_new(options.clientID, true, userdata) else {
            throw MQTTConfigurationError(
                key: "clientID", message: "mosquitto_new refused it: \(String(cString: strerror(errno)))")
        }
        let handle = MosquittoHandle(raw: raw)
        func check(_ rc: Int32, _ key: String, _ call: String) throws(MQTTConfigurationError) {
            guard rc == Mosq.success else {
                let error = MQTTError.library(rc, call)
                throw MQTTConfigurationError(key: key, message: error.description, underlying: error)
            }
        }
        // The protocol first: username and will checks depend on it.
        try check(
            mosquitto_int_option(raw, MOSQ_OPT_PROTOCOL_VERSION, options.protocolVersion.mosquittoValue),
            "protocolVersion", "mosquitto_int_option(MOSQ_OPT_PROTOCOL_VERSION)")
        try check(mosquitto_int_option(raw, MOSQ_OPT_TCP_NODELAY, 1), "-", "mosquitto_int_option(MOSQ_OPT_TCP_NODELAY)")
        // libmosquitto's own queue limit: it should never hold back what the outbox hands it.
        try check(
            mosquitto_max_inflight_messages_set(raw, UInt32(options.outbox.maxInflight)), "outbox.maxInflight",
            "mosquitto_max_inflight_messages_set")
        if options.username != nil || options.password != nil {
            try check(
                mosquitto_username_pw_set(raw, options.username, options.password), "username",
                "mosquitto_username_pw_set")
        }
        if let will = options.will {
            let rc = will.payload.withUnsafeBytes {
                mosquitto_will_set(
                    raw, will.topic, Int32($0.count), $0.baseAddress, will.qos.rawValue, will.retain)
            }
            try check(rc, "will", "mosquitto_will_set")
        }
        if let tls = options.tls {
            try check(
                mosquitto_tls_set(raw, tls.caFile, tls.caPath, tls.certFile, tls.keyFile, nil), "tls",
                "mosquitto_tls_set")
            // SSL_VERIFY_PEER (1): always verify the broker's certificate chain.
            try check(mosquitto_tls_opts_set(raw, 1, tls.version, tls.ciphers), "tls.version", "mosquitto_tls_opts_set")
            try check(
                mosquitto_tls_insecure_set(raw, tls.insecureSkipHostnameCheck), "tls.insecureSkipHostnameCheck",
                "mosquitto_tls_insecure_set")
        }
        if userdata != nil { installCallbacks(raw) }
        return handle
    }

    /// Callbacks reach the network loop through `userdata`. libmosquitto calls them only from inside
    /// `mosquitto_loop_read`/`_write`/`_misc`, `mosquitto_publish` and the like, all made on the network thread.
    private static func installCallbacks(_ raw: OpaquePointer) {
        mosquitto_connect_v5_callback_set(raw) { _, userdata, rc, _, _ in
            NetworkLoop.from(userdata).didConnect(rc)
        }
        mosquitto_disconnect_v5_callback_set(raw) { _, userdata, rc, _ in
            NetworkLoop.from(userdata).didDisconnect(rc)
        }
        mosquitto_publish_v5_callback_set(raw) { _, userdata, mid, reason, _ in
            NetworkLoop.from(userdata).didPublish(mid: mid, reason: reason)
        }
        mosquitto_message_v5_callback_set(raw) { _, userdata, message, _ in
            guard let message else { return }
            NetworkLoop.from(userdata).didReceive(message.pointee)
        }
        mosquitto_subscribe_v5_callback_set(raw) { _, userdata, mid, count, granted, _ in
            let codes = granted.map { Array(UnsafeBufferPointer(start: $0, count: Int(count))) } ?? []
            NetworkLoop.from(userdata).didSubscribe(mid: mid, granted: codes)
        }
        mosquitto_log_callback_set(raw) { _, userdata, level, text in
            guard let text else { return }
            // The log callback runs inside calls whose errno the caller reads next: keep it intact.
            let saved = errno
            NetworkLoop.from(userdata).didLog(level: level, String(cString: text))
            errno = saved
        }
    }
}
