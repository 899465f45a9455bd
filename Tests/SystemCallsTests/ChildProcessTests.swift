import Foundation
import Glibc
import LeveeTestSupport
import Testing

/// The test children themselves: a child holds no descriptor of the test process but its standard three (issue 12:
/// an inherited socket made another test's `waitUntilExit` wait for good).
struct ChildProcessTests {
    @Test func aChildInheritsOnlyItsStandardDescriptors() async throws {
        let leaked = open("/dev/null", O_RDONLY)  // not close-on-exec, as a parallel test's descriptor may be
        #expect(leaked > 2)
        defer { close(leaked) }
        let child = try ChildProcess("/bin/ls", ["/proc/self/fd"], captureOutput: true)
        #expect(try await TestWait.until(10) { child.outputClosed && !child.isRunning })
        // ls itself opens one descriptor to read the directory: the lowest free one, 3.
        #expect(Set(child.output) == ["0", "1", "2", "3"], "\(child.output)")

        let result = try ModbusMasters.run("/bin/ls", ["/proc/self/fd"])
        #expect(Set(result.stdout.split(separator: "\n").map(String.init)) == ["0", "1", "2", "3"], "\(result.stdout)")
    }
}
