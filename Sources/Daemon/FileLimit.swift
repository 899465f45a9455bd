import Glibc
import Logging

/// The open-file limit leveed runs with.
///
/// Every bus, the historian, the control socket's clients and the HTTP API's connections each take descriptors from
/// one budget. systemd's default soft limit is 1024: a flood of connections once used them all and the PLC bus could
/// not reconnect ("Too many open files"). leveed raises its soft limit to `wanted` (or the hard limit, if lower), and
/// the unit sets `LimitNOFILE=8192` so the hard limit allows it; the HTTP API and the control socket cap their own
/// connections far below.
enum FileLimit {
    static let wanted: rlim_t = 8192

    static func raise(logger: Logger) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let target = min(wanted, limit.rlim_max)
        guard limit.rlim_cur < target else { return }
        let was = limit.rlim_cur
        limit.rlim_cur = target
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            logger.debug("open-file limit raised", metadata: ["from": "\(was)", "to": "\(target)"])
        } else {
            logger.warning(
                "open-file limit could not be raised", metadata: ["limit": "\(was)", "wanted": "\(target)"])
        }
    }
}
