import Testing

@testable import MQTTLink
