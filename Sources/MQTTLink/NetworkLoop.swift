import CMosquitto
import Foundation
import Logging
import SystemCalls

/// The network thread: one `poll` loop over the broker socket and the wake pipe, driving libmosquitto through its
/// external-loop calls (`mosquitto_loop_read`, `_write`, `_misc`). Connecting, backoff, sending the outbox,
/// subscriptions and every libmosquitto callback happen here, so the `struct mosquitto *` has one thread.
///
/// Why not `mosquitto_loop_start`: its reconnect waits are not interruptible by `publish`, its backoff is not
/// configurable below one second, and the library's own re-send on reconnect would double the outbox's.
final class NetworkLoop: @unchecked Sendable {
    // @unchecked: made by `MQTTClient.start()` and from then on touched only by its own thread; libmosquitto calls
    // back into it only from calls that thread makes.
    private let core: ClientCore
    private var handle: MosquittoHandle?
    private enum Phase {
        case waiting(until: ContinuousClock.Instant)
        case connecting
        case connected
    }
    private var phase: Phase = .waiting(until: .now)
    private var backoff: ReconnectBackoff
    /// libmosquitto's message id for each outbox id in flight on this connection.
    private var midToID: [Int32: UInt64] = [:]
    /// QoS 0 ids that `on_publish` reported from inside `mosquitto_publish`, before the call returned the mid.
    private var earlyCompletions: Set<Int32> = []
    /// Set by `on_disconnect`: the connection is over and the handle must go.
    private var sessionEnded: Int32?
    /// Set by `on_connect` when the broker refused.
    private var refusal: MQTTError?
    /// What libmosquitto logged at error level during this connection, for the error's detail.
    private var libraryErrors: [String] = []
    private var appliedSubscriptions = -1
    private var sessionFilters: [String: MQTTQoS] = [:]
    private var pendingSubacks: [Int32: String] = [:]
    private var grantedFilters: Set<String> = []
    private var connectedOnce = false
    private var lastLoggedError: MQTTError?
    private var logger: Logger { core.logger }
    private var options: MQTTOptions { core.options }

    init(core: ClientCore) {
        self.core = core
        self.backoff = ReconnectBackoff(min: core.options.reconnectBackoff.min, max: core.options.reconnectBackoff.max)
    }

    static func from(_ userdata: UnsafeMutableRawPointer?) -> NetworkLoop {
        Unmanaged<NetworkLoop>.fromOpaque(userdata!).takeUnretainedValue()
    }

    // MARK: The loop

    func run() {
        logger.debug("MQTT network thread started", metadata: ["broker": "\(options.host):\(options.port)"])
        while true {
            let (lifecycle, dropConnection) = core.state.withLock { s in
                defer { s.dropConnectionRequested = false }
                return (s.lifecycle, s.dropConnectionRequested)
            }
            if dropConnection, let handle, mosquitto_socket(handle.raw) >= 0 {
                // The peer sees a FIN, libmosquitto an EOF: handled below as any lost connection.
                _ = shutdown(mosquitto_socket(handle.raw), Int32(SHUT_RDWR))
            }
            switch lifecycle {
            case .crashing:
                crash()
                exit()
                return
            case .stopping(let drainUntil):
                if case .connected = phase, hasUnfinished(), ContinuousClock.now < drainUntil { break }
                disconnectCleanly()
                exit()
                return
            case .idle, .running, .stopped:
                break
            }
            if case .waiting(let until) = phase, ContinuousClock.now >= until {
                if case .stopping = lifecycle {} else { connect() }
            }
            if case .connected = phase {
                reconcileSubscriptions()
                pump()
            }
            pollOnce(stopping: { if case .stopping = lifecycle { true } else { false } }())
        }
    }

    private func hasUnfinished() -> Bool { core.state.withLock { !$0.outbox.isEmpty } }

