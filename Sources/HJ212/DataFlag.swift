/// The data flag HJ 212 sends beside each value (`w01018-Flag=N`): the state of the instrument behind it.
public enum DataFlag: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// N: normal.
    case normal = "N"
    /// F: the instrument is stopped.
    case stopped = "F"
    /// M: maintenance.
    case maintenance = "M"
    /// S: the value was set by hand.
    case manual = "S"
    /// D: instrument fault.
    case fault = "D"
    /// C: calibrating.
    case calibrating = "C"
    /// T: over range.
    case overRange = "T"
    /// B: communication fault.
    case communicationFault = "B"

    public var description: String { rawValue }

    /// The flag for one of Levee's reading qualities.
    ///
    /// | quality | flag | why |
    /// |---|---|---|
    /// | `good` | N | |
    /// | `comm-fail` | B | the device did not answer |
    /// | `out-of-range` | T | the value is outside the instrument's range |
    /// | `stale` | D | the value stopped updating: a fault of the chain, not of the link |
    /// | `bad-config` | D | Levee cannot trust the value |
    /// | `initial`, anything else | D | no trustworthy value yet; the bureau must not take it as normal |
    ///
    /// A maintenance bypass (the instrument is being worked on, its value held or ignored) forces M whatever the
    /// quality: the bureau's rules treat data under maintenance apart, and the plant must say so.
    public init(quality: String, bypassed: Bool = false) {
        if bypassed {
            self = .maintenance
            return
        }
        switch quality {
        case "good": self = .normal
        case "comm-fail": self = .communicationFault
        case "out-of-range": self = .overRange
        default: self = .fault
        }
    }

    /// How bad the flag is, for ``worst(_:)``: N < S < T < C < F < D < B < M.
    ///
    /// B (no data came) outranks D (data came but cannot be trusted), which outranks T (data came, over range).
    /// M outranks all: a period with maintenance in it is a maintenance period, whatever else happened.
    public var severity: Int {
        switch self {
        case .normal: 0
        case .manual: 1
        case .overRange: 2
        case .calibrating: 3
        case .stopped: 4
        case .fault: 5
        case .communicationFault: 6
        case .maintenance: 7
        }
    }

    /// The worst of `flags` by ``severity``; nil when there are none.
    public static func worst(_ flags: some Sequence<DataFlag>) -> DataFlag? {
        flags.max { $0.severity < $1.severity }
    }
}
