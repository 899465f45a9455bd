import Testing

@testable import WebAPI

/// The login limiter as a value on a clock the test sets.
struct LoginLimiterTests {
    let t0 = ContinuousClock.now

    @Test func refusesAfterTheLimitUntilTheOldestFailureLeavesTheWindow() {
        var limiter = LoginLimiter(limit: 3, window: .seconds(60))
        #expect(limiter.check("10.0.0.7", at: t0) == .allowed)
        limiter.recordFailure("10.0.0.7", at: t0)
        limiter.recordFailure("10.0.0.7", at: t0 + .seconds(10))
        #expect(limiter.check("10.0.0.7", at: t0 + .seconds(11)) == .allowed)
        limiter.recordFailure("10.0.0.7", at: t0 + .seconds(20))
        // Three failures within the window: refused until the first (at t0) is a minute old.
        #expect(limiter.check("10.0.0.7", at: t0 + .seconds(21)) == .refused(retryAfter: .seconds(39)))
        #expect(limiter.check("10.0.0.7", at: t0 + .seconds(59)) == .refused(retryAfter: .seconds(1)))
        // Other addresses are not affected.
        #expect(limiter.check("10.0.0.8", at: t0 + .seconds(21)) == .allowed)
        // At 60 s the first failure leaves the window: two remain, below the limit.
        #expect(limiter.check("10.0.0.7", at: t0 + .seconds(60)) == .allowed)
        limiter.recordFailure("10.0.0.7", at: t0 + .seconds(61))
        #expect(limiter.check("10.0.0.7", at: t0 + .seconds(62)) == .refused(retryAfter: .seconds(8)))
        #expect(limiter.check("10.0.0.7", at: t0 + .seconds(200)) == .allowed)
        #expect(limiter.failures.isEmpty)
    }

    @Test func aLimitOfOneRefusesAfterTheFirstFailure() {
        var limiter = LoginLimiter(limit: 1, window: .seconds(5))
        limiter.recordFailure("a", at: t0)
        #expect(limiter.check("a", at: t0 + .milliseconds(1)) == .refused(retryAfter: .milliseconds(4999)))
        #expect(limiter.check("a", at: t0 + .seconds(5)) == .allowed)
    }

    @Test func memoryIsBoundedByForgettingTheStalestAddress() {
        var limiter = LoginLimiter(limit: 2, window: .seconds(60), maximumAddresses: 3)
        for (i, address) in ["a", "b", "c"].enumerated() {
            limiter.recordFailure(address, at: t0 + .seconds(i))
        }
        limiter.recordFailure("d", at: t0 + .seconds(10))
        #expect(limiter.failures.count == 3)
        #expect(limiter.failures["a"] == nil)
        // Expired entries go first, before anyone still inside the window.
        limiter.recordFailure("e", at: t0 + .seconds(62.5))
        #expect(Set(limiter.failures.keys) == ["d", "e"])
    }
}
