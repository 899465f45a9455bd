extension Plant {
    /// The simulated chip's recent edges (the last `GPIOEdgeLog.limit`), oldest first: when each line changed and
    /// when a client first collected the edge with `EVENTS`. Empty without a `[gpio]` chip.
    ///
    /// Both instants come from `ContinuousClock`, as `WriteRecord.receivedAt` does, so an in-process benchmark can
    /// time "button edge → command frame" with one clock.
    public func gpioEdgeLog() -> [GPIOEdgeRecord] {
        core.with { $0.gpio?.edgeLog.records ?? [] }
    }
}
