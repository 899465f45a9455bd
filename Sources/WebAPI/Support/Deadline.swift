import Synchronization

/// Runs `operation` and returns its result, or nil when it has not finished within `timeout`.
///
/// The operation runs in a task of its own and is left to finish by itself on a timeout: the daemon's handlers do
/// not all answer cancellation, and a task group would wait for them anyway. Cancelling the caller stops the wait.
func withDeadline<T: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T)
    async throws -> T?
{
    let once = Once<Result<T?, any Error>>()
    let work = Task {
        do {
            once.resume(.success(try await operation()))
        } catch {
            once.resume(.failure(error))
        }
    }
    let timer = Task {
        try? await Task.sleep(for: timeout)
        once.resume(.success(nil))
    }
    defer {
        timer.cancel()
        _ = work
    }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            once.attach(continuation)
        }.get()
    } onCancel: {
        once.resume(.failure(CancellationError()))
    }
}

/// A continuation resumed by whichever result arrives first; later ones are dropped.
private final class Once<Value: Sendable>: Sendable {
    private enum State {
        case waiting(CheckedContinuation<Value, any Error>?)
        case early(Value)
        case done
    }

    private let state = Mutex<State>(.waiting(nil))

    func attach(_ continuation: CheckedContinuation<Value, any Error>) {
        let early: Value? = state.withLock { state in
            switch state {
            case .waiting:
                state = .waiting(continuation)
                return nil
            case .early(let value):
                state = .done
                return value
            case .done:
                return nil
            }
        }
        if let early { continuation.resume(returning: early) }
    }

    func resume(_ value: Value) {
        let waiting: CheckedContinuation<Value, any Error>? = state.withLock { state in
            switch state {
            case .waiting(let continuation?):
                state = .done
                return continuation
            case .waiting(nil):
                state = .early(value)
                return nil
            case .early, .done:
                return nil
            }
        }
        waiting?.resume(returning: value)
    }
}
