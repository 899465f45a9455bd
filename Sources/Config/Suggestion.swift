/// "Did you mean" for misspelt keys and values.
///
/// Most configuration typos are one or two keystrokes off (`trvel_s`, `adress`, `modbus-tpc`) or a truncation
/// (`stroke` for `stroke_s`), so the nearest known word by edit distance is nearly always the intended one.
public enum Suggestion {
    /// The known word the user most likely meant, or nil when none is close.
    ///
    /// A word is close when at most 2 edits away and at most one edit per 3 typed characters (so that `x` does not
    /// suggest `id`, nor `CST` suggest `GMT`), or when exactly one known word starts with the typed one or is a
    /// start of it.
    public static func closest(to typed: String, in known: some Sequence<String>) -> String? {
        let candidates = Array(known).sorted()
        guard !typed.isEmpty, !candidates.isEmpty else { return nil }
        let lowered = typed.lowercased()
        var best: (word: String, distance: Int)?
        for word in candidates {
            let d = distance(lowered, word.lowercased())
            if best == nil || d < best!.distance { best = (word, d) }
        }
        if let best, best.distance <= 2, best.distance * 3 <= typed.count { return best.word }
        let prefixed = candidates.filter { word in
            let w = word.lowercased()
            return (lowered.count >= 3 && w.hasPrefix(lowered)) || (w.count >= 3 && lowered.hasPrefix(w))
        }
        return prefixed.count == 1 ? prefixed[0] : nil
    }

    /// ` (did you mean "x"?)` when a close word exists, else the empty string: ready to append to a message.
    public static func hint(for typed: String, in known: some Sequence<String>) -> String {
        closest(to: typed, in: known).map { " (did you mean \(quoted($0))?)" } ?? ""
    }

    /// Edit distance over characters: insertions, deletions, substitutions and swaps of two neighbours each cost 1
    /// (optimal string alignment), since `nmae` for `name` is one slip of the fingers, not two.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}

/// A string as it would be written in TOML, in double quotes, for messages.
func quoted(_ s: String) -> String {
    var out = "\""
    for c in s.unicodeScalars {
        switch c {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        default: out.unicodeScalars.append(c)
        }
    }
    return out + "\""
}

/// A number for messages: whole values without a fraction (`30`, not `30.0`), others as Swift prints them.
func formatted(_ value: Double) -> String {
    if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return "\(value)"
}
