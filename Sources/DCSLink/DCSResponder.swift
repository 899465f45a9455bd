import ModbusWire

/// What the server answers to one request PDU: pure, so every case is tested without a socket.
public enum DCSResponder {
    /// The answer, and whether it refused a write (counted and shown in the status).
    public struct Answer: Sendable, Hashable {
        public var response: ModbusResponse
        public var refusedWrite: Bool
    }

    /// - Parameters:
    ///   - pdu: the request PDU (function code first).
    ///   - image: the registers as last published.
    ///   - coils: the coils that exist (enabled in `[dcs]`).
    ///   - gate: the coils' edge-and-hold state; a write goes into it.
    ///   - client: the client's address, for the journal.
    public static func answer(
        pdu: [UInt8], image: DCSImage, coils: Set<Int>, gate: inout CoilGate, client: String,
        at now: ContinuousClock.Instant
    ) -> Answer {
        let function = pdu.first ?? 0
        let request: ModbusRequest
        do {
            request = try ModbusRequest.parse(pdu: pdu)
        } catch {
            let isWrite = [
                ModbusFunction.writeSingleCoil, ModbusFunction.writeMultipleCoils,
                ModbusFunction.writeSingleRegister, ModbusFunction.writeMultipleRegisters,
            ].contains(function)
            return Answer(response: .exception(function: function, error), refusedWrite: isWrite)
        }
        func fail(_ code: ModbusExceptionCode, write: Bool) -> Answer {
            Answer(response: .exception(function: request.functionCode, code), refusedWrite: write)
        }
        switch request {
        case .read(let table, let address, let count):
            switch table {
            case .holdingRegister, .inputRegister:
                switch image.read(Int(address), count: Int(count)) {
                case .success(let values):
                    return Answer(response: .success(to: request, readValues: values), refusedWrite: false)
                case .failure(let code): return fail(code, write: false)
                }
            case .coil:
                let range = Int(address)..<(Int(address) + Int(count))
                guard range.allSatisfy(coils.contains) else { return fail(.illegalDataAddress, write: false) }
                let values = range.map { gate.value($0) ? UInt16(1) : 0 }
                return Answer(response: .success(to: request, readValues: values), refusedWrite: false)
            case .discreteInput:
                return fail(.illegalFunction, write: false)
            }
        case .writeSingleCoil(let address, let value):
            guard coils.contains(Int(address)) else { return fail(.illegalDataAddress, write: true) }
            gate.write(Int(address), value, client: client, at: now)
            return Answer(response: .success(to: request), refusedWrite: false)
        case .writeMultipleCoils(let address, let values):
            let range = Int(address)..<(Int(address) + values.count)
            guard range.allSatisfy(coils.contains) else { return fail(.illegalDataAddress, write: true) }
            for (i, value) in values.enumerated() { gate.write(Int(address) + i, value, client: client, at: now) }
            return Answer(response: .success(to: request), refusedWrite: false)
        case .writeSingleRegister, .writeMultipleRegisters:
            // The registers are Levee's measurements: nothing the DCS writes belongs in them.
            return fail(.illegalFunction, write: true)
        }
    }
}
