import Testing

@testable import HJ212
