import Foundation

/// SMS in PDU mode (3GPP TS 23.040): SMS-SUBMIT built for sending, SMS-DELIVER read for replies. Pure Swift.
///
/// Text goes out in UCS2 (DCS 0x08), which carries Chinese: 70 UTF-16 units in one message, 67 per part of a
/// concatenated one (the 6-octet user-data header takes the rest). Replies come in UCS2 ("收到 12") or the GSM 7-bit
/// default alphabet ("1 12").
public enum SMSPDU {
    /// One SMS-SUBMIT: the hex the modem is sent after `AT+CMGS=<tpduLength>`.
    public struct Submit: Sendable, Hashable {
        public var hex: String
        /// Octets after the SMSC part, as `AT+CMGS` wants them counted.
        public var tpduLength: Int
    }

    /// The SMS-SUBMITs for `text` to `number` ("+8613800000001" or a national number); concatenated parts share
    /// `reference`.
    public static func submits(to number: String, text: String, reference: UInt8) -> [Submit] {
        let units = Array(text.utf16)
        var parts: [[UInt16]] = []
        if units.count <= 70 {
            parts = [units]
        } else {
            var i = 0
            while i < units.count {
                var end = min(i + 67, units.count)
                // Never split a surrogate pair across two messages.
                if end < units.count, UTF16.isLeadSurrogate(units[end - 1]) { end -= 1 }
                parts.append(Array(units[i..<end]))
                i = end
            }
        }
        let total = min(parts.count, 255)
        return parts.prefix(255).enumerated().map { index, part in
            var tpdu: [UInt8] = []
            let concatenated = total > 1
            // First octet: SMS-SUBMIT (01), relative validity period (10), user-data header present (40) for parts.
            tpdu.append(concatenated ? 0x51 : 0x11)
            tpdu.append(0x00)  // message reference: the modem assigns it
            tpdu += address(number)
            tpdu.append(0x00)  // protocol identifier
            tpdu.append(0x08)  // data coding scheme: UCS2
            tpdu.append(0xAA)  // validity: 4 days
            var ud: [UInt8] = []
            if concatenated { ud += [0x05, 0x00, 0x03, reference, UInt8(total), UInt8(index + 1)] }
            for u in part { ud += [UInt8(u >> 8), UInt8(u & 0xFF)] }
            tpdu.append(UInt8(ud.count))
            tpdu += ud
            // "00": no SMSC address given, the SIM's is used.
            return Submit(hex: "00" + hex(tpdu), tpduLength: tpdu.count)
        }
    }

