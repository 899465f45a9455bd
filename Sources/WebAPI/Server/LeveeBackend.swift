import ControlAPI

/// Who is asking: the account the bearer token belongs to, its role, and the address the request came from.
public struct Caller: Sendable, Hashable {
    public var user: String
    public var role: APIRole
    /// The client's IP address as the socket reports it ("unknown" when there is none, as in router tests).
    public var address: String

    public init(user: String, role: APIRole, address: String) {
        self.user = user
        self.role = role
        self.address = address
    }
}

/// The daemon, as the HTTP API reaches it: the same typed commands the control socket serves.
///
/// WebAPI decides who may ask what (roles) and checks the input; the daemon decides whether the plant can do it
/// now, and refuses with a kind and a reason when it cannot.
public protocol LeveeBackend: Sendable {
    /// Runs one command on behalf of `caller`.
    ///
    /// The daemon journals `caller.user` as who and `"http <address>"` as where from. The API has already checked
    /// the role (`ControlCommand.leastRole`): an `operator` never sends `bypass`, `unbypass` or a `reset` with
    /// `override`; only an `admin` does.
    func handle(_ command: ControlCommand, caller: Caller) async -> ControlResult
}
