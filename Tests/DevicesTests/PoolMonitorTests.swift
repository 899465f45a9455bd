import Config
import Testing

@testable import Devices

/// The pool's derived figures as values with a fake clock.
struct PoolMonitorTests {
    let t0 = ContinuousClock.now

    @Test func aFillingPoolReportsItsRateAndTimeUntilFull() throws {
        // 1000 m² floor, 5000 m³ design: 240 m³/h of rain raises it 0.24 m an hour.
        var pool = PoolMonitor(
            settings: LevelSettings(isPool: true, areaSquareMetres: 1000, designVolumeCubicMetres: 5000), rangeTop: 5)
        for i in 0...60 {
            pool.feed(level: 1.0 + 0.24 * Double(i) / 3600, at: t0 + .seconds(i))
        }
        let s = try #require(pool.status(at: t0 + .seconds(60)))
        #expect(abs(s.volume - 1004) < 0.01)
        #expect(s.capacity == 5000)
        #expect(abs((s.freeVolume ?? 0) - 3996) < 0.01)
        #expect(abs((s.fillRate ?? 0) - 240) < 0.5)
        // 3996 m³ at 240 m³/h: 16.65 h.
        #expect(abs((s.secondsUntilFull ?? 0) - 3996 / 240 * 3600) < 120)
    }

    @Test func theVolumeTableIsInterpolatedAndAnEmptyingPoolIsNeverFull() throws {
        let table = [(0.0, 0.0), (1.0, 180.0), (2.0, 380.0), (4.5, 950.0)].map {
            LevelSettings.VolumePoint(level: $0.0, volume: $0.1)
        }
        var pool = PoolMonitor(settings: LevelSettings(isPool: true, volumeTable: table), rangeTop: 4.5)
        for i in 0...60 { pool.feed(level: 1.5 - Double(i) / 600, at: t0 + .seconds(i)) }
        let s = try #require(pool.status(at: t0 + .seconds(60)))
        #expect(abs(s.volume - 260) < 0.01)  // level 1.4 m: 180 + 0.4 × 200
        #expect(s.capacity == 950)  // no design volume: the table's value at the top of the range
        #expect((s.fillRate ?? 0) < 0)
        #expect(s.secondsUntilFull == nil)
    }

    @Test func theRateIsUnknownUntilTheWindowHasSamples() throws {
        var pool = PoolMonitor(settings: LevelSettings(isPool: true, areaSquareMetres: 100), rangeTop: 3)
        pool.feed(level: 1, at: t0)
        pool.feed(level: 1.01, at: t0 + .seconds(5))
        let s = try #require(pool.status(at: t0 + .seconds(5)))
        #expect(s.fillRate == nil)
        #expect(s.volume == 101)
    }
}
