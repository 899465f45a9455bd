import Glibc

/// A failed system call: the errno it set and the call that failed, or a message for a failure that is not a
/// system call's (a timeout, a peer that closed).
public struct SystemCallError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: Int32
    public var operation: String
    public var message: String?

    public init(code: Int32, operation: String, message: String? = nil) {
        self.code = code
        self.operation = operation
        self.message = message
    }

    public var description: String {
        if let message { return "\(operation): \(message)" }
        return "\(operation): \(String(cString: strerror(code)))"
    }
}

/// Runs one system call; on -1 reads errno at once, before anything else can change it, and throws it with the
/// call's name. Every system call in Levee that can fail this way goes through here.
@discardableResult
public func systemCall(_ operation: String, _ body: () -> Int32) throws(SystemCallError) -> Int32 {
    let result = body()
    guard result != -1 else { throw SystemCallError(code: errno, operation: operation) }
    return result
}
