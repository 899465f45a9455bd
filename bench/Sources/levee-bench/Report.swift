import Foundation

/// One figure of the table: Levee's value, the baseline measured in the same run, their ratio and the target.
///
/// A benchmark is not a test: a missed target is printed as MISS and the run carries on.
struct Figure {
    var name: String
    var levee: String
    var baseline: String
    /// Levee / baseline, in whichever direction the target is stated.
    var ratio: Double?
    var target: String
    /// Nil when the figure could not be measured.
    var pass: Bool?

    var line: String {
        let ratioText = ratio.map { String(format: "ratio %.2f", $0) } ?? "ratio -"
        let verdict = pass.map { $0 ? "PASS" : "MISS" } ?? "n/a"
        return [
            pad(name, 30), pad(levee, 30), pad(baseline, 44), pad(ratioText, 12), pad("target " + target, 22),
            verdict,
        ].joined(separator: " ")
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}

/// The table and the notes behind it, printed as Markdown (bench/run.sh adds the date and the machine).
@MainActor
final class Report {
    private(set) var figures: [Figure] = []
    private(set) var notes: [(section: String, text: String)] = []

    func add(_ figure: Figure) {
        figures.append(figure)
        progress(figure.line)
    }

    func note(_ section: String, _ text: String) {
        notes.append((section, text))
        progress("  \(section): \(text)")
    }

    var markdown: String {
        var out = "## Figures\n\n```\n"
        for f in figures { out += f.line + "\n" }
        out += "```\n"
        var section = ""
        for (s, text) in notes {
            if s != section {
                out += "\n### \(s)\n\n"
                section = s
            }
            out += "- \(text)\n"
        }
        return out
    }
}

/// Progress on standard error, so that standard output holds only the report.
func progress(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Nearest-rank percentile of unsorted samples (p in 0...1).
func percentile(_ samples: [Double], _ p: Double) -> Double {
    let sorted = samples.sorted()
    guard !sorted.isEmpty else { return .nan }
    let rank = Int((p * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
}

func median(_ samples: [Double]) -> Double { percentile(samples, 0.5) }

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// Formats a rate or count with thousands separators: 41704.4 -> "41,704".
func grouped(_ value: Double) -> String {
    let digits = String(Int(value.rounded()))
    var out = ""
    for (i, c) in digits.reversed().enumerated() {
        if i > 0, i % 3 == 0, c != "-" { out.append(",") }
        out.append(c)
    }
    return String(out.reversed())
}

func fixed(_ value: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", value) }

/// SplitMix64: a small seeded generator, so that every random choice of a run can be replayed from its seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
