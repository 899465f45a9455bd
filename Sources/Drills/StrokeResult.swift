/// One valve movement in a drill: how long it took against how long it should take.
public struct StrokeResult: Codable, Sendable, Hashable {
    /// The valve's device id.
    public var valve: String
    /// The valve's name for people.
    public var valveName: String
    /// `close` or `open`.
    public var operation: String
    /// The stroke time in the configuration (`stroke_s`).
    public var configuredSeconds: Double
    /// From the command to the end-position limit switch; nil when the valve never confirmed its end position.
    public var measuredSeconds: Double?
    /// The measured strokes of the same valve and operation in earlier drills and movements, newest first.
    public var previous: [Double]
    /// What the measurement is compared with; see ``StrokeDrift/baseline(previous:configured:)``.
    public var baselineSeconds: Double
    /// `measuredSeconds / baselineSeconds`; nil when not measured.
    public var ratio: Double?
    /// The stroke took more than ``StrokeDrift/threshold`` times the baseline.
    public var drifted: Bool

    public init(
        valve: String,
        valveName: String,
        operation: String,
        configuredSeconds: Double,
        measuredSeconds: Double?,
        previous: [Double],
        baselineSeconds: Double,
        ratio: Double?,
        drifted: Bool
    ) {
        self.valve = valve
        self.valveName = valveName
        self.operation = operation
        self.configuredSeconds = configuredSeconds
        self.measuredSeconds = measuredSeconds
        self.previous = previous
        self.baselineSeconds = baselineSeconds
        self.ratio = ratio
        self.drifted = drifted
    }

    /// The result of one movement, with baseline, ratio and drift worked out by ``StrokeDrift``.
    public static func make(
        valve: String,
        valveName: String,
        operation: String,
        configuredSeconds: Double,
        measuredSeconds: Double?,
        previous: [Double]
    ) -> StrokeResult {
        let baseline = StrokeDrift.baseline(previous: previous, configured: configuredSeconds)
        let ratio = measuredSeconds.flatMap { StrokeDrift.ratio(measured: $0, baseline: baseline) }
        return StrokeResult(
            valve: valve, valveName: valveName, operation: operation, configuredSeconds: configuredSeconds,
            measuredSeconds: measuredSeconds, previous: previous, baselineSeconds: baseline, ratio: ratio,
            drifted: ratio.map { $0 > StrokeDrift.threshold } ?? false
        )
    }

    /// True when the baseline is the median of earlier strokes rather than the configured time.
    public var baselineFromHistory: Bool {
        StrokeDrift.usableHistory(previous).count >= StrokeDrift.minimumHistory
    }
}