    /// A destination address: digit count, type (0x91 international with "+", else 0x81), swapped semi-octets.
    static func address(_ number: String) -> [UInt8] {
        let international = number.hasPrefix("+")
        let digits = Array(number.filter(\.isNumber).utf8).map { $0 - 0x30 }
        var out: [UInt8] = [UInt8(digits.count), international ? 0x91 : 0x81]
        var i = 0
        while i < digits.count {
            let low = digits[i]
            let high: UInt8 = i + 1 < digits.count ? digits[i + 1] : 0x0F
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    /// A received message: who sent it and its text.
    public struct Deliver: Sendable, Hashable {
        public var sender: String
        public var text: String
    }

    /// Reads an SMS-DELIVER as `AT+CMGL` lists it (with its SMSC part); nil for anything it cannot read.
    public static func deliver(hex: String) -> Deliver? {
        guard let bytes = bytes(hex: hex) else { return nil }
        var r = Reader(bytes: bytes)
        guard let smscLength = r.next(), r.skip(Int(smscLength)), let first = r.next(), first & 0x03 == 0x00,
            let digitCount = r.next(), let type = r.next(), let sender = r.take((Int(digitCount) + 1) / 2),
            let _ = r.next(), let dcs = r.next(), r.skip(7), let udl = r.next()
        else { return nil }
        var number = ""
        for octet in sender {
            for nibble in [octet & 0x0F, octet >> 4] where nibble < 10 { number.append(Character(String(nibble))) }
        }
        if type & 0x70 == 0x50 { return nil }  // an alphanumeric sender (a carrier's notice) is nobody on call
        if type & 0x70 == 0x10 { number = "+" + number }
        let hasHeader = first & 0x40 != 0
        let rest = Array(bytes[r.index...])
        let text: String
        switch dcs & 0x0C {
        case 0x08:  // UCS2
            var ud = Array(rest.prefix(Int(udl)))
            if hasHeader, let h = ud.first { ud = Array(ud.dropFirst(Int(h) + 1)) }
            var units: [UInt16] = []
            var i = 0
            while i + 1 < ud.count {
                units.append(UInt16(ud[i]) << 8 | UInt16(ud[i + 1]))
                i += 2
            }
            text = String(decoding: units, as: UTF16.self)
        case 0x00:  // GSM 7-bit
            var septets = unpack(rest, count: Int(udl))
            if hasHeader, let h = rest.first {
                // The header fills whole septets, padded: (h + 1) octets are ceil((h + 1) * 8 / 7) septets.
                septets = Array(septets.dropFirst((Int(h + 1) * 8 + 6) / 7))
            }
            text = String(septets.map { gsm7($0) })
        default:
            return nil
        }
        return Deliver(sender: number, text: text)
    }

    /// `count` septets unpacked from octets, least significant bits first.
    static func unpack(_ octets: [UInt8], count: Int) -> [UInt8] {
        var out: [UInt8] = []
        var carry: UInt16 = 0
        var carryBits = 0
        for octet in octets {
            guard out.count < count else { break }
            let value = UInt16(octet) << carryBits | carry
            out.append(UInt8(value & 0x7F))
            carry = value >> 7
            carryBits += 1
            if carryBits == 7, out.count < count {
                out.append(UInt8(carry & 0x7F))
                carry = 0
                carryBits = 0
            }
        }
        return Array(out.prefix(count))
    }

    /// The GSM 03.38 default alphabet where it differs from ASCII only in the places a reply may use; anything
    /// else outside letters and digits becomes "?".
    static func gsm7(_ septet: UInt8) -> Character {
        switch septet {
        case 0x00: "@"
        case 0x02: "$"
        case 0x0A: "\n"
        case 0x0D: "\r"
        case 0x20...0x23, 0x25...0x3F, 0x41...0x5A, 0x61...0x7A: Character(UnicodeScalar(septet))
        default: "?"
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] })
    }

    static func bytes(hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < chars.count {
            guard let h = nibble(chars[i]), let l = nibble(chars[i + 1]) else { return nil }
            out.append(h << 4 | l)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0
        mutating func next() -> UInt8? {
            guard index < bytes.count else { return nil }
            defer { index += 1 }
            return bytes[index]
        }
        mutating func skip(_ n: Int) -> Bool {
            guard index + n <= bytes.count else { return false }
            index += n
            return true
        }
        mutating func take(_ n: Int) -> [UInt8]? {
            guard index + n <= bytes.count else { return nil }
            defer { index += n }
            return Array(bytes[index..<index + n])
        }
    }
}

/// A reply that acknowledges: "1 12", "1#12", "收到 12", "收到12", "ok 12" (any case), surrounding space ignored.
public enum ReplyParser {
    public static func incident(in text: String) -> Int? {
        var s = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        let separators: Set<Character> = [" ", "#", "　", ",", "，", ":", "："]
        if s.hasPrefix("收到") {
            s = s.dropFirst(2)
        } else if let word = ["1", "ok", "OK", "Ok"].first(where: { s.hasPrefix($0) }),
            let next = s.dropFirst(word.count).first, separators.contains(next)
        {
            // "1 12", not "112": a bare number would read as the wrong incident.
            s = s.dropFirst(word.count)
        } else {
            return nil
        }
        s = s.drop { separators.contains($0) }
        guard !s.isEmpty, s.count <= 3, s.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(s), n > 0 else {
            return nil
        }
        return n
    }

    /// Whether two phone numbers are the same subscriber: equal after dropping "+" and China's "86" prefix.
    public static func samePhone(_ a: String, _ b: String) -> Bool {
        func national(_ s: String) -> String {
            var digits = s.filter(\.isNumber)
            if s.hasPrefix("+86") || (digits.hasPrefix("86") && digits.count == 13) { digits.removeFirst(2) }
            return digits
        }
        let x = national(a)
        return !x.isEmpty && x == national(b)
    }
}