    /// Waits for the socket, the wake pipe or a deadline, then lets libmosquitto read, write and keep alive.
    private func pollOnce(stopping: Bool) {
        var fds = [pollfd(fd: core.wake.readFD, events: Int16(POLLIN), revents: 0)]
        let sock = handle.map { mosquitto_socket($0.raw) } ?? -1
        if let handle, sock >= 0 {
            let events = Int16(POLLIN) | (mosquitto_want_write(handle.raw) ? Int16(POLLOUT) : 0)
            fds.append(pollfd(fd: sock, events: events, revents: 0))
        }
        // libmosquitto's keepalive works in whole seconds, so a second is fine-grained enough when idle.
        var timeout: Int32 = stopping ? 50 : 1000
        if case .waiting(let until) = phase {
            let remaining = ContinuousClock.now.duration(to: until)
            let milliseconds =
                remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000
            timeout = Int32(clamping: max(0, min(Int64(timeout), milliseconds)))
        }
        _ = poll(&fds, nfds_t(fds.count), timeout)
        if fds[0].revents != 0 { core.wake.drain() }
        guard let handle, sock >= 0, fds.count > 1 else { return }
        let revents = fds[1].revents
        if revents != 0 {
            // loop_read first, on any event: during a TLS handshake it is loop_read that advances SSL_connect,
            // even when the socket only became writable.
            var rc = mosquitto_loop_read(handle.raw, 1)
            guard rc == Mosq.success else { return loopFailed(rc, "mosquitto_loop_read") }
            if endedSession() { return }
            if revents & Int16(POLLERR | POLLHUP) != 0 {
                // Read whatever the peer sent before hanging up (a refusing CONNACK, say), then give up on it.
                for _ in 0..<64 {
                    if endedSession() { return }
                    rc = mosquitto_loop_read(handle.raw, 1)
                    guard rc == Mosq.success else { return loopFailed(rc, "mosquitto_loop_read") }
                }
                if endedSession() { return }
                return connectionFailed(socketError(sock))
            }
            if mosquitto_want_write(handle.raw) || revents & Int16(POLLOUT) != 0 {
                rc = mosquitto_loop_write(handle.raw, 1)
                guard rc == Mosq.success else { return loopFailed(rc, "mosquitto_loop_write") }
                if endedSession() { return }
            }
        }
        let rc = mosquitto_loop_misc(handle.raw)
        guard rc == Mosq.success else { return loopFailed(rc, "mosquitto_loop_misc") }
        _ = endedSession()
    }

    /// If libmosquitto has ended the connection (a callback said so, or it closed the socket), tears it down.
    private func endedSession() -> Bool {
        guard let handle else { return true }
        if let reason = sessionEnded {
            connectionFailed(brokerDisconnected(reason))
            return true
        }
        if mosquitto_socket(handle.raw) < 0 {
            connectionFailed(.library(Mosq.connLost, "connection"))
            return true
        }
        return false
    }

    /// A loop call failed. Its result code explains it, unless `on_disconnect` first reported something else: then
    /// the broker sent DISCONNECT (MQTT 5), and that value is its reason code, not a `MOSQ_ERR`.
    private func loopFailed(_ rc: Int32, _ operation: String) {
        if let reason = sessionEnded, reason != rc {
            connectionFailed(brokerDisconnected(reason))
        } else {
            connectionFailed(.library(rc, operation))
        }
    }

    private func brokerDisconnected(_ reason: Int32) -> MQTTError {
        MQTTError(
            code: Mosq.connLost, operation: "DISCONNECT", reasonCode: reason,
            message: "the broker closed the connection: \(String(cString: mosquitto_reason_string(reason)))")
    }

    private func socketError(_ sock: Int32) -> MQTTError {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(sock, SOL_SOCKET, SO_ERROR, &code, &length) == 0, code != 0 {
            return MQTTError(
                code: Mosq.errno, operation: "connect", systemCode: code, message: String(cString: strerror(code)))
        }
        return .library(Mosq.connLost, "connection")
    }

    // MARK: Connecting

    private func connect() {
        sessionEnded = nil
        refusal = nil
        libraryErrors = []
        core.state.withLock { $0.stats.connectAttempts += 1 }
        core.setStatus(.connecting)
        let made: MosquittoHandle
        do {
            made = try MosquittoHandle.make(options: options, userdata: Unmanaged.passUnretained(self).toOpaque())
        } catch {
            return connectionFailed(
                error.underlying ?? MQTTError.client(Mosq.inval, "configure", error.description))
        }
        handle = made
        phase = .connecting
        let keepalive = Int32(options.keepalive.components.seconds)
        // Resolves the host (blocking getaddrinfo, on this thread only), starts a non-blocking TCP connect and, with
        // TLS, the handshake; queues CONNECT. A refused connection to a local port fails right here.
        let rc = mosquitto_connect_async(made.raw, options.host, Int32(options.port), keepalive)
        if rc != Mosq.success {
            connectionFailed(.library(rc, "mosquitto_connect_async"))
        }
    }

