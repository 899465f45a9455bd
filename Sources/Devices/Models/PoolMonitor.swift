import Config
import Foundation

/// What a control room needs to know about an accident pool: how full it is, how fast it fills, and when it
/// will be full.
public struct PoolStatus: Sendable, Hashable {
    public var level: Double
    /// m³ held now, from the volume table or the floor area.
    public var volume: Double
    /// m³ the pool can hold: its design volume, else the volume at the top of the level's range.
    public var capacity: Double?
    public var freeVolume: Double?
    /// m³ per hour, from the level's trend; negative while it empties.
    public var fillRate: Double?
    /// Seconds until full at the present fill rate; nil when not filling.
    public var secondsUntilFull: Double?
}

/// Derives a pool's volume, fill rate and time until full from its level, with the volume table or area and
/// design volume configured on the level device. A pure value fed with timed samples.
///
/// The fill rate is the least-squares slope of the volume over the last `window`, so a noisy level does not make
/// the time until full jump about; it is known only once the window holds samples spanning at least half of it.
public struct PoolMonitor: Sendable {
    public let settings: LevelSettings
    public let rangeTop: Double?
    public var window: Duration = .seconds(60)
    private var samples: [(at: ContinuousClock.Instant, volume: Double)] = []
    private var last: (level: Double, volume: Double)?

    public init(settings: LevelSettings, rangeTop: Double?) {
        self.settings = settings
        self.rangeTop = rangeTop
    }

    /// A new usable level reading; unusable readings are not fed (the trend would lie).
    public mutating func feed(level: Double, at now: ContinuousClock.Instant) {
        guard let volume = settings.volume(atLevel: level) else { return }
        last = (level, volume)
        samples.append((now, volume))
        samples.removeAll { now - $0.at > window }
    }

    public func status(at now: ContinuousClock.Instant) -> PoolStatus? {
        guard let last else { return nil }
        let capacity = settings.designVolumeCubicMetres ?? rangeTop.flatMap { settings.volume(atLevel: $0) }
        let free = capacity.map { max(0, $0 - last.volume) }
        var rate: Double?
        if let first = samples.first, let end = samples.last, (end.at - first.at).inSeconds >= window.inSeconds / 2 {
            let xs = samples.map { ($0.at - first.at).inSeconds }
            let ys = samples.map(\.volume)
            let n = Double(xs.count)
            let mx = xs.reduce(0, +) / n
            let my = ys.reduce(0, +) / n
            let sxx = zip(xs, xs).map { ($0 - mx) * ($1 - mx) }.reduce(0, +)
            let sxy = zip(xs, ys).map { ($0 - mx) * ($1 - my) }.reduce(0, +)
            if sxx > 0 { rate = sxy / sxx * 3600 }
        }
        let until: Double? = if let rate, rate > 0, let free { free / rate * 3600 } else { nil }
        return PoolStatus(
            level: last.level, volume: last.volume, capacity: capacity, freeVolume: free, fillRate: rate,
            secondsUntilFull: until)
    }

}
