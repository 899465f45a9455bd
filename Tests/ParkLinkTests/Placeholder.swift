import Testing

@testable import ParkLink