    /// Ends the current connection attempt or connection: destroys the handle, puts every message in flight back
    /// in the queue, and schedules the next attempt.
    private func connectionFailed(_ error: MQTTError) {
        let wasConnected: Bool
        if case .connected = phase { wasConnected = true } else { wasConnected = false }
        var error = refusal ?? error
        if error.detail == nil, !libraryErrors.isEmpty { error.detail = libraryErrors.joined(separator: "; ") }
        handle = nil  // mosquitto_destroy closes the socket; nothing more is sent.
        midToID.removeAll()
        pendingSubacks.removeAll()
        grantedFilters.removeAll()
        sessionFilters.removeAll()
        appliedSubscriptions = -1
        core.state.withLock { s in
            s.stats.resent += UInt64(s.outbox.requeueInflight())
            s.stats.subscribed = 0
        }
        let delay = backoff.next()
        phase = .waiting(until: .now + delay)
        core.setStatus(.disconnected, error: error)
        let metadata: Logger.Metadata = [
            "broker": "\(options.host):\(options.port)", "error": "\(error)", "retry_in": "\(delay)",
        ]
        if wasConnected {
            logger.warning("MQTT connection lost", metadata: metadata)
        } else if error != lastLoggedError {
            logger.warning("MQTT connection attempt failed", metadata: metadata)
        } else {
            logger.debug("MQTT connection attempt failed", metadata: metadata)
        }
        lastLoggedError = error
    }

    // MARK: Sending

    /// Hands pending messages to libmosquitto, in order, while fewer than `maxInflight` are in flight.
    private func pump() {
        while let handle, case .connected = phase {
            let next: Outbox.Entry? = core.state.withLock { s in
                guard s.outbox.inflightCount < options.outbox.maxInflight,
                    let entry = s.outbox.nextToSend()
                else { return nil }
                s.stats.sent += 1
                return entry
            }
            guard let entry = next else { return }
            earlyCompletions.removeAll()
            var mid: Int32 = 0
            let message = entry.message
            let rc = message.payload.withUnsafeBytes {
                mosquitto_publish(
                    handle.raw, &mid, message.topic, Int32($0.count), $0.baseAddress, message.qos.rawValue,
                    message.retain)
            }
            if rc == Mosq.success {
                if earlyCompletions.remove(mid) != nil {
                    finish(entry.id, reason: 0)
                } else {
                    midToID[mid] = entry.id
                }
            } else if Mosq.messageErrors.contains(rc) {
                let error = MQTTError.library(rc, "mosquitto_publish")
                logger.error(
                    "MQTT message refused by libmosquitto; dropped",
                    metadata: ["topic": "\(message.topic)", "bytes": "\(message.payload.count)", "error": "\(error)"])
                finish(entry.id, reason: 0x80)
            } else {
                return connectionFailed(.library(rc, "mosquitto_publish"))
            }
        }
    }

    /// A message is done: acknowledged, written (QoS 0), or refused (`reason` >= 0x80).
    private func finish(_ id: UInt64, reason: Int32) {
        let (entry, burstEnd): (Outbox.Entry?, (Int, Int)?) = core.state.withLock { s in
            guard let entry = s.outbox.complete(id) else { return (nil, nil) }
            if reason >= 0x80 { s.stats.rejected += 1 } else { s.stats.acknowledged += 1 }
            return (entry, ClientCore.endBurstIfRelieved(&s, limits: options.outbox))
        }
        core.logBurstEnd(burstEnd)
        if let entry, entry.message.durable { core.journal?.enqueue(.acknowledge(seq: entry.id)) }
    }

    // MARK: Subscriptions

    private func reconcileSubscriptions() {
        guard let handle else { return }
        let wanted: (Int, [String: MQTTQoS])? = core.state.withLock { s in
            s.subscriptionsVersion == appliedSubscriptions ? nil : (s.subscriptionsVersion, s.desiredFilters)
        }
        guard let (version, desired) = wanted else { return }
        for (filter, qos) in desired.sorted(by: { $0.key < $1.key }) where sessionFilters[filter] != qos {
            var mid: Int32 = 0
            let rc = mosquitto_subscribe(handle.raw, &mid, filter, qos.rawValue)
            guard rc == Mosq.success else { return connectionFailed(.library(rc, "mosquitto_subscribe")) }
            pendingSubacks[mid] = filter
        }
        for filter in sessionFilters.keys where desired[filter] == nil {
            let rc = mosquitto_unsubscribe(handle.raw, nil, filter)
            guard rc == Mosq.success else { return connectionFailed(.library(rc, "mosquitto_unsubscribe")) }
            grantedFilters.remove(filter)
        }
        sessionFilters = desired
        appliedSubscriptions = version
        let count = grantedFilters.count
        core.state.withLock { $0.stats.subscribed = count }
    }

    // MARK: Stopping

    /// Sends DISCONNECT (so the broker discards the will) and waits up to two seconds for it to be written.
    private func disconnectCleanly() {
        guard let handle, mosquitto_socket(handle.raw) >= 0 else {
            self.handle = nil
            return
        }
        // Also while connecting: CONNECT may already be on its way, and a DISCONNECT after it keeps the broker from
        // publishing the will.
        let rc = mosquitto_disconnect(handle.raw)
        let deadline = ContinuousClock.now + .seconds(2)
        if rc == Mosq.success {
            while sessionEnded == nil, mosquitto_socket(handle.raw) >= 0, ContinuousClock.now < deadline {
                let sock = mosquitto_socket(handle.raw)
                let events = Int16(POLLIN) | (mosquitto_want_write(handle.raw) ? Int16(POLLOUT) : 0)
                var fds = [pollfd(fd: sock, events: events, revents: 0)]
                _ = poll(&fds, 1, 100)
                if fds[0].revents == 0 { continue }
                if mosquitto_loop_read(handle.raw, 1) != Mosq.success { break }
                if sessionEnded != nil || mosquitto_socket(handle.raw) < 0 { break }
                if mosquitto_loop_write(handle.raw, 1) != Mosq.success { break }
            }
        }
        logger.info("MQTT disconnected", metadata: ["broker": "\(options.host):\(options.port)"])
        self.handle = nil
        phase = .waiting(until: .now)
    }

    /// Simulates a crash for tests: shuts the socket down without DISCONNECT, so the broker publishes the will.
    private func crash() {
        if let handle {
            let sock = mosquitto_socket(handle.raw)
            if sock >= 0 { _ = shutdown(sock, Int32(SHUT_RDWR)) }
        }
        handle = nil
        phase = .waiting(until: .now)
    }

    /// Ends the thread: no more journal writes are accepted, the journal is flushed, and `stop()` returns.
    private func exit() {
        core.state.withLock { s in
            s.lifecycle = .stopped
            s.stats.subscribed = 0
        }
        core.setStatus(.disconnected)
        core.journal?.finish()
        let toResume = core.state.withLock { s in
            let waiting = s.stopWaiters
            s.stopWaiters = []
            return waiting
        }
        logger.debug("MQTT network thread ended")
        for waiter in toResume { waiter.resume() }
    }

    // MARK: Callbacks (all on this thread, from inside libmosquitto calls)

    func didConnect(_ rc: Int32) {
        guard rc == 0 else {
            refusal = .refused(rc, protocolVersion: options.protocolVersion)
            return
        }
        phase = .connected
        backoff.reset()
        let reconnect = connectedOnce
        connectedOnce = true
        core.state.withLock { if reconnect { $0.stats.reconnects += 1 } }
        core.setStatus(.connected)
        lastLoggedError = nil
        logger.info(
            "MQTT connected",
            metadata: ["broker": "\(options.host):\(options.port)", "client_id": "\(options.clientID)"])
    }

    func didDisconnect(_ rc: Int32) {
        // The first call tells: a broker's DISCONNECT reason may be followed by a second call for the dead socket.
        if sessionEnded == nil { sessionEnded = rc }
    }

    func didPublish(mid: Int32, reason: Int32) {
        guard let id = midToID.removeValue(forKey: mid) else {
            earlyCompletions.insert(mid)
            return
        }
        if reason >= 0x80 {
            logger.error(
                "MQTT broker refused a message; dropped",
                metadata: ["reason": "\(String(cString: mosquitto_reason_string(reason)))"])
        }
        finish(id, reason: reason)
    }

    func didReceive(_ message: mosquitto_message) {
        guard let topicPointer = message.topic else { return }
        let topic = String(cString: topicPointer)
        let payload: [UInt8] =
            message.payloadlen > 0 && message.payload != nil
            ? Array(UnsafeRawBufferPointer(start: message.payload, count: Int(message.payloadlen))) : []
        let received = MQTTMessage(
            topic: topic, payload: payload, qos: MQTTQoS(rawValue: message.qos) ?? .atMostOnce, retain: message.retain)
        let handlers: [@Sendable (MQTTMessage) -> Void] = core.state.withLock { s in
            s.stats.received += 1
            return s.subscriptions.sorted { $0.key < $1.key }.compactMap { _, sub in
                var matches = false
                return mosquitto_topic_matches_sub(sub.filter, topic, &matches) == Mosq.success && matches
                    ? sub.handler : nil
            }
        }
        for handler in handlers { handler(received) }
    }

    func didSubscribe(mid: Int32, granted: [Int32]) {
        guard let filter = pendingSubacks.removeValue(forKey: mid) else { return }
        if let code = granted.first, code >= 0x80 {
            logger.error(
                "MQTT broker refused a subscription",
                metadata: ["filter": "\(filter)", "reason": "\(String(cString: mosquitto_reason_string(code)))"])
            return
        }
        grantedFilters.insert(filter)
        let count = grantedFilters.count
        core.state.withLock { $0.stats.subscribed = count }
    }

    func didLog(level: Int32, _ text: String) {
        if level == Int32(MOSQ_LOG_ERR) {
            libraryErrors.append(text)
            if libraryErrors.count > 4 { libraryErrors.removeFirst() }
        }
        logger.trace("libmosquitto", metadata: ["level": "\(level)", "message": "\(text)"])
    }
}
